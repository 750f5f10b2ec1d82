"""`loopdsl drift` and `loopdsl import` against real LangGraph and Burr apps
built here (plain functions: no model, no network), and against the JSON
LangGraph's get_graph().to_json() writes. Each app is a module written to
tmp_path; the real console script imports it from there."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import subprocess_run as cli

# Each test runs the real console script (and, for drift, imports LangGraph or
# Burr) several times: part of CI, not of the quick loop.
pytestmark = pytest.mark.slow


LANGGRAPH_APP = '''
from typing import Literal, TypedDict

from langgraph.graph import END, START, StateGraph


class State(TypedDict):
    question: str
    answer: str
    tries: int


def retrieve(state: State) -> dict:
    return {}


def draft(state: State) -> dict:
    return {"tries": state.get("tries", 0) + 1}


def check(state: State) -> dict:
    return {}


def route(state: State) -> Literal["draft", "__end__"]:
    return END if state.get("tries", 0) > 2 else "draft"


builder = StateGraph(State)
builder.add_node("retrieve", retrieve, metadata={"loopdsl": {"role": "context"}})
builder.add_node("draft", draft)
builder.add_node("check-answer", check, metadata={"loopdsl": {"role": "feedback"}})
builder.add_edge(START, "retrieve")
builder.add_edge("retrieve", "draft")
builder.add_edge("draft", "check-answer")
builder.add_conditional_edges("check-answer", route)
graph = builder.compile()
'''

DESIGN = """system app {
  owner: "x"
  context question "User question" { external: true }
  context retrieve "Retriever"
  model draft "Drafter"
  feedback checker "Answer check" { impl: "check-answer" }
  question -> retrieve
  retrieve -> draft
  loop improve { max_iterations: 3  draft -> checker -> draft }
}
"""


def app(tmp_path: Path, source: str = LANGGRAPH_APP, design: str = DESIGN,
        name: str = "agent_app") -> Path:
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(source))
    (tmp_path / "design.loop").write_text(design)
    return tmp_path


def reported(proc: subprocess.CompletedProcess[str]) -> list[tuple[str, int]]:
    assert "internal error" not in proc.stderr, proc.stderr
    return [(f["code"], f["line"]) for f in json.loads(proc.stdout)]


def drift(work: Path, *more: str, source: str = "--langgraph",
          target: str = "agent_app:graph") -> subprocess.CompletedProcess[str]:
    return cli("drift", "design.loop", source, target, "-f", "json", *more, cwd=work)


def test_a_design_that_matches_its_code(tmp_path):
    proc = drift(app(tmp_path))
    assert reported(proc) == [] and proc.returncode == 0


def test_every_drift_code_at_its_place_in_the_design(tmp_path):
    code = LANGGRAPH_APP.replace(
        'builder.add_node("draft", draft)',
        'builder.add_node("draft", draft)\n'
        'for extra in ("audit", "tool", "logger"):\n'
        '    builder.add_node(extra, check)\n'
        'builder.add_edge("audit", "tool")\n'
        'builder.add_edge("tool", "audit")\n'
        'builder.add_conditional_edges("tool", lambda s: "audit")\n'
        'builder.add_edge("draft", "logger")',
    ).replace('builder.add_edge("retrieve", "draft")', 'builder.add_edge("retrieve", "audit")')
    design = DESIGN.replace('  model draft "Drafter"\n', '  model draft "Drafter"\n'
                            '  interface publish "Publisher"\n  model audit\n  interface tool\n')
    proc = drift(app(tmp_path, code, design))
    assert proc.returncode == 1
    assert reported(proc) == [
        ("LD302", 1),  # code node 'logger' is not in the design
        ("LD304", 1), ("LD304", 1), ("LD304", 1),  # audit -> tool, retrieve -> audit, tool -> audit
        ("LD306", 1),  # audit <-> tool cycles, and no loop shows it
        ("LD301", 6),  # publish has no code node
        ("LD305", 8),  # tool's router declares no targets
        ("LD303", 11),  # retrieve -> draft has no edge any more
    ]
    golden = Path(__file__).parent / "golden" / "drift.json"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.write_text(proc.stdout)
    assert proc.stdout == golden.read_text()
    messages = {f["code"]: f["message"] for f in json.loads(proc.stdout)}
    assert "'logger'" in messages["LD302"] and "audit, tool" in messages["LD306"]
    assert {f["column"] for f in json.loads(proc.stdout) if f["line"] == 1} == {8}


def test_findings_take_check_s_options_and_suppressions(tmp_path):
    work = app(tmp_path, design=DESIGN.replace('model draft "Drafter"',
                                               'model draft "Drafter"\n  model ghost'))
    assert reported(drift(work)) == [("LD301", 6)]
    assert reported(drift(work, "--ignore", "node-not-implemented")) == []
    (work / "design.loop").write_text(DESIGN.replace(
        'model draft "Drafter"', 'model draft "Drafter"\n  model ghost  # loopdsl: ignore[LD301]'))
    proc = drift(work)
    assert reported(proc) == [] and proc.returncode == 0
    sarif = cli("drift", "design.loop", "--langgraph", "agent_app:graph", "-f", "sarif",
                cwd=work)
    assert json.loads(sarif.stdout)["version"] == "2.1.0"


def test_structural_errors_stop_the_comparison(tmp_path):
    work = app(tmp_path, design=DESIGN.replace("retrieve -> draft", "retrieve -> drafter"))
    proc = drift(work)
    assert [c for c, _ in reported(proc)] == ["LD002"] and proc.returncode == 1


def test_a_subgraph_is_compared_when_the_design_names_its_nodes(tmp_path):
    code = LANGGRAPH_APP + textwrap.dedent('''
        inner = StateGraph(State)
        inner.add_node("plan", draft)
        inner.add_node("act", check)
        inner.add_edge(START, "plan")
        inner.add_edge("plan", "act")
        outer = StateGraph(State)
        outer.add_node("team", inner.compile())
        outer.add_node("report", check)
        outer.add_edge(START, "team")
        outer.add_edge("team", "report")
        graph2 = outer.compile()
    ''')
    design = """system team {
  owner: "x"
  model planner { impl: "team:plan" }
  interface actor { impl: "team:act" }
  interface report
  planner -> actor
}
"""
    work = app(tmp_path, code, design)
    proc = drift(work, target="agent_app:graph2")
    assert reported(proc) == [], proc.stdout


def test_graph_json_needs_no_import(tmp_path):
    work = app(tmp_path)
    dump = subprocess.run(
        [sys.executable, "-c",
         "import json, agent_app; print(json.dumps(agent_app.graph.get_graph().to_json()))"],
        cwd=work, capture_output=True, text=True, timeout=120, check=True)
    (work / "graph.json").write_text(dump.stdout)
    (work / "agent_app.py").unlink()  # nothing of the app is needed any more
    proc = cli("drift", "design.loop", "--graph-json", "graph.json", "-f", "json", cwd=work)
    assert reported(proc) == [] and proc.returncode == 0


BURR_APP = '''
from burr.core import ApplicationBuilder, State, action, default, expr


@action(reads=[], writes=["n"], tags=["loopdsl:context"])
def start(state: State) -> State:
    return state.update(n=0)


@action(reads=["n"], writes=["n"])
def step(state: State) -> State:
    return state.update(n=state["n"] + 1)


@action(reads=["n"], writes=[], tags=["loopdsl:interface"])
def done(state: State) -> State:
    return state


app = (ApplicationBuilder()
       .with_actions(start=start, step=step, done=done)
       .with_transitions(("start", "step"), ("step", "step", expr("n < 3")),
                         ("step", "done", default))
       .with_state(n=0).with_entrypoint("start").build())
'''


def test_burr(tmp_path):
    design = """system counter {
  owner: "x"
  context start
  model step
  interface done
  start -> step -> done
  loop count { max_iterations: 3  step -> step }
}
"""
    work = app(tmp_path, BURR_APP, design, name="burr_app")
    proc = drift(work, source="--burr", target="burr_app:app")
    assert reported(proc) == [] and proc.returncode == 0
    # The retry `step -> step` is compared like any edge: unstated, it is LD304.
    unstated = design.replace("  loop count { max_iterations: 3  step -> step }\n", "")
    (work / "design.loop").write_text(unstated)
    assert reported(drift(work, source="--burr", target="burr_app:app")) == [("LD304", 1)]
    (work / "design.loop").write_text(design.replace("start -> step -> done", "start -> done"))
    assert reported(drift(work, source="--burr", target="burr_app:app")) == [
        ("LD304", 1), ("LD304", 1), ("LD303", 6)]


@pytest.mark.parametrize(("source", "target"), [("--langgraph", "agent_app:graph"),
                                                ("--burr", "burr_app:app")])
def test_import_then_drift_reports_nothing(tmp_path, source, target):
    (tmp_path / "agent_app.py").write_text(textwrap.dedent(LANGGRAPH_APP))
    (tmp_path / "burr_app.py").write_text(textwrap.dedent(BURR_APP))
    written = cli("import", source, target, "-o", "design.loop", cwd=tmp_path)
    assert written.returncode == 0, written.stderr
    text = (tmp_path / "design.loop").read_text()
    assert text.startswith("# A first design of")
    assert cli("fmt", "--check", "design.loop", cwd=tmp_path).returncode == 0
    assert cli("check", "-f", "json", "design.loop", cwd=tmp_path).returncode in (0, 1)
    proc = cli("drift", "design.loop", source, target, "-f", "json", cwd=tmp_path)
    assert reported(proc) == [], text
    if source == "--langgraph":
        assert 'impl: "check-answer"' in text and "feedback check_answer" in text
        assert "loop draft {" in text  # named after its entry


@pytest.mark.parametrize(("args", "message"), [
    (["drift", "design.loop", "--langgraph", "nowhere:graph"], "cannot import 'nowhere'"),
    (["drift", "design.loop", "--langgraph", "agent_app:nothing"], "has no attribute"),
    (["drift", "design.loop", "--langgraph", "agent_app:State"], "is not a LangGraph graph"),
    (["drift", "design.loop", "--burr", "agent_app:graph"], "is not a Burr Application"),
    (["drift", "design.loop"], "exactly one of --app, --langgraph, --burr"),
    (["drift", "design.loop", "--graph-json", "design.loop"], "not a JSON graph"),
    (["drift", "design.loop", "--langgraph", "agent_app"], "is not MODULE:ATTR"),
    (["drift", "design.loop", "--system", "nope", "--langgraph", "agent_app:graph"],
     "no system 'nope'"),
])
def test_apps_that_cannot_be_read_are_one_line_errors(tmp_path, args, message):
    proc = cli(*args, cwd=app(tmp_path))
    assert proc.returncode == 2 and message in proc.stderr, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr


EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.mark.parametrize(("folder", "source", "target"), [
    ("langgraph-agent", "--langgraph", "app:graph"), ("burr-review", "--burr", "app:app")])
def test_the_bundled_examples_match_their_code(tmp_path, folder, source, target):
    import shutil

    work = tmp_path / folder
    shutil.copytree(EXAMPLES / folder, work)
    proc = cli("drift", "design.loop", source, target, "-f", "json", cwd=work)
    assert reported(proc) == [] and proc.returncode == 0
    # a first design imported from the example's code is accepted by drift too
    assert cli("import", source, target, "-o", "imported.loop", cwd=work).returncode == 0
    proc = cli("drift", "imported.loop", source, target, "-f", "json", cwd=work)
    assert reported(proc) == [] and proc.returncode == 0
    checked = cli("check", "-f", "json", "imported.loop", cwd=work)
    assert [f["code"] for f in json.loads(checked.stdout)] == ["LD201"]  # no owner in code


LANGGRAPH_EDITS = {
    "a node removed": (('builder.add_node("respond", respond, metadata={"loopdsl": {"role": '
                        '"interface"}})\n', ""),
                       ('builder.add_edge("draft", "respond")\nbuilder.add_edge("respond", '
                        '"rate")', 'builder.add_edge("draft", "rate")'),
                       [("LD301", 10), ("LD304", 4), ("LD306", 4)]),  # flows to it are not compared
    "an edge added": (('builder.add_edge("respond", "rate")',
                       'builder.add_edge("respond", "rate")\nbuilder.add_edge("retrieve", '
                       '"respond")'), None, [("LD304", 4), ("LD306", 4)]),
    "a router's Literal dropped": (('def retry(state: State) -> Literal["retrieve", "__end__"]:',
                                    "def retry(state: State):"), None,
                                   [("LD305", 11)]),  # its flows: not also LD303
    "a retry cycle added": (('builder.add_edge("draft", "respond")',
                             'builder.add_edge("draft", "respond")\n'
                             'builder.add_edge("draft", "retrieve")'), None,
                            [("LD304", 4), ("LD306", 4)]),  # and merges into the loop
}


@pytest.mark.parametrize("edit", sorted(LANGGRAPH_EDITS))
def test_deliberate_edits_of_the_langgraph_example(tmp_path, edit):
    import shutil

    work = tmp_path / "agent"
    shutil.copytree(EXAMPLES / "langgraph-agent", work)
    first, second, expected = LANGGRAPH_EDITS[edit]
    text = (work / "app.py").read_text()
    for change in (first, second):
        if change is not None:
            assert change[0] in text, change[0]
            text = text.replace(*change)
    (work / "app.py").write_text(text)
    proc = cli("drift", "design.loop", "--langgraph", "app:graph", "-f", "json", cwd=work)
    assert sorted(reported(proc)) == sorted(expected), proc.stdout


@pytest.mark.parametrize(("target", "cwd", "hint"), [
    ("agent_app:grap", ".", "did you mean 'graph'?"),
    ("agent_app.py:graph", ".", "name its module: agent_app:graph"),
    ("sub/agent_app.py:graph", ".", "name its module: sub.agent_app:graph"),
    ("agent_app:graph", "elsewhere", "no module 'agent_app' in the current directory"),
])
def test_a_mistyped_app_gets_a_hint(tmp_path, target, cwd, hint):
    work = app(tmp_path)
    (work / "elsewhere").mkdir()
    where = work / cwd
    proc = cli("drift", str(work / "design.loop"), "--langgraph", target, cwd=where)
    assert proc.returncode == 2 and hint in proc.stderr, proc.stderr
    assert len(proc.stderr.splitlines()) == 1
