"""`loopdsl serve`: the design-review page of a workspace on localhost, kept
current. A thread watches the workspace's files; every save
builds the page again; the page asks `/state` for a newer version and
replaces its body in place, keeping zoom, pan and scroll. While a file does
not parse, the page shows its LD001 findings above the last good state.
Only `/` and `/state` are served: no path of the request ever names a file.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from loopdsl.app.review import Page

POLL = 0.2  # seconds between looks at the files' modification times


class Site:
    """The current page, rebuilt by ``refresh`` when a file changed."""

    def __init__(self, build: Callable[[str], Page],
                 files: Callable[[], Sequence[Path]]) -> None:
        self._build = build
        self._files = files
        self._stamp = self.stamp()
        self.count = 1
        self.page = build("1")

    def stamp(self) -> tuple[tuple[str, int, int], ...]:
        out = []
        for path in self._files():
            try:
                st = path.stat()
            except OSError:
                continue
            out.append((str(path), st.st_mtime_ns, st.st_size))
        return tuple(sorted(out))

    def refresh(self) -> Page | None:
        """Build the page again if a file changed since the last build (one
        watcher thread calls it; the server only reads ``page``)."""
        stamp = self.stamp()
        if stamp == self._stamp:
            return None
        self._stamp = stamp
        self.count += 1
        self.page = self._build(str(self.count))
        return self.page

    def watch(self, stop: threading.Event, warn: Callable[[str], None]) -> None:
        """Refresh until ``stop``; a failure is told once, not every poll."""
        told = ""
        while not stop.wait(POLL):
            try:
                self.refresh()
                told = ""
            except Exception as e:  # the page stays as it was; the next save may mend it
                message = f"loopdsl: warning: the page was not updated: {e}"
                if message != told:
                    warn(message)
                    told = message


def handler(site: Site) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "loopdsl"

        def do_GET(self) -> None:
            path, _, query = self.path.partition("?")
            page = site.page
            if path == "/":
                self._send(200, "text/html; charset=utf-8", page.html)
            elif path == "/state":
                state = {"version": page.version}
                if parse_qs(query).get("since") != [page.version]:  # the body only if newer
                    state["html"] = page.body
                self._send(200, "application/json", json.dumps(state))
            else:
                self._send(404, "text/plain; charset=utf-8", "not found\n")

        def _send(self, code: int, kind: str, text: str) -> None:
            data = text.encode("utf-8")
            self.send_response(code)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet: the terminal shows the address and warnings only

    return Handler


def run(site: Site, host: str, port: int, announce: Callable[[str], None]) -> None:
    """Serve until interrupted (Ctrl-C ends it normally)."""
    server = ThreadingHTTPServer((host, port), handler(site))
    stop = threading.Event()
    watcher = threading.Thread(target=site.watch, args=(stop, announce), daemon=True)
    watcher.start()
    shown = f"[{host}]" if ":" in host else host
    announce(f"loopdsl: serving the review on http://{shown}:{server.server_address[1]}/ "
             "(Ctrl-C to stop)")
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        server.server_close()
