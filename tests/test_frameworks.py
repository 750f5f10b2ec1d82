"""`drift`, `import` and `graph` on every framework's example app, through
every route (`--app`, the framework's option, `--graph-json` of `graph`'s
output, LangGraph's own JSON), with deliberate edits giving the right code at
the right line. The real console script imports the real frameworks."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import subprocess_run as cli

pytestmark = pytest.mark.slow

EXAMPLES = Path(__file__).parent.parent / "examples"

# folder, the framework's option, MODULE:ATTR
APPS = [
    ("langgraph-agent", "--langgraph", "app:graph"),
    ("burr-review", "--burr", "app:app"),
    ("openai-agents-support", "--openai-agents", "app:triage"),
    ("pydantic-graph-research", "--pydantic-graph", "app:graph"),
    ("llama-index-rag", "--llama-index", "app:AnswerFlow"),
    ("adk-blog-writer", "--adk", "app:root_agent"),
]


def reported(proc: subprocess.CompletedProcess[str]) -> list[tuple[str, int]]:
    assert "internal error" not in proc.stderr, proc.stderr
    assert proc.stdout, proc.stderr
    return sorted((f["code"], f["line"]) for f in json.loads(proc.stdout))


def copy(tmp_path: Path, folder: str) -> Path:
    work = tmp_path / folder
    shutil.copytree(EXAMPLES / folder, work)
    return work


@pytest.mark.parametrize(("folder", "option", "target"), APPS, ids=[a[0] for a in APPS])
def test_every_route_finds_the_example_clean(tmp_path, folder, option, target):
    work = copy(tmp_path, folder)
    written = cli("graph", "--app", target, "-o", "graph.json", cwd=work)
    assert written.returncode == 0, written.stderr
    graph = json.loads((work / "graph.json").read_text())
    assert graph["loopdsl_graph"] == 1 and graph["framework"] == option[2:]
    for source in (["--app", target], [option, target], ["--graph-json", "graph.json"]):
        proc = cli("drift", "design.loop", *source, "-f", "json", cwd=work)
        assert reported(proc) == [] and proc.returncode == 0, (source, proc.stdout)
    # the same graph, written twice, is the same bytes
    again = cli("graph", option, target, cwd=work)
    assert again.stdout == (work / "graph.json").read_text()


@pytest.mark.parametrize(("folder", "option", "target"), APPS, ids=[a[0] for a in APPS])
def test_import_then_drift_is_clean_and_says_what_to_do(tmp_path, folder, option, target):
    work = copy(tmp_path, folder)
    assert cli("import", "--app", target, "-o", "imported.loop", cwd=work).returncode == 0
    assert cli("graph", "--app", target, "-o", "graph.json", cwd=work).returncode == 0
    text = (work / "imported.loop").read_text()
    for source in (["--app", target], [option, target], ["--graph-json", "graph.json"]):
        proc = cli("drift", "imported.loop", *source, "-f", "json", cwd=work)
        assert reported(proc) == [], (text, proc.stdout)
    checked = json.loads(cli("check", "-f", "json", "imported.loop", cwd=work).stdout)
    codes = sorted({f["code"] for f in checked})
    # The header names every code check reports, with how many, and a next step.
    for code in codes:
        count = sum(f["code"] == code for f in checked)
        assert f"#   {code} \u00d7{count} (" in text, (code, text)
    assert "LD201" in codes  # no owner in code: the header says to add one
    assert cli("fmt", "--check", "imported.loop", cwd=work).returncode == 0


def test_import_names_the_system_after_the_app_and_the_loops_after_their_entry(tmp_path):
    expected = {
        "openai-agents-support": ("system triage {", "loop triage {"),
        "pydantic-graph-research": ("system research_writer {", "loop draft {"),
        "adk-blog-writer": ("system blog_writer {", "loop writer {\n    max_iterations: 3"),
        "llama-index-rag": ("system app {", "loop retrieve {"),  # a workflow has no name
    }
    for folder, option, target in APPS:
        if folder not in expected:
            continue
        work = copy(tmp_path, folder)
        text = cli("import", option, target, cwd=work).stdout
        for line in expected[folder]:
            assert line in text, (folder, text)


# (folder, file, old text, new text, expected findings); each old text is in its file.
EDITS = [
    # OpenAI Agents SDK
    ("openai-agents-support", "app.py", "           record_rating],", "           ],",
     [("LD301", 13)]),
    # no handoff: the refunds agent and its own tool are no longer reachable
    ("openai-agents-support", "app.py", "    handoffs=[refunds],", "    handoffs=[],",
     [("LD301", 9), ("LD301", 12)]),
    ("openai-agents-support", "app.py", "tools=[lookup_order, issue_refund]",
     "tools=[lookup_order, issue_refund, record_rating]",
     [("LD304", 3), ("LD304", 3), ("LD306", 3)]),
    ("openai-agents-support", "design.loop", 'entry: ["triage"]', 'entry: ["refunds"]',
     [("LD307", 3)]),
    # pydantic-graph
    ("pydantic-graph-research", "app.py", "    g.edge_from(plan).to(search),\n",
     "    g.edge_from(plan).to(search),\n    g.edge_from(plan).to(draft),\n", [("LD304", 3)]),
    ("pydantic-graph-research", "app.py", '.label("revise")', '.label("again")', []),
    ("pydantic-graph-research", "app.py", ".transform(lambda ctx: ctx.state.notes).to(draft))",
     ".to(plan))", [("LD303", 22), ("LD304", 3), ("LD306", 3)]),
    # LlamaIndex Workflows
    ("llama-index-rag", "app.py", "-> Retry | StopEvent:", "-> StopEvent:",
     [("LD303", 21)]),
    ("llama-index-rag", "app.py", "ev: StartEvent | Retry", "ev: Retry",
     [("LD307", 3)]),
    # Google ADK
    ("adk-blog-writer", "app.py", "tools=[search_web],", "tools=[],", [("LD301", 9)]),
    ("adk-blog-writer", "app.py", "sub_agents=[writer, critic]", "sub_agents=[writer]",
     [("LD301", 11), ("LD304", 3), ("LD304", 3)]),  # writer -> writer, writer -> publisher
    ("adk-blog-writer", "design.loop", "  critic -> publisher\n", "", [("LD304", 3)]),
]


@pytest.mark.parametrize("edit", EDITS, ids=[f"{e[0]}:{e[2][:30]}" for e in EDITS])
def test_deliberate_edits_give_the_right_code_at_the_right_line(tmp_path, edit):
    folder, file, old, new, expected = edit
    option, target = next((o, t) for f, o, t in APPS if f == folder)
    work = copy(tmp_path, folder)
    text = (work / file).read_text()
    assert old in text, old
    (work / file).write_text(text.replace(old, new, 1))
    proc = cli("drift", "design.loop", option, target, "-f", "json", cwd=work)
    assert reported(proc) == sorted(expected), proc.stdout
    assert proc.returncode == (1 if expected else 0)


# --- LangGraph: subgraphs, routers, entry, bounds, factories -----------------------------

SUBGRAPH_APP = '''
from typing import Literal, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.types import interrupt


class State(TypedDict, total=False):
    question: str
    approved: bool


def plan(state): return {}
def search(state): return {}
def answer(state): return {}


def review(state):
    """A person approves the answer."""
    return {"approved": interrupt("approve?")}


def after_research(state) -> Literal["answer", "__end__"]:
    return "answer"


def after_review(state):
    if state.get("approved"):
        return "done"
    return "again"


def build_graph():
    research = StateGraph(State)
    research.add_node("plan", plan)
    research.add_node("search", search)
    research.add_edge(START, "plan")
    research.add_edge("plan", "search")
    research.add_edge("search", END)

    outer = StateGraph(State)
    outer.add_node("research", research.compile())
    outer.add_node("answer", answer)
    outer.add_node("review", review)
    outer.add_edge(START, "research")
    outer.add_conditional_edges("research", after_research)
    outer.add_edge("answer", "review")
    outer.add_conditional_edges("review", after_review, {"done": END, "again": "research"})
    return outer.compile(name="Research Agent").with_config(recursion_limit=12)
'''


def _subgraph_app(tmp_path: Path, source: str = SUBGRAPH_APP) -> Path:
    (tmp_path / "deep.py").write_text(textwrap.dedent(source))
    subprocess.run([sys.executable, "-c", textwrap.dedent("""
        import json, deep
        g = deep.build_graph()
        json.dump(g.get_graph().to_json(), open("plain.json", "w"), default=str)
        json.dump(g.get_graph(xray=True).to_json(), open("xray.json", "w"), default=str)
    """)], cwd=tmp_path, check=True, timeout=120)
    return tmp_path


def test_a_subgraph_app_through_a_factory_and_every_route(tmp_path):
    work = _subgraph_app(tmp_path)
    written = cli("import", "--app", "deep:build_graph", "-o", "design.loop", cwd=work)
    assert written.returncode == 0, written.stderr
    text = (work / "design.loop").read_text()
    assert "system Research_Agent {" in text  # the app's own name, made an id
    assert 'model research_plan { impl: "research:plan" }' in text  # no island
    assert "feedback review" in text  # it calls interrupt(): a person's answer
    assert 'entry: ["research_plan"]' in text
    assert "loop research_plan {\n    max_iterations: 12" in text  # recursion_limit
    assert "research_search -> answer" in text  # out of the subgraph from its exit
    assert cli("graph", "--langgraph", "deep:build_graph", "-o", "graph.json",
               cwd=work).returncode == 0
    for source in (["--app", "deep:build_graph"], ["--langgraph", "deep:build_graph"],
                   ["--graph-json", "graph.json"], ["--graph-json", "xray.json"],
                   ["--graph-json", "plain.json"]):
        proc = cli("drift", "design.loop", *source, "-f", "json", cwd=work)
        assert reported(proc) == [] and proc.returncode == 0, (source, proc.stdout)


def test_a_design_showing_the_subgraph_as_one_node(tmp_path):
    work = _subgraph_app(tmp_path)
    (work / "design.loop").write_text(textwrap.dedent("""\
        system agent {
          owner: "x"
          model research
          model answer
          feedback review
          review -> research
          loop work { max_iterations: 5  research -> answer -> review -> research }
        }
    """))
    for source in (["--app", "deep:build_graph"], ["--graph-json", "xray.json"],
                   ["--graph-json", "plain.json"]):
        proc = cli("drift", "design.loop", *source, "-f", "json", cwd=work)
        assert reported(proc) == [], (source, proc.stdout)


@pytest.mark.parametrize(("old", "new", "expected"), [
    # the router can return a value its path map lacks: a KeyError at run time
    ('        return "done"', '        return "escalate"',
     [("LD308", "feedback review"), ("LD309", "feedback review")]),
    # a path-map branch the router never returns
    ('return "again"', 'return "done"', [("LD309", "feedback review")]),
    # the entry moved from the subgraph to the answer
    ('outer.add_edge(START, "research")', 'outer.add_edge(START, "answer")',
     [("LD307", "system ")]),
], ids=["unmapped route", "dead branch", "entry moved"])
def test_what_no_drawing_shows(tmp_path, old, new, expected):
    work = _subgraph_app(tmp_path)
    assert cli("import", "--app", "deep:build_graph", "-o", "design.loop",
               cwd=work).returncode == 0
    lines = (work / "design.loop").read_text().splitlines()
    assert old in SUBGRAPH_APP
    (work / "deep.py").write_text(textwrap.dedent(SUBGRAPH_APP.replace(old, new)))
    proc = cli("drift", "design.loop", "--app", "deep:build_graph", "-f", "json", cwd=work)
    at = [(code, next(i for i, line in enumerate(lines, 1) if line.lstrip().startswith(where)))
          for code, where in expected]
    assert reported(proc) == sorted(at), proc.stdout


@pytest.mark.parametrize(("source", "message"), [
    ("def make(name):\n    return None\n", "is a function that needs arguments"),
    ("async def make():\n    return None\n", "is a coroutine function"),
    ("def make():\n    raise RuntimeError('no key')\n", "'m:make()' failed: RuntimeError: no key"),
    ("def make():\n    return 42\n", "is not a graph, agent or application"),
])
def test_factories_that_cannot_give_a_graph_are_one_line_errors(tmp_path, source, message):
    (tmp_path / "m.py").write_text(source)
    proc = cli("graph", "--app", "m:make", cwd=tmp_path)
    assert proc.returncode == 2 and message in proc.stderr, proc.stderr
    assert len(proc.stderr.splitlines()) == 1 and proc.stdout == ""


def test_a_framework_option_checks_the_type(tmp_path):
    work = copy(tmp_path, "adk-blog-writer")
    proc = cli("graph", "--langgraph", "app:root_agent", cwd=work)
    assert proc.returncode == 2
    assert "not a LangGraph graph" in proc.stderr and "use --app or --adk" in proc.stderr


def test_graph_never_replaces_an_input(tmp_path):
    work = copy(tmp_path, "adk-blog-writer")
    before = (work / "app.py").read_text()
    proc = cli("graph", "--app", "app:root_agent", "-o", "app.py", cwd=work)
    assert proc.returncode == 2 and (work / "app.py").read_text() == before


def test_graph_output_follows_its_schema_and_edits_agree_on_every_route(tmp_path):
    import jsonschema

    work = copy(tmp_path, "langgraph-agent")
    schema = json.loads(cli("schema", "--graph", cwd=work).stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    # an edit: the model may now skip the answer and ask for a rating at once
    text = (work / "app.py").read_text()
    (work / "app.py").write_text(text.replace(
        'builder.add_edge("draft", "respond")',
        'builder.add_edge("draft", "respond")\nbuilder.add_edge("draft", "rate")'))
    assert cli("graph", "--app", "app:graph", "-o", "graph.json", cwd=work).returncode == 0
    jsonschema.validate(json.loads((work / "graph.json").read_text()), schema)
    seen = []
    for source in (["--app", "app:graph"], ["--langgraph", "app:graph"],
                   ["--graph-json", "graph.json"]):
        seen.append(cli("drift", "design.loop", *source, "-f", "json", cwd=work).stdout)
    assert seen[0] == seen[1] == seen[2] and json.loads(seen[0])


def test_a_burr_factory_needs_no_shim(tmp_path):
    work = copy(tmp_path, "burr-review")
    (work / "factory.py").write_text("import app\n\n\ndef application():\n"
                                     "    return app.app\n")
    for option in ("--app", "--burr"):
        proc = cli("drift", "design.loop", option, "factory:application", "-f", "json", cwd=work)
        assert reported(proc) == [] and proc.returncode == 0, proc.stderr


def test_names_from_the_code_never_start_a_statement(tmp_path):
    (tmp_path / "evil.py").write_text(textwrap.dedent('''
        from agents import Agent, function_tool

        @function_tool(name_override='x\\n}\\nsystem pwned {')
        def tool() -> str:
            return ""

        root = Agent(name='desk"\\nsystem pwned {\\n# ', tools=[tool])
    '''))
    proc = cli("import", "--app", "evil:root", "-o", "design.loop", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    exported = json.loads(cli("export", "design.loop", cwd=tmp_path).stdout)
    (system,) = exported["systems"]  # one system: no name started another
    assert system["id"] == "desk__system_pwned_____"
    impls = {n["id"]: n["attributes"].get("impl") for n in system["nodes"]}
    assert impls["x___system_pwned__"] == "x\n}\nsystem pwned {"  # kept, quoted
    assert cli("drift", "design.loop", "--app", "evil:root", cwd=tmp_path).returncode == 0


def test_what_the_app_prints_never_mixes_with_the_output(tmp_path):
    work = copy(tmp_path, "langgraph-agent")
    text = (work / "app.py").read_text()
    (work / "app.py").write_text(text.replace(
        "class State(", 'print("loading the agent...")\n\n\nclass State(').replace(
        "graph = builder.compile()",
        "def build():\n    print('compiling')\n    return builder.compile()\n\n\n"
        "graph = builder.compile()"))
    proc = cli("graph", "--app", "app:build", cwd=work)
    assert proc.returncode == 0 and json.loads(proc.stdout)["loopdsl_graph"] == 1
    assert "loading the agent..." in proc.stderr and "compiling" in proc.stderr
    proc = cli("drift", "design.loop", "--app", "app:build", "-f", "json", cwd=work)
    assert reported(proc) == []
