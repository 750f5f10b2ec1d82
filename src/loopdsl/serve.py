"""`loopdsl serve`: the design-review page of a workspace on localhost, kept
current. A thread watches the workspace's files; every save
builds the page again; the page asks `/state` for a newer version and
replaces its body in place, keeping zoom, pan and scroll. While a file does
not parse, the page shows its LD001 findings above the last good state.
Only `/` and `/state` are served (GET and HEAD): no path of the request ever
names a file, and a request whose Host is not the server's own address or
localhost is refused (421), so no page elsewhere can read the design.
"""

from __future__ import annotations

import gc
import json
import sys
import threading
from collections.abc import Callable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from loopdsl.app.review import Page

POLL = 0.05  # seconds between looks at the files' modification times (0.3 ms a look at 1,000 nodes)


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
        gc.collect()  # the last page's garbage, once this one is out (building pauses it)
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


def is_loopback(host: str) -> bool:
    """Does ``host`` (an address or a name) serve this machine only?"""
    import ipaddress

    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _allowed_host(header: str | None, listening: str) -> bool:
    """Is a request's ``Host`` the address the server listens on, or
    localhost? A page on another origin that rebinds its own name to this
    machine (DNS rebinding) sends its name, and is refused. A server on every
    interface (0.0.0.0, ::) accepts any address literal, never a name."""
    import ipaddress

    if not header:
        return False
    name = header.strip().lower()
    if name.startswith("["):  # [::1]:8000
        name = name[1:name.find("]")] if "]" in name else name
    elif name.count(":") == 1:
        name = name.rsplit(":", 1)[0]
    if name in ("localhost", listening.strip("[]").lower()):
        return True
    if listening in ("0.0.0.0", "::", ""):
        try:
            ipaddress.ip_address(name)
            return True
        except ValueError:
            return False
    return False


def handler(site: Site, listening: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "loopdsl"

        def do_GET(self) -> None:
            self._answer(head=False)

        def do_HEAD(self) -> None:
            self._answer(head=True)

        def _answer(self, *, head: bool) -> None:
            if not _allowed_host(self.headers.get("Host"), listening):
                self._send(421, "text/plain; charset=utf-8", "misdirected request\n", head)
                return
            path, _, query = self.path.partition("?")
            page = site.page
            if path == "/":
                self._send(200, "text/html; charset=utf-8", page.html, head)
            elif path == "/state":
                state = {"version": page.version}
                if parse_qs(query).get("since") != [page.version]:  # the body only if newer
                    state["html"] = page.body
                self._send(200, "application/json", json.dumps(state), head)
            else:
                self._send(404, "text/plain; charset=utf-8", "not found\n", head)

        def _send(self, code: int, kind: str, text: str, head: bool = False) -> None:
            data = text.encode("utf-8")
            self.send_response(code)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            if not head:
                self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet: the terminal shows the address and warnings only

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that leaves early (a closed tab, a reset) costs nothing and
        prints nothing; anything else is reported as the standard library does."""
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)


def run(site: Site, host: str, port: int, announce: Callable[[str], None]) -> None:
    """Serve until interrupted (Ctrl-C ends it normally)."""
    server = _Server((host, port), handler(site, host))
    stop = threading.Event()
    watcher = threading.Thread(target=site.watch, args=(stop, announce), daemon=True)
    try:
        watcher.start()
        shown = f"[{host}]" if ":" in host else host
        announce(f"loopdsl: serving the review on http://{shown}:{server.server_address[1]}/ "
                 "(Ctrl-C to stop)")
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        server.server_close()
