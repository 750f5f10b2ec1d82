"""`loopdsl serve`: the review page on localhost, kept current.

The server runs as the real console script in a child process; the tests
talk to it over HTTP as the page's script does (`/` then `/state`)."""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from html import unescape as html_unescape
from pathlib import Path
from typing import Any

import pytest

from conftest import EXAMPLES, Server, chromium, loopdsl_executable, start
from loopdsl.app.review import Page
from loopdsl.serve import Site


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
    status, text, _ = server.get("state?since=1")  # what the page asks while nothing changed
    assert status == 200 and json.loads(text) == {"version": "1"}


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
    built: list[str] = []

    def build(version: str) -> Page:
        built.append(version)
        return Page(version, f.read_text(), f.read_text())

    site = Site(build, lambda: [f, tmp_path / "gone.loop"])
    assert site.page == Page("1", "one", "one") and built == ["1"]
    assert site.refresh() is None  # nothing changed
    f.write_text("two, longer")
    page = site.refresh()
    assert page is not None and page.version == "2" and page.html == "two, longer"
    assert site.page is page and built == ["1", "2"]


def test_a_failing_rebuild_is_told_once_and_the_page_kept(tmp_path: Path) -> None:
    calls = {"n": 0}

    def files() -> list[Path]:
        calls["n"] += 1
        if calls["n"] > 1:
            raise OSError("the folder went away")
        return []

    site = Site(lambda version: Page(version, "page", "body"), files)
    told: list[str] = []
    stop = threading.Event()
    watcher = threading.Thread(target=site.watch, args=(stop, told.append))
    watcher.start()
    deadline = time.monotonic() + 10
    while calls["n"] <= 3 and time.monotonic() < deadline:  # several polls
        time.sleep(0.05)
    stop.set()
    watcher.join()
    assert calls["n"] > 3 and told == ["loopdsl: warning: the page was not updated: "
                                       "the folder went away"]
    assert site.page == Page("1", "page", "body")


# --- in a real browser ----------------------------------------------------------------

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"  # screenshots for people
LOCAL_ONLY = "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"  # no network


def browse(url: str, profile: Path, *args: str) -> str:
    proc = subprocess.run(
        [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         LOCAL_ONLY, f"--user-data-dir={profile}", *args, url],
        capture_output=True, text=True, timeout=300)
    return proc.stdout + proc.stderr


def connections(port: int) -> int:
    """TCP connections to ``port`` on this machine, open or recently closed
    (the server answers each request on a connection of its own)."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        count += sum(1 for row in rows if int(row.split()[1].rsplit(":", 1)[1], 16) == port)
    return count


def headless(url: str, profile: Path, budget_ms: int) -> str:
    """The page's DOM after ``budget_ms`` of the page's (virtual) time."""
    dom = browse(url, profile, f"--virtual-time-budget={budget_ms}", "--dump-dom")
    assert "<main" in dom, dom[-500:]
    return dom


def screenshot(url: str, profile: Path, name: str, height: int = 1400) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    out = ARTIFACTS / name
    out.unlink(missing_ok=True)
    browse(url, profile, f"--window-size=1280,{height}", "--virtual-time-budget=2000",
           f"--screenshot={out}")
    assert out.read_bytes()[:4] == b"\x89PNG", f"no screenshot {name}"


@pytest.mark.slow
def test_the_open_page_follows_a_save_in_chromium(server: Server, workspace: Path,
                                                  tmp_path: Path) -> None:
    screenshot(server.url, tmp_path / "p0", "serve-before-edit.png")
    loop = next(workspace.glob("*.loop"))
    text = loop.read_text()

    port = int(server.url.rsplit(":", 1)[1].strip("/"))
    before = connections(port)

    def save_later() -> None:
        # Once Chromium has loaded the page and asked for its state (two more
        # connections to the server), the save comes while the page polls.
        deadline = time.monotonic() + 60
        while connections(port) < before + 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        loop.write_text(text.replace('"', '"Renamed ', 1))

    saver = threading.Thread(target=save_later)
    saver.start()
    # Each poll waits 0.3 s of the page's time, which passes as fast as the
    # server answers: 3,000,000 ms are 10,000 polls, some seconds of real time.
    # The page opens zoomed (the view in its address); the swap must keep it.
    dom = headless(server.url + "#view=1.5,-40,-30", tmp_path / "profile", 3_000_000)
    saver.join()
    assert '<meta name="loopdsl-version" content="1">' in dom  # loaded before the save
    assert re.search(r'<body[^>]*data-loopdsl-version="[2-9]', dom)  # swapped after it
    assert "Renamed " in dom and 'data-wired="1"' in dom  # the viewer wired the new body
    assert re.search(r'<svg[^>]*data-loopdsl-view="1.5,-40,-30"', dom)  # zoom kept
    screenshot(server.url, tmp_path / "p0", "serve-after-edit.png")


VIEWER_CHECK = """<script>
window.addEventListener("load", function () {
  var out = {}, box = document.getElementById("diagram");
  var g = function () { return document.querySelector("#diagram svg"); };
  var r = box.getBoundingClientRect();
  out.visible = Array.prototype.every.call(document.querySelectorAll("#diagram g.node"),
    function (n) { var b = n.getBoundingClientRect();
      return b.width > 0 && b.left >= r.left && b.right <= r.right + 1 && b.top >= r.top; });
  var wheel = new WheelEvent("wheel", { deltaY: -100, clientX: r.left + 10,
    clientY: r.top + 10, bubbles: true, cancelable: true });
  out.point = [wheel.clientX - r.left, wheel.clientY - r.top];  // as the viewer sees it
  box.dispatchEvent(wheel);
  out.zoomed = g().getAttribute("data-loopdsl-view");
  box.dispatchEvent(new MouseEvent("mousedown", { clientX: 100, clientY: 100, bubbles: true }));
  window.dispatchEvent(new MouseEvent("mousemove", { clientX: 130, clientY: 90 }));
  window.dispatchEvent(new MouseEvent("mouseup", {}));
  window.dispatchEvent(new MouseEvent("mousemove", { clientX: 500, clientY: 500 }));
  out.panned = g().getAttribute("data-loopdsl-view");
  out.transform = g().style.transform;
  out.hash = location.hash;
  document.getElementById("fit").click();
  out.fitted = g().getAttribute("data-loopdsl-view");
  var picker = document.getElementById("loop-picker");
  picker.value = "loop-1";
  picker.dispatchEvent(new Event("change"));
  out.edges = Array.prototype.map.call(document.querySelectorAll("#diagram g.edge"),
    function (e) { return [e.classList.contains("loop-1"), e.style.opacity]; });
  out.links = document.querySelectorAll("#diagram svg a").length;
  out.loopDiagrams = document.querySelectorAll(".loop-diagram svg").length;
  var pre = document.createElement("pre");
  pre.textContent = "RESULT:" + JSON.stringify(out) + ":END";
  document.body.appendChild(pre);
});
</script>
"""


def checked_in_chromium(page: Path, script: str, profile: Path) -> dict[str, Any]:
    """What a check script added to ``page`` (its CSP removed, so the script may
    run) reports from a 1280x1000 window: the object it writes as RESULT."""
    html = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", page.read_text())
    page.write_text(html.replace("</body>", script + "</body>"))
    dom = browse(page.as_uri(), profile, "--window-size=1280,1000",
                 "--virtual-time-budget=1000", "--dump-dom")
    m = re.search(r"<pre>RESULT:(.*?):END</pre>", dom, re.S)
    assert m, dom[-500:]
    return dict(json.loads(html_unescape(m.group(1))))


@pytest.fixture
def review_page(tmp_path: Path) -> Path:
    page = tmp_path / "review.html"
    subprocess.run([loopdsl_executable(), "doc", str(EXAMPLES / "support-assistant"
                                                      / "support.loop"), "-o", str(page)],
                   check=True, capture_output=True, timeout=60)
    return page


@pytest.mark.slow
def test_the_diagram_pans_zooms_fits_and_highlights_a_loop_in_chromium(
        review_page: Path, tmp_path: Path) -> None:
    # As written, the page's CSP lets its own script run (by its hash) ...
    assert 'data-wired="1"' in headless(review_page.as_uri(), tmp_path / "p1", 1000)
    # ... and a check script added after it drives the viewer as a user would.
    # A window where the diagram, at the page's width, reads as it is: it opens
    # unzoomed (a narrower one opens it zoomed in, see the test below).
    out = checked_in_chromium(review_page, VIEWER_CHECK, tmp_path / "p2")
    assert out["visible"]  # every node is drawn inside the diagram's box
    px, py = out["point"]  # zoom in around the pointer: it stays where it was
    view = [float(v) for v in out["zoomed"].split(",")]
    assert view == pytest.approx([1.2, px - px * 1.2, py - py * 1.2])
    panned = [float(v) for v in out["panned"].split(",")]  # 30 right, 10 up; then let go
    assert panned == pytest.approx([1.2, view[1] + 30, view[2] - 10])
    assert out["transform"].endswith("scale(1.2)")
    assert out["hash"] == "#view=" + out["panned"]  # a reload shows the same view
    assert out["fitted"] == "1,0,0"
    assert out["links"] > 0 and out["loopDiagrams"] == 2  # the whole design, then each loop
    lit = {opacity for in_loop, opacity in out["edges"] if in_loop}
    dim = {opacity for in_loop, opacity in out["edges"] if not in_loop}
    assert lit == {"1"} and dim == {"0.15"}


@pytest.mark.slow
def test_screenshots_of_the_review_page(review_page: Path, tmp_path: Path) -> None:
    url = review_page.as_uri()
    screenshot(url, tmp_path / "p", "review-workspace.png", height=2600)
    screenshot(url + "#loop=loop-1", tmp_path / "p", "review-one-loop.png")
    screenshot(url + "#view=2.2,-500,-300", tmp_path / "p", "review-zoomed.png")
    dom = headless(url + "#view=2.2,-500,-300&loop=loop-1", tmp_path / "p", 1000)
    assert re.search(r'<svg[^>]*data-loopdsl-view="2.2,-500,-300"', dom)
    assert re.search(r'<g id="edge\d+" class="edge[^"]*loop-1[^"]*" style="opacity: 1', dom)
    assert re.search(r'<g id="edge\d+" class="edge" style="opacity: 0.15', dom)


READABLE_CHECK = """<script>
window.addEventListener("load", function () {
  var out = {};
  var texts = function () {
    return Array.prototype.map.call(document.querySelectorAll("#diagram g.node text"),
      function (t) { return t.getBoundingClientRect().height; }); };
  out.opened = document.querySelector("#diagram svg").getAttribute("data-loopdsl-view");
  out.smallest = Math.min.apply(null, texts());
  out.box = document.getElementById("diagram").getBoundingClientRect().height;
  document.getElementById("fit").click();
  out.fitted = document.querySelector("#diagram svg").getAttribute("data-loopdsl-view");
  out.fittedSmallest = Math.min.apply(null, texts());
  var pre = document.createElement("pre");
  pre.textContent = "RESULT:" + JSON.stringify(out) + ":END";
  document.body.appendChild(pre);
});
</script>
"""


@pytest.mark.slow
def test_a_wide_diagram_opens_at_a_readable_size_in_chromium(tmp_path: Path) -> None:
    # Twelve pipelines side by side: wide whichever way they are drawn.
    lines = ['system grid "A grid of pipelines" {', '  owner: "x"']
    for i in range(12):
        steps = [f"c{i}", *(f"m{i}_{j}" for j in range(8)), f"u{i}", f"f{i}"]
        lines += [f"  context c{i}", *(f"  model m{i}_{j}" for j in range(8)),
                  f"  interface u{i}", f"  feedback f{i}",
                  f"  loop l{i} {{ {' -> '.join([*steps, steps[0]])} }}"]
    (tmp_path / "grid.loop").write_text("\n".join([*lines, "}"]) + "\n")
    page = tmp_path / "review.html"
    subprocess.run([loopdsl_executable(), "doc", "grid.loop", "-o", str(page)], cwd=tmp_path,
                   check=True, capture_output=True, timeout=60)
    out = checked_in_chromium(page, READABLE_CHECK, tmp_path / "p")
    assert float(out["opened"].split(",")[0]) > 1  # zoomed in from the page's width ...
    assert out["smallest"] >= 9  # ... to where node text reads (px)
    assert 300 <= out["box"] <= 800 + 20  # a box as tall as the window allows (80%)
    assert out["fitted"] == "1,0,0" and out["fittedSmallest"] < out["smallest"]  # whole again
