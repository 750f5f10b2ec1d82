"""Design-review documents: golden Markdown and HTML for the examples,
hostile labels through both formats, and the HTML in headless Chromium: no
console message, no request, and a screenshot kept as a CI artifact."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import (
    EXAMPLES,
    HOSTILE,
    ROOT,
    chromium,
    example_workspace,
    hostile_workspace,
    loopdsl_executable,
)
from loopdsl import lint, loads
from loopdsl.review import build_review
from loopdsl.review.document import _viewer, to_html, to_markdown

GOLDEN = Path(__file__).parent / "golden"
EXAMPLE_DIRS = sorted(p for p in EXAMPLES.iterdir() if p.is_dir())
ARTIFACTS = Path(os.environ.get("LOOPDSL_ARTIFACTS", ROOT / "artifacts"))


def review_of(ws):
    return build_review(ws, lint(ws))


@pytest.mark.parametrize("folder", EXAMPLE_DIRS, ids=lambda p: p.name)
@pytest.mark.parametrize(("render", "suffix"), [(to_markdown, ".review.md"),
                                                (to_html, ".review.html")])
def test_golden_documents(folder, render, suffix):
    got = render(review_of(example_workspace(folder)))  # HTML without SVG: the fallback
    assert got == render(review_of(example_workspace(folder)))
    if render is to_html:  # the viewer's script is the same on every page: kept once, in
        script, digest = _viewer()  # review/templates/viewer.js, and its hash with it
        assert got.count(script) == 1 and got.count(digest) == 1
        got = got.replace(script, "/* review/templates/viewer.js */").replace(
            digest, "sha256-of-viewer.js")
    golden = GOLDEN / f"{folder.name}{suffix}"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.write_text(got)
    assert golden.read_text() == got, f"run with UPDATE_GOLDEN=1 to accept changes to {golden}"


def test_contents_a_reviewer_needs():
    text = """system s "Shop" {
  owner: "team-a"
  description: "Recommends products."
  context c "Catalog" { latency_ms: 100 }
  model m "Ranker" { latency_ms: 900, cost_usd: 0.002 }
  interface ui "Page" { latency_ms: 300 }
  feedback fb "Clicks"
  interface orphan "Old page"
  loop serve "Serve" { budget_ms: 1000  c -> m -> ui -> fb -> c }
  loop tools { max_iterations: 3  m -> c }
}"""
    md = to_markdown(review_of(loads(text)))
    assert "Owner: **team-a**" in md and "Recommends products." in md
    assert "- **Cycle:** c → m → ui → fb → c" in md  # from the loop's entry, its first flow
    assert "- **Learns through feedback:** yes" in md
    assert "- **Latency:** 1300 ms per turn against a budget of 1000 ms — **over budget**" in md
    assert "- **Cost:** 0.002 USD per turn" in md
    assert "- **Iteration bound:** at most 3 turns" in md
    assert "### Errors (2)" in md and "LD102 open-loop" in md and "LD104" in md
    assert "### Warnings (2)" in md
    assert "- [ ] **LD202 loop-over-budget**" in md and "1 finding to discuss" in md
    assert "- [ ] **LD101 model-without-context**" in md  # the reviewer ticks, not loopdsl
    assert "[x]" not in md
    page = to_html(review_of(loads(text)))  # in HTML too: boxes for the reviewer, unticked
    assert page.count('<input type="checkbox">') == len(review_of(loads(text)).checklist) > 0
    assert "checked" not in page and "✔" not in page
    assert re.search(r'id="rule-LD202".*?1 finding to discuss', page, re.S)
    assert md.rstrip().endswith("Source files: &lt;string&gt;.")
    assert not re.search(r"20\d\d-\d\d-\d\d|\d\d:\d\d:\d\d", md)  # no timestamps


def table_rows(md: str) -> list[list[str]]:
    rows = []
    for line in md.splitlines():
        if line.startswith("|"):
            rows.append(re.split(r"(?<!\\)\|", line)[1:-1])
    return rows


def test_hostile_labels_in_markdown():
    md = to_markdown(review_of(hostile_workspace()))
    for row in table_rows(md):
        assert len(row) in (3, 4, 5), row  # no label adds or removes a column
    assert "<script>" not in md and "<b>" not in md
    # the workspace's diagram and the loop's, each fence closed where it should be
    assert md.count("```mermaid") == 2 and md.count("```") == 4
    for block in md.split("```mermaid\n")[1:]:
        assert block.index("```") > block.index("flowchart")
        assert "`" not in block[:block.index("```")]
    assert "ends with a backslash \\\\" in md  # a backslash is escaped, not eating the cell


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.text.append(data)


def test_hostile_labels_in_html():
    from loopdsl.render.dot import to_dot, to_image

    ws = hostile_workspace()
    review = review_of(ws)
    review.svg = to_image(to_dot(ws), "svg").decode()
    page = to_html(review)
    parser = _Text()
    parser.feed(page)
    # the page's one script is loopdsl's viewer: no label became markup or code
    assert parser.tags.count("script") == 1 and "b" not in parser.tags
    assert page.count("<script>") == 1 and "alert(1)</script>" not in page
    shown = "".join(parser.text)
    for label in HOSTILE:
        for line in label.split("\n"):
            assert line in shown, line


# --- in a real browser ----------------------------------------------------------------

BROWSER_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def browse(page: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(
            [chromium(), *BROWSER_FLAGS, f"--user-data-dir={profile}", "--enable-logging=stderr",
             "--v=0", "--virtual-time-budget=5000", *extra, page.as_uri()],
            capture_output=True, text=True, timeout=300)


def requests_made(page_html: str, folder: Path) -> list[str]:
    """Every resource the page loads, with its CSP removed so nothing hides."""
    probe = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", page_html)
    probe = probe.replace("</body>", '<pre id="probe"></pre><script>addEventListener("load", '
                          '() => setTimeout(() => { document.getElementById("probe").textContent '
                          '= "REQUESTS:" + JSON.stringify(performance.getEntriesByType("resource")'
                          '.map(e => e.name)); }, 100));</script></body>')
    path = folder / "probe.html"
    path.write_text(probe)
    out = browse(path, "--dump-dom").stdout
    m = re.search(r"REQUESTS:(.*?)</pre>", out, re.S)
    assert m, out[-300:]
    return json.loads(html.unescape(m.group(1)))


@pytest.mark.slow
def test_html_in_chromium_no_console_no_requests_and_a_screenshot(tmp_path):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    control = tmp_path / "control.html"
    control.write_text('<body><img src="http://127.0.0.1:9/x.png"><script>console.error("boom")'
                       "</script></body>")
    assert "CONSOLE" in browse(control, "--dump-dom").stderr  # the check can fail
    assert requests_made(control.read_text(), tmp_path) == ["http://127.0.0.1:9/x.png"]
    for folder in EXAMPLE_DIRS:
        work = tmp_path / folder.name
        shutil.copytree(folder, work)
        out = work / "review.html"
        proc = subprocess.run([loopdsl_executable(), "doc", ".", "-f", "html", "-o", str(out)],
                              cwd=work, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        page = out.read_text()
        assert "<svg" in page and page.count("<script") == 1  # the viewer, allowed by hash
        # nothing to load: no link or source but in-page anchors and data: URIs
        assert not re.search(r"""(?:src|href)\s*=\s*["'](?!#|data:)|url\((?!data:)""", page)
        console = [line for line in browse(out, "--dump-dom").stderr.splitlines()
                   if "CONSOLE" in line]
        assert console == []
        assert requests_made(page, work) == []
        shot = ARTIFACTS / f"review-{folder.name}.png"
        browse(out, f"--screenshot={shot}", "--window-size=1280,2400")
        assert shot.read_bytes().startswith(b"\x89PNG")


def test_html_without_dot_shows_mermaid_source_with_a_note(tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    shutil.copytree(EXAMPLES / "coding-agent", tmp_path / "agent")
    proc = subprocess.run([loopdsl_executable(), "doc", "agent.loop", "-f", "html"],
                          cwd=tmp_path / "agent", env={**os.environ, "PATH": str(empty)},
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    page = (tmp_path / "agent" / "agent.html").read_text()
    assert "<svg" not in page and "was not found" in page and "flowchart TB" in page


def test_doc_command(run, write, tmp_path):
    shutil.copytree(EXAMPLES / "voice-assistant", tmp_path / "voice")
    assert run("doc", "voice.loop", cwd=tmp_path / "voice").exit_code == 0
    assert (tmp_path / "voice" / "voice.md").read_text().startswith("# Design review: Voice")
    result = run("doc", "voice.loop", "-o", "-", cwd=tmp_path / "voice")
    assert "```mermaid" in result.stdout
    assert run("doc", ".", cwd=tmp_path / "voice").exit_code == 0  # a folder: workspace.md
    assert (tmp_path / "voice" / "workspace.md").is_file()
    write("bad.loop", "system s { a -> b }")
    assert run("doc", "bad.loop").exit_code == 1


def test_a_bounded_loop_shows_its_worst_case_against_its_budget():
    text = """system s {
  owner: "x"
  context issue
  model patcher { latency_ms: 10000 }
  interface tests { latency_ms: 41000 }
  feedback review
  issue -> patcher -> tests -> review -> issue
  loop fix { max_iterations: 5  budget_ms: 60000  patcher -> tests -> patcher }
}"""
    md = to_markdown(review_of(loads(text)))
    assert "- **Latency:** 51000 ms per turn against a budget of 60000 ms — within budget" in md
    assert "- **Worst case:** 255000 ms over 5 turns — **over the budget**" in md


def test_files_are_named_from_the_workspace_root(run, write, tmp_path):
    write("design/app.loop", 'system s {\n  owner: "x"\n  context c\n}\n')
    result = run("doc", str(tmp_path / "design" / "app.loop"), "-o", "-", cwd=tmp_path.parent)
    assert "Defined in app.loop" in result.stdout and str(tmp_path) not in result.stdout
