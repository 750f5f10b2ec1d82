"""`loopdsl serve` (SPEC §16): the review page on localhost, kept current.

The server runs as the real console script in a child process; the tests
talk to it over HTTP as the page's script does (`/` then `/state`)."""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import EXAMPLES, loopdsl_executable
from loopdsl.serve import Page, Site

PAGE_SWAP = 5.0  # seconds a save may take to reach /state (SPEC: within a second)


class Server:
    def __init__(self, proc: subprocess.Popen[str], url: str) -> None:
        self.proc, self.url = proc, url

    def get(self, path: str) -> tuple[int, str, dict[str, str]]:
        try:
            with urllib.request.urlopen(self.url + path, timeout=10) as r:
                return r.status, r.read().decode("utf-8"), dict(r.headers)
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode("utf-8"), dict(e.headers)

    def state(self) -> dict[str, str]:
        status, text, _ = self.get("state")
        assert status == 200
        return dict(json.loads(text))

    def wait_for(self, version: str) -> dict[str, str]:
        """The first state newer than ``version``."""
        deadline = time.monotonic() + PAGE_SWAP
        while time.monotonic() < deadline:
            state = self.state()
            if state["version"] != version:
                return state
            time.sleep(0.05)
        raise AssertionError(f"the page did not change within {PAGE_SWAP} s")


def start(cwd: Path, *args: str) -> Server:
    proc = subprocess.Popen([loopdsl_executable(), "serve", "--port", "0", *args], cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    line = proc.stderr.readline()
    m = re.search(r"(http://127\.0\.0\.1:\d+/)", line)
    if not m:
        proc.kill()
        raise AssertionError(f"no address announced: {line!r} {proc.communicate()}")
    return Server(proc, m.group(1))


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    shutil.copytree(EXAMPLES / "support-assistant", tmp_path / "ws")
    return tmp_path / "ws"


@pytest.fixture
def server(workspace: Path) -> Iterator[Server]:
    s = start(workspace)
    yield s
    if s.proc.poll() is None:
        s.proc.kill()
        s.proc.wait()


def test_the_page_is_the_review_with_its_diagram(server: Server) -> None:
    status, page, headers = server.get("")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert headers["Cache-Control"] == "no-store"
    assert '<main id="review">' in page and "<svg" in page
    assert '<meta name="loopdsl-version" content="1">' in page
    # nodes link to their rows; the script may only talk to this server
    anchors = set(re.findall(r'xlink:href="#(node-[^"]+)"', page))
    assert anchors and all(f'id="{a}"' in page for a in anchors)
    assert "connect-src 'self'" in page and "http://" not in page.split("<main")[0]
    assert server.state()["version"] == "1"


def test_only_the_page_and_its_state_are_served(server: Server, workspace: Path) -> None:
    for path in ["design.loop", "../../etc/passwd", "%2e%2e/design.loop", "state/x", "favicon.ico"]:
        status, text, _ = server.get(path)
        assert status == 404, path
        assert "support" not in text


def test_a_save_updates_the_page(server: Server, workspace: Path) -> None:
    loop = next(workspace.glob("*.loop"))
    text = loop.read_text()
    before = server.state()
    loop.write_text(text.replace('"', '"Renamed ', 1))
    after = server.wait_for(before["version"])
    assert int(after["version"]) > int(before["version"])
    assert "Renamed " in after["html"]
    status, page, _ = server.get("")
    assert status == 200
    assert f'content="{after["version"]}"' in page  # a reload gets the same state


def test_a_file_that_stops_parsing_shows_its_errors_above_the_last_good_page(
        server: Server, workspace: Path) -> None:
    loop = next(workspace.glob("*.loop"))
    good = loop.read_text()
    before = server.state()
    loop.write_text(good + "\nsystem broken {{{\n")
    broken = server.wait_for(before["version"])
    assert 'class="problems"' in broken["html"] and "LD001" in broken["html"]
    assert "<svg" in broken["html"]  # the last good diagram, not a blank page
    assert broken["html"].count("<svg") == before["html"].count("<svg")
    loop.write_text(good)
    mended = server.wait_for(broken["version"])
    assert 'class="problems"' not in mended["html"]


def test_ctrl_c_ends_it_with_exit_0(server: Server) -> None:
    server.proc.send_signal(signal.SIGINT)
    assert server.proc.wait(timeout=10) == 0
    assert server.proc.stderr is not None
    assert "Traceback" not in server.proc.stderr.read()


def test_a_busy_port_is_one_line_and_exit_2(server: Server, workspace: Path) -> None:
    port = server.url.rsplit(":", 1)[1].strip("/")
    proc = subprocess.run([loopdsl_executable(), "serve", "--port", port], cwd=workspace,
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"loopdsl: error: cannot serve on 127.0.0.1:{port}")
    assert len(proc.stderr.splitlines()) == 1


def test_a_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    proc = subprocess.run([loopdsl_executable(), "serve", "--port", "0", "nope.loop"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert len(proc.stderr.splitlines()) == 1


# --- the watcher, without a server -------------------------------------------------


def test_the_site_builds_again_only_when_a_file_changed(tmp_path: Path) -> None:
    f = tmp_path / "a.loop"
    f.write_text("one")
    built: list[tuple[str, Page | None]] = []

    def build(version: str, last: Page | None) -> Page:
        built.append((version, last))
        return Page(version, f.read_text(), f.read_text())

    site = Site(build, lambda: [f, tmp_path / "gone.loop"])
    assert site.page == Page("1", "one", "one") and built == [("1", None)]
    assert site.refresh() is None  # nothing changed
    f.write_text("two, longer")
    page = site.refresh()
    assert page is not None and page.version == "2" and page.html == "two, longer"
    assert built[-1] == ("2", Page("1", "one", "one"))  # the last page is handed on
