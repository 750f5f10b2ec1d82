"""Diagrams: golden DOT and Mermaid for the examples, hostile labels through
the real `dot` and the real Mermaid library in headless Chromium, and the
missing-Graphviz path."""

from __future__ import annotations

import html
import json
import math
import os
import re
import shutil
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import (
    EXAMPLES,
    HOSTILE,
    chromium,
    example_workspace,
    hostile_workspace,
    loopdsl_executable,
)
from loopdsl import loads
from loopdsl.render.dot import to_dot
from loopdsl.render.mermaid import to_mermaid

GOLDEN = Path(__file__).parent / "golden"
MERMAID_DIR = Path(__file__).parent / "mermaid"
EXAMPLE_DIRS = sorted(p for p in EXAMPLES.iterdir() if p.is_dir())

# --- golden files and determinism -------------------------------------------------------


@pytest.mark.parametrize("folder", EXAMPLE_DIRS, ids=lambda p: p.name)
@pytest.mark.parametrize(("render", "suffix"), [(to_dot, ".dot"), (to_mermaid, ".mmd")])
def test_golden_diagrams(folder, render, suffix):
    got = render(example_workspace(folder))
    assert got == render(example_workspace(folder))  # same input, same bytes
    golden = GOLDEN / f"{folder.name}{suffix}"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.write_text(got)
    assert golden.read_text() == got, f"run with UPDATE_GOLDEN=1 to accept changes to {golden}"


def test_what_the_picture_says():
    ws = example_workspace(EXAMPLES / "coding-agent")
    dot = to_dot(ws)
    assert re.search(r'"coding_agent.planner" \[label="Planner and coder\\nplanner «model»"'
                     r'.*shape=box', dot)
    assert "shape=hexagon" in dot and "shape=note" in dot and "shape=component" in dot
    # flows leaving feedback are dashed, the others not
    assert re.search(r'"coding_agent.review" -> "coding_agent.lessons" \[[^]]*style=dashed',
                     dot)
    assert not re.search(r'"coding_agent.planner" -> "coding_agent.shell" \[[^]]*style=dashed',
                         dot)
    # each loop has its colour, named in the legend
    act = re.search(r'"coding_agent.planner" -> "coding_agent.shell" \[[^]]*'
                    r'color="(#[0-9A-F]{6})"', dot).group(1)
    learn = re.search(r'"coding_agent.planner" -> "coding_agent.pull_request" \[[^]]*'
                      r'color="(#[0-9A-F]{6})"', dot).group(1)
    assert act != learn
    assert f'<font color="{act}">' in dot and "loop Act until the tests pass (act)" in dot
    mermaid = to_mermaid(ws)
    assert "n8 -.-> n2" in mermaid and "n3 --> n4" in mermaid


def test_several_systems_become_clusters():
    dot = to_dot(example_workspace(EXAMPLES / "recommender"))
    assert dot.count("subgraph cluster_c") == 2
    assert 'label="Product catalog"' in dot
    assert to_mermaid(example_workspace(EXAMPLES / "recommender")).count("subgraph c") == 2
    assert "subgraph cluster" not in to_dot(example_workspace(EXAMPLES / "coding-agent"))


def test_a_diagram_without_its_legend():
    ws = example_workspace(EXAMPLES / "voice-assistant")
    assert "Legend" in to_dot(ws) and "Legend" not in to_dot(ws, legend=False)
    assert "Legend" in to_mermaid(ws) and "Legend" not in to_mermaid(ws, legend=False)


def test_one_loop_only():
    ws = example_workspace(EXAMPLES / "coding-agent")
    dot = to_dot(ws, loop="act")
    assert "Planner and coder" in dot and "Pull request" not in dot
    assert to_dot(ws, loop="coding_agent.act") == dot
    from loopdsl.render.view import ViewError

    with pytest.raises(ViewError, match=r"loops: coding_agent\.act, coding_agent\.learn"):
        to_dot(ws, loop="nope")


def test_findings_are_outlined_with_messages_as_tooltips():
    from loopdsl import lint

    ws = loads('system s { owner: "x"\n context c\n model m\n interface ui\n c -> m -> ui\n'
               ' loop l { c -> m }\n}')
    findings = lint(ws)
    dot = to_dot(ws, findings=findings)
    ui = re.search(r'"s.ui" \[[^]]*\]', dot).group(0)
    assert 'color="#C62828"' in ui and "penwidth=3" in ui and "LD102" in ui  # tooltip
    assert "(has findings)" in dot  # loop l is not closed: its legend entry says so
    assert "outlined: has a finding of severity error" in dot  # a key for the colours
    assert "s.ui: ui (interface, kind interface)" in ui  # the tooltip names the node
    mermaid = to_mermaid(ws, findings=findings)
    assert "class n2 finding_error" in mermaid
    # the loop keeps its colour in the legend; its findings colour the text
    assert "style legend_loop0 fill:#FFFFFF,stroke:#0072B2,stroke-width:2px,color:#C62828" \
        in mermaid


def test_legends_say_what_shapes_colours_and_bounds_mean():
    ws = loads('system s { owner: "x"\n context c\n model m\n interface ui\n feedback f\n'
               ' loop l "Learn" { max_iterations: 4  budget_ms: 2500  c -> m -> ui -> f -> c }\n}')
    dot, mermaid = to_dot(ws), to_mermaid(ws)
    for text in (dot, mermaid):
        assert "information for a model" in text and "a signal about outcomes" in text
        assert "Learn (l) · at most 4 turns · budget 2500 ms" in text
    assert "hexagon" not in dot.split("legend [")[1]  # no Graphviz shape names in it
    assert '<font color="#0072B2">━━▶ ╌╌▶</font>' in dot  # the way back in the loop's colour


def test_custom_kind_shape_and_colour_with_unsafe_values_ignored():
    ws = loads('kind store: context { shape: "cylinder", color: "#336699" }\n'
               'kind evil: model { shape: "box]; x [label=pwned", color: "red\\"; x" }\n'
               'system s { store db\n evil m\n db -> m }')
    dot = to_dot(ws)
    assert re.search(r'"s.db" \[[^]]*fillcolor="#336699"[^]]*shape=cylinder', dot)
    assert "pwned" not in dot and 'red"' not in dot


def test_direction():
    ws = example_workspace(EXAMPLES / "coding-agent")
    assert "rankdir=TB" in to_dot(ws, direction="TB")
    assert to_mermaid(ws, direction="TB").splitlines()[3] == "flowchart TB"


# --- the real dot ---------------------------------------------------------------------


def svg_text(svg: bytes) -> str:
    root = ET.fromstring(svg)
    return "\n".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text"))


def test_dot_is_installed():
    assert shutil.which("dot"), "Graphviz's dot is required (apt-get install graphviz)"


@pytest.mark.parametrize("folder", EXAMPLE_DIRS, ids=lambda p: p.name)
def test_every_example_renders_to_svg_with_real_dot(run, folder, tmp_path):
    loop_file = sorted(folder.glob("*.loop"))[-1]
    out = tmp_path / "out.svg"
    result = run("render", loop_file.name, "-o", str(out), "--findings", cwd=folder)
    assert result.exit_code == 0, result.output
    root = ET.fromstring(out.read_bytes())
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert "Legend" in svg_text(out.read_bytes())


def test_hostile_labels_through_real_dot():
    from loopdsl.render.dot import to_image

    svg = to_image(to_dot(hostile_workspace()), "svg")
    shown = svg_text(svg)
    for label in HOSTILE:
        for line in label.split("\n"):
            assert line in shown, line
    root = ET.fromstring(svg)
    assert not [e for e in root.iter() if e.tag.endswith("script")]
    assert b"<b>" not in svg and b"<script>" not in svg


@pytest.mark.parametrize("fmt", ["png", "pdf"])
def test_binary_formats(run, tmp_path, fmt):
    folder = EXAMPLES / "voice-assistant"
    out = tmp_path / f"voice.{fmt}"
    assert run("render", "voice.loop", "-f", fmt, "-o", str(out), cwd=folder).exit_code == 0
    magic = {"png": b"\x89PNG", "pdf": b"%PDF"}[fmt]
    assert out.read_bytes().startswith(magic)


def test_default_output_name_and_stdout(run, tmp_path):
    shutil.copytree(EXAMPLES / "coding-agent", tmp_path / "agent")
    folder = tmp_path / "agent"
    assert run("render", "agent.loop", cwd=folder).exit_code == 0
    assert (folder / "agent.svg").read_bytes().startswith(b"<?xml")
    assert run("render", "agent.loop", "-f", "mermaid", cwd=folder).exit_code == 0
    assert (folder / "agent.mmd").read_text().startswith("---\ntitle:")
    result = run("render", "agent.loop", "-f", "dot", "-o", "-", cwd=folder)
    assert result.stdout.startswith("digraph loopdsl {")


def test_render_refuses_a_broken_workspace(run, write, tmp_path):
    write("bad.loop", "system s { a -> b }")
    result = run("render", "bad.loop", "-o", "bad.svg")
    assert result.exit_code == 1 and "LD002" in result.stderr
    assert not (tmp_path / "bad.svg").exists()


def test_missing_dot_is_a_one_line_error(tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    shutil.copytree(EXAMPLES / "coding-agent", tmp_path / "agent")
    env = {**os.environ, "PATH": str(empty)}
    proc = subprocess.run([loopdsl_executable(), "render", "agent.loop", "-f", "svg"],
                          cwd=tmp_path / "agent", env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1
    for hint in ("apt-get install graphviz", "brew install graphviz", "winget",
                 "-f dot", "-f mermaid"):
        assert hint in proc.stderr
    assert not (tmp_path / "agent" / "agent.svg").exists()
    for fmt in ("dot", "mermaid"):
        proc = subprocess.run([loopdsl_executable(), "render", "agent.loop", "-f", fmt,
                               "-o", "-"], cwd=tmp_path / "agent", env=env,
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr


# --- the real Mermaid, in headless Chromium ------------------------------------------------


def mermaid_results(cases: list[tuple[str, str]]) -> dict[str, dict]:
    library = MERMAID_DIR / "node_modules" / "mermaid" / "dist" / "mermaid.min.js"
    assert library.is_file(), "run `npm ci --prefix tests/mermaid` (as .ci/run does)"
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "check.html"
        page.write_text((MERMAID_DIR / "check.html").read_text().replace(
            "MERMAID_JS", library.as_uri()))
        (Path(tmp) / "cases.js").write_text("window.CASES = " + json.dumps(cases) + ";")
        proc = subprocess.run(
            [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", f"--user-data-dir={tmp}/profile", "--allow-file-access-from-files",
             "--virtual-time-budget=60000", "--dump-dom", page.as_uri()],
            capture_output=True, text=True, timeout=300)
    m = re.search(r"RESULT:(.*?)</pre>", proc.stdout, re.S)
    assert m, f"no result from Chromium: {proc.stdout[-500:]} {proc.stderr[-500:]}"
    return {r["name"]: r for r in json.loads(html.unescape(m.group(1)))}


@pytest.mark.slow
def test_mermaid_accepts_every_example_and_hostile_labels():
    cases = [(folder.name, to_mermaid(example_workspace(folder))) for folder in EXAMPLE_DIRS]
    cases.append(("hostile", to_mermaid(hostile_workspace())))
    cases.append(("one loop, no legend", to_mermaid(example_workspace(EXAMPLES / "coding-agent"),
                                                    loop="act", legend=False)))
    findings_ws = loads('system s { owner: "x"\n context c\n model m\n interface ui\n'
                        ' feedback f\n c -> m -> ui\n loop l { c -> m }\n}')
    from loopdsl import lint

    cases.append(("findings of every severity", to_mermaid(findings_ws,
                                                           findings=lint(findings_ws))))
    cases.append(("control: broken on purpose", "flowchart LR\n  a --> end\n"))
    results = mermaid_results(cases)
    assert not results["control: broken on purpose"]["ok"]  # the check can fail
    for name, _ in cases[:-1]:
        assert results[name]["ok"], f"{name}: {results[name].get('error')}"
        assert results[name]["scripts"] == 0
    shown = results["hostile"]["text"]
    for label in HOSTILE:
        for line in label.split("\n"):
            assert line in shown, line


@pytest.mark.parametrize(("args", "magic"), [
    (["render", "agent.loop", "-o", "map.png"], b"\x89PNG"),
    (["render", "agent.loop", "-o", "map.pdf"], b"%PDF"),
    (["render", "agent.loop", "-o", "map.dot"], b"digraph"),
    (["render", "agent.loop", "-o", "map.mmd"], b"---\ntitle"),
    (["doc", "agent.loop", "-o", "review.html"], b"<!DOCTYPE html>"),
    (["doc", "agent.loop", "-o", "review.md"], b"# Design review"),
])
def test_the_format_follows_the_output_s_extension(run, tmp_path, args, magic):
    shutil.copy(EXAMPLES / "coding-agent" / "agent.loop", tmp_path / "agent.loop")
    assert run(*args, cwd=tmp_path).exit_code == 0
    assert (tmp_path / args[-1]).read_bytes().startswith(magic)


@pytest.mark.parametrize("args", [
    ["render", "agent.loop", "-f", "dot", "-o", "map.png"],
    ["render", "agent.loop", "-f", "svg", "-o", "map.mmd"],
    ["doc", "agent.loop", "-f", "md", "-o", "review.html"],
])
def test_a_format_that_contradicts_the_extension_is_a_usage_error(run, tmp_path, args):
    shutil.copy(EXAMPLES / "coding-agent" / "agent.loop", tmp_path / "agent.loop")
    result = run(*args, cwd=tmp_path)
    assert result.exit_code == 2 and "contradicts" in result.stderr
    assert not (tmp_path / args[-1]).exists()


def test_doc_takes_a_direction(run, tmp_path):
    shutil.copy(EXAMPLES / "coding-agent" / "agent.loop", tmp_path / "agent.loop")
    assert run("doc", "agent.loop", "--direction", "LR", "-o", "r.md",
               cwd=tmp_path).exit_code == 0
    assert "flowchart LR" in (tmp_path / "r.md").read_text()


def shape(name: str, nodes: int, flows: list[tuple[int, int]]) -> str:
    lines = [f"system {name} {{"]
    lines += [f'  {"context" if i == 0 else "model"} n{i} "Step number {i}"' for i in range(nodes)]
    lines += [f"  n{a} -> n{b}" for a, b in flows]
    return "\n".join([*lines, "}", ""])


@pytest.mark.parametrize(("text", "expected"), [
    (shape("chain", 8, [(i, i + 1) for i in range(7)]), "TB"),  # long: top to bottom
    (shape("hub", 12, [(0, i) for i in range(1, 12)]), "LR"),  # tall already
    (shape("pair", 3, [(0, 1), (1, 2)]), "LR"),  # small: the legend keeps it in shape
    (shape("ring", 6, [(i, (i + 1) % 6) for i in range(6)]), "TB"),  # a cycle, no way back
    ("system empty {}\n", "LR"),
])
def test_the_direction_follows_the_design_s_shape(text, expected):
    ws = loads(text)
    assert not ws.files[0].syntax_error
    assert to_dot(ws).count(f"rankdir={expected}") == 1
    assert to_mermaid(ws).splitlines()[3] == f"flowchart {expected}"


@pytest.mark.parametrize("folder", EXAMPLE_DIRS, ids=lambda p: p.name)
def test_the_chosen_direction_reads_better_with_real_dot(folder):
    """Measured with Graphviz: auto's picture is nearer a page's 4:3 than the other."""
    from loopdsl.render.dot import to_image

    def aspect(dot: str) -> float:
        m = re.search(rb'<svg width="(\d+)pt" height="(\d+)pt"', to_image(dot, "svg"))
        assert m
        return int(m.group(1)) / int(m.group(2))

    auto = to_dot(example_workspace(folder))
    other = auto.replace("rankdir=TB", "rankdir=LR") if "rankdir=TB" in auto else \
        auto.replace("rankdir=LR", "rankdir=TB")
    assert abs(math.log(aspect(auto) / (4 / 3))) <= abs(math.log(aspect(other) / (4 / 3)))


def test_large_designs_bound_dot_s_layout_passes():
    small = to_dot(example_workspace(EXAMPLES / "support-assistant"))
    large = to_dot(loads(shape("big", 200, [(i, i + 1) for i in range(199)])))
    assert "nslimit" not in small and "mclimit" not in small
    assert "mclimit=0.1 nslimit=1 nslimit1=1" in large


def test_a_loop_keeps_its_colour_in_every_diagram():
    """The overview, a loop's own diagram (`render --loop`, the review's) and
    Mermaid give each loop one colour."""
    from loopdsl.render.view import build_view

    ws = example_workspace(EXAMPLES / "recommender")
    loops = ws.loops()
    assert len(loops) >= 2
    overview = {name: color for name, color, _ in build_view(ws).loops}
    for lp in loops:
        (row,) = build_view(ws, loop=f"{lp.system}.{lp.id}").loops
        assert overview[row[0]] == row[1], lp.id
        assert row[1] in to_mermaid(ws, loop=f"{lp.system}.{lp.id}")


def test_svg_titles_name_the_nodes_and_flows():
    """What a screen reader, or anyone reading the SVG, is told of each shape."""
    from loopdsl.render.dot import to_image

    ws = loads('system s { owner: "x"\n context c\n model m\n interface ui\n feedback f\n'
               ' loop l { c -> m -> ui -> f -> c }\n m -> p.kb }\n'
               'system p { owner: "x"\n context kb }')
    svg = to_image(to_dot(ws), "svg").decode()
    titles = re.findall(r"<title>([^<]*)</title>", svg)
    assert {"s.c", "s.m", "s.ui", "s.f", "p.kb"} <= set(titles)
    assert {"c → m", "m → ui", "ui → f", "f → c", "s.m → p.kb"} <= set(titles)
    assert not [t for t in titles if re.fullmatch(r"n\d+(&#45;&gt;n\d+)?", t)]


def test_legends_key_every_severity_they_show_in_a_stable_order():
    from loopdsl import lint

    # A warning sits only on a loop (LD202: over budget), an error on a node
    # (LD102: an interface whose outcomes nobody observes), nothing at info.
    ws = loads('system s { owner: "x"\n context c\n model m { latency_ms: 100 }\n'
               ' interface ui\n interface x\n feedback f\n m -> x\n'
               ' loop l { budget_ms: 10  c -> m -> ui -> f -> c }\n}')
    findings = [d for d in lint(ws) if d.code in ("LD102", "LD202")]
    assert {d.code for d in findings} == {"LD102", "LD202"}
    severities = {d.severity.value for d in findings}
    dot, mermaid = to_dot(ws, findings=findings), to_mermaid(ws, findings=findings)
    for sev in severities:
        assert f"has a finding of severity {sev}" in dot, sev
        assert f"has a finding of severity {sev}" in mermaid, sev
    # Mermaid keeps the rows in order: roles, loops, the way back, severities.
    chain = re.findall(r"^    (legend_\w+) ~~~ (legend_\w+)$", mermaid, re.M)
    order = [chain[0][0]] + [b for _, b in chain]
    assert order[:4] == ["legend_context", "legend_model", "legend_interface", "legend_feedback"]
    assert order.index("legend_back") < min(order.index(f"legend_{s}") for s in severities)
    assert to_mermaid(ws, findings=findings) == mermaid  # the same bytes again


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_dot_labels_are_quoted_as_the_graphviz_package_quotes_them(value):
    from graphviz.quoting import quote

    from loopdsl.render.dot import _quote, text

    assert _quote(text(value)) == quote(text(value))
