"""`loopdsl conform`: traces in the shapes real instrumentations write them
(loopdsl's own attributes, LangGraph's metadata through OpenInference, the
GenAI conventions, an agent span holding its model and tool calls), read
from real files by the real console script."""

from __future__ import annotations

import gzip
import itertools
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import plain_pytest_env, subprocess_run
from loopdsl import loads
from loopdsl.codegen import generate
from loopdsl.render.view import TIMES

_ids = itertools.count(1)


def value(v: Any) -> dict[str, Any]:
    if isinstance(v, bool):
        return {"boolValue": v}
    if isinstance(v, int):
        return {"intValue": str(v)}
    return {"stringValue": v}


def span(trace: str, name: str, start: int, end: int, parent: dict[str, Any] | None = None,
         **attrs: Any) -> dict[str, Any]:
    """A span as the Collector writes it; times in ms, attributes with dots as __."""
    return {"traceId": trace, "spanId": f"{next(_ids):016x}", "name": name,
            **({"parentSpanId": parent["spanId"]} if parent else {}),
            "startTimeUnixNano": str(start * 1_000_000), "endTimeUnixNano": str(end * 1_000_000),
            "attributes": [{"key": k.replace("__", "."), "value": value(v)}
                           for k, v in attrs.items()]}


def otlp(*spans: dict[str, Any]) -> str:
    return json.dumps({"resourceSpans": [{"resource": {}, "scopeSpans": [
        {"scope": {"name": "test"}, "spans": list(spans)}]}]})


AGENT = """system agent {
  owner: "x"
  context question { external: true }
  model assistant { latency_ms: 1000 }
  interface search
  feedback review
  question -> assistant
  assistant -> review
  loop tools { max_iterations: 3  budget_ms: 500  assistant -> search -> assistant }
}
"""


def conform(run, tmp_path: Path, *lines: str, design: str = AGENT, more: tuple[str, ...] = ()):
    (tmp_path / "design.loop").write_text(design)
    (tmp_path / "traces.jsonl").write_text("\n".join(lines) + "\n")
    return run("conform", "design.loop", "--traces", "traces.jsonl", "-f", "json", *more,
               cwd=tmp_path)


def codes(result) -> list[tuple[str, int]]:
    return [(f["code"], f["line"]) for f in json.loads(result.stdout)]


def agent_run(trace: str, tool_calls: int, step: int = 100) -> list[dict[str, Any]]:
    """The OpenAI Agents SDK's shape: one agent span holding a model call,
    then per tool call the tool span and the next model call; GenAI names."""
    root = span(trace, "invoke_agent assistant", 0, (2 * tool_calls + 2) * step,
                gen_ai__operation__name="invoke_agent", gen_ai__agent__name="assistant")
    spans, t = [root], 0
    for _ in range(tool_calls):
        spans.append(span(trace, "chat", t, t + step - 10, root, gen_ai__operation__name="chat",
                          gen_ai__agent__name="assistant", gen_ai__usage__input_tokens=100,
                          gen_ai__usage__output_tokens=20))
        t += step
        spans.append(span(trace, "execute_tool search", t, t + step - 10, root,
                          gen_ai__operation__name="execute_tool", gen_ai__tool__name="search"))
        t += step
    spans.append(span(trace, "chat", t, t + step - 10, root, gen_ai__operation__name="chat",
                      gen_ai__agent__name="assistant", gen_ai__usage__input_tokens=100,
                      gen_ai__usage__output_tokens=20))
    return spans


def test_an_agent_span_holding_its_calls_takes_a_turn_per_model_call(run, tmp_path):
    review = span("r1", "review", 0, 10, loopdsl__node="review")
    result = conform(run, tmp_path, otlp(*agent_run("a1", 2)), otlp(*agent_run("a2", 4)),
                     otlp(review), more=("--report", "report.json"))
    # a2 took 5 turns (five model calls) against a bound of 3; the agent never
    # hands over to the review, which runs on its own
    assert codes(result) == [("LD403", 8), ("LD404", 9)]
    found = {f["code"]: f["message"] for f in json.loads(result.stdout)}
    assert "took 5 turns in a run (trace a2), over its max_iterations of 3" in found["LD404"]
    report = json.loads((tmp_path / "report.json").read_text())
    tools = next(lp for lp in report["loops"] if lp["id"] == "tools")
    assert tools["runs"] == 2 and tools["turns"] == {"p50": 3, "p95": 5, "max": 5}
    assert tools["runs_at_bound"] == 2 and tools["max_iterations"] == 3
    assert tools["tokens_per_turn"] == {"p50": 120, "p95": 120}
    flows = {(f["source"], f["target"]): f["taken"] for f in report["flows"]}
    assert flows[("assistant", "search")] == 6 and flows[("search", "assistant")] == 6


def test_langgraph_through_openinference(run, tmp_path):
    """LangGraph's node and step in the JSON `metadata` attribute; the
    model's own span below its node is part of the visit, not a visit."""
    def node(trace, name, step, start, end, parent):
        meta = json.dumps({"langgraph_node": name, "langgraph_step": step})
        return span(trace, name, start, end, parent, metadata=meta,
                    openinference__span__kind="CHAIN")

    def run_of(trace, turns):
        root = span(trace, "LangGraph", 0, 1000, openinference__span__kind="CHAIN")
        spans, t = [root], 0
        for i in range(turns):
            agent = node(trace, "assistant", 2 * i + 1, t, t + 40, root)
            spans += [agent, span(trace, "ChatOpenAI", t + 1, t + 39, agent,
                                  llm__token_count__prompt=50, llm__token_count__completion=5)]
            if i + 1 < turns:
                spans.append(node(trace, "search", 2 * i + 2, t + 50, t + 60, root))
            t += 100
        return spans

    design = AGENT.replace("budget_ms: 500", "budget_ms: 50")
    result = conform(run, tmp_path, otlp(*run_of("g1", 2)), otlp(*run_of("g2", 3)),
                     design=design, more=("--report", "r.md"))
    # the review never runs; a turn (the model, then the search) takes 60 ms
    assert codes(result) == [("LD401", 6), ("LD405", 9)]
    md = (tmp_path / "r.md").read_text()
    assert "| tools | 2 | 2 / 3 / 3 | 3 | 1 | 60 / 60 | 50 | 55 / 55 |" in md
    assert "| assistant | 5 | 40 | 40 | 1000 |" in md


def test_undeclared_transitions_and_flows_never_taken(run, tmp_path):
    def seq(trace, *names):
        return otlp(*(span(trace, n, 10 * i, 10 * i + 5, loopdsl__node=n, loopdsl__step=i)
                      for i, n in enumerate(names)))

    result = conform(run, tmp_path, seq("t1", "assistant", "review"),
                     seq("t2", "assistant", "review", "search"),
                     seq("t3", "search", "review"))
    found = json.loads(result.stdout)
    assert [(f["code"], f["line"]) for f in found] == [
        ("LD402", 1), ("LD402", 1), ("LD403", 9), ("LD403", 9)]
    messages = [f["message"] for f in found]
    assert "from 'review' to 'search' (1 run, e.g. trace t2)" in messages[0]
    assert "from 'search' to 'review' (1 run, e.g. trace t3)" in messages[1]


def test_latency_and_files_of_every_kind(run, tmp_path):
    design = AGENT
    slow = otlp(span("s1", "assistant", 0, 2500, loopdsl__node="assistant"),
                span("s1", "search", 2600, 2700, loopdsl__node="search"))
    (tmp_path / "design.loop").write_text(design)
    with gzip.open(tmp_path / "a.json.gz", "wt") as f:
        f.write(json.dumps(json.loads(slow), indent=2))  # one object over many lines
    (tmp_path / "b.jsonl").write_text(otlp(span("s2", "review", 0, 5, loopdsl__node="review")))
    result = run("conform", "design.loop", "--traces", "a.json.gz", "--traces", "b.jsonl",
                 "-f", "json", cwd=tmp_path)
    # and no run goes from the assistant to the review, or back from the search
    assert codes(result) == [("LD406", 4), ("LD403", 8), ("LD405", 9), ("LD403", 9)]
    found = {f["code"]: f["message"] for f in json.loads(result.stdout)}
    assert "takes 2500 ms (median) against the 1000 ms it declares" in found["LD406"]
    assert "2700 ms per turn at the 95th percentile, over its budget of 500 ms" in found[
        "LD405"]


def test_no_runs_no_findings_and_the_report_says_so(run, tmp_path):
    other = otlp(span("x1", "GET /health", 0, 1))
    result = conform(run, tmp_path, other, more=("--report", "r.html"))
    assert json.loads(result.stdout) == [] and result.exit_code == 0
    page = (tmp_path / "r.html").read_text()
    assert "No runs of system" in page and "GET /health" in page


@pytest.mark.parametrize(("content", "message"), [
    ("not json at all", "not OTLP/JSON"),
    ('{"spans": []}', "expected an object with 'resourceSpans'"),
    (None, "cannot read"),
])
def test_traces_that_cannot_be_read_are_one_line_errors(run, tmp_path, content, message):
    (tmp_path / "design.loop").write_text(AGENT)
    if content is not None:
        (tmp_path / "t.json").write_text(content)
    result = run("conform", "design.loop", "--traces", "t.json", cwd=tmp_path)
    assert result.exit_code == 2 and message in only_line(result)


def only_line(result) -> str:
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    (line,) = result.stderr.splitlines()
    return line


def test_the_report_never_replaces_an_input(run, tmp_path):
    line = otlp(span("t", "assistant", 0, 5, loopdsl__node="assistant"))
    (tmp_path / "design.loop").write_text(AGENT)
    (tmp_path / "t.json").write_text(line)
    result = run("conform", "design.loop", "--traces", "t.json", "--report", "t.json",
                 cwd=tmp_path)
    assert result.exit_code == 2 and (tmp_path / "t.json").read_text() == line
    result = run("conform", "design.loop", "--traces", "t.json", "--report", "r.txt",
                 cwd=tmp_path)
    assert result.exit_code == 2 and "name a .md, .json or .html file" in only_line(result)


def test_a_run_is_handed_over_once_complete_and_may_span_files(tmp_path):
    from loopdsl.conform.traces import read_runs

    first, second = agent_run("b1", 1), agent_run("b2", 1)
    (tmp_path / "one.jsonl").write_text("\n".join([
        otlp(*second[:2]), otlp(*first), otlp(*second[2:3])]) + "\n")
    (tmp_path / "two.jsonl").write_text(otlp(*second[3:]) + "\n")
    runs = read_runs([tmp_path / "one.jsonl", tmp_path / "two.jsonl"])
    # b1 is complete on the file's second line: it comes out before the
    # reader reaches the second file, which holds the rest of b2
    assert [s.trace for s in next(runs)] == ["b1"] * len(first)
    assert [s.id for s in next(runs)] == [s["spanId"] for s in second]
    assert next(runs, None) is None


def test_what_conform_says_does_not_depend_on_the_order_of_the_runs(run, tmp_path):
    runs = [otlp(*agent_run(f"o{i}", i % 4 + 1)) for i in range(8)]
    forward = conform(run, tmp_path, *runs, more=("--report", "report.json"))
    report = (tmp_path / "report.json").read_bytes()
    backward = conform(run, tmp_path, *reversed(runs), more=("--report", "report.json"))
    # o3 and o7 took 5 turns: the example named is the least trace id
    assert forward.stdout == backward.stdout and "trace o3" in forward.stdout
    assert (tmp_path / "report.json").read_bytes() == report


BURR = Path(__file__).parent.parent / "examples" / "burr-review"
# Real traces: examples/langgraph-agent answering six questions under
# OpenInference's LangChain instrumentation (tests/traces/record.py).
EXAMPLE = Path(__file__).parent.parent / "examples" / "langgraph-agent" / "design.loop"
RECORDED = Path(__file__).parent / "traces" / "langgraph-agent.jsonl"


def test_the_examples_recorded_runs_conform_and_the_report_counts_them(run, tmp_path):
    result = run("conform", str(EXAMPLE), "--traces", str(RECORDED), "-f", "json",
                 "--report", "report.json", cwd=tmp_path)
    assert json.loads(result.stdout) == [] and result.exit_code == 0
    report = json.loads((tmp_path / "report.json").read_text())
    assert (report["runs"], report["visits"]) == (6, 32)
    (answer,) = report["loops"]
    # the two questions about a refund took a second round, the others one
    assert answer["runs"] == 6 and answer["turns"] == {"p50": 1, "p95": 2, "max": 2}
    assert answer["tokens_per_turn"] == {"p50": 51, "p95": 51}  # the fake model's 42 + 9
    flows = {(f["source"], f["target"]): f["taken"] for f in report["flows"]}
    assert flows == {("question", "draft"): 0, ("retrieve", "draft"): 8,
                     ("draft", "respond"): 8, ("respond", "rate"): 8, ("rate", "retrieve"): 2}
    assert report["unmapped"] == [{"name": "LangGraph", "spans": 6}]


@pytest.mark.parametrize(("old", "new", "found"), [
    ('  feedback rate "User rating"\n',
     '  feedback rate "User rating"\n  model critic\n  draft -> critic\n', [("LD401", 12)]),
    ("retrieve -> draft -> respond -> rate -> retrieve",
     "retrieve -> draft -> rate -> retrieve\n    draft -> respond",
     [("LD402", 4), ("LD403", 17)]),
    ("  question -> draft\n", "  question -> draft\n  respond -> retrieve\n", [("LD403", 14)]),
    ("max_iterations: 3", "max_iterations: 1", [("LD404", 15)]),
    ("max_iterations: 3", "max_iterations: 3  budget_ms: 0.001", [("LD405", 15)]),
    ('model draft "Answer drafter"', 'model draft "Answer drafter" { latency_ms: 0.0001 }',
     [("LD406", 9)]),
])
def test_each_edit_to_the_design_gives_its_code_at_its_line(run, tmp_path, old, new, found):
    design = EXAMPLE.read_text()
    assert old in design
    (tmp_path / "design.loop").write_text(design.replace(old, new))
    result = run("conform", "design.loop", "--traces", str(RECORDED), "-f", "json",
                 cwd=tmp_path)
    assert codes(result) == found


@pytest.mark.slow
def test_recording_the_example_afresh_conforms(run, tmp_path):
    """tests/traces/record.py, run now: the instrumentation and the SDK as
    installed still give traces the example's design conforms to."""
    out = tmp_path / "fresh.jsonl"
    subprocess.run([sys.executable, str(RECORDED.parent / "record.py"), str(out)], check=True,
                   capture_output=True, timeout=300)
    result = run("conform", str(EXAMPLE), "--traces", str(out), "-f", "json")
    assert json.loads(result.stdout) == [] and result.exit_code == 0


# A conftest for a generated package: its tests' loop runs traced by the
# OpenTelemetry SDK, written at the end as OTLP/JSON by record.py's encoder.
TRACED_CONFTEST = """\
import json
import os
import sys
from pathlib import Path

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

sys.path.insert(0, {record!r})
from record import otlp_json

exporter = InMemorySpanExporter()
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(exporter))
trace.set_tracer_provider(provider)


def pytest_sessionfinish(session):
    document = otlp_json(exporter.get_finished_spans())
    Path(os.environ["LOOPDSL_TRACES"]).write_text(json.dumps(document) + "\\n")
"""


@st.composite
def rings(draw: st.DrawFn) -> str:
    """A system whose loop runs through every node, in a ring."""
    ids = draw(st.lists(st.sampled_from(["None", "match", "type", "print", "json", "self",
                                         "turn", "run", "done", "übersetzung", "a",
                                         "x2", "eval_set", "evalSet"]),
                        min_size=2, max_size=6, unique=True))
    roles = [draw(st.sampled_from(["context", "model", "interface", "feedback"])) for _ in ids]
    # (a bound of 1 would leave the flow back never taken: no run goes round)
    bound = draw(st.sampled_from(["", "max_iterations: 2  ", "max_iterations: 4  "]))
    ring = " -> ".join([*ids, ids[0]])
    body = "\n".join(f"  {role} {node}" for role, node in zip(roles, ids, strict=True))
    return f'system s {{\n  owner: "x"\n{body}\n  loop l {{ {bound}{ring} }}\n}}\n'


@pytest.mark.slow
@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(design=rings())
def test_generated_code_traced_by_the_sdk_conforms_to_its_design(design, tmp_path_factory):
    """A property: a generated loop's own tests, run under the OpenTelemetry
    SDK, leave OTLP/JSON traces its design conforms to with no finding."""
    out = tmp_path_factory.mktemp("traced")
    (out / "design.loop").write_text(design)
    for path, (text, _) in generate(loads(design, filename="design.loop")).items():
        (out / path).parent.mkdir(parents=True, exist_ok=True)
        (out / path).write_text(text)
    (out / "conftest.py").write_text(TRACED_CONFTEST.format(record=str(RECORDED.parent)))
    traces = out / "traces.jsonl"
    tests = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "."],
                           cwd=out, capture_output=True, text=True, timeout=300,
                           env={**plain_pytest_env(), "LOOPDSL_TRACES": str(traces)})
    assert tests.returncode == 0, design + tests.stdout
    result = subprocess_run("conform", "design.loop", "--traces", str(traces), "-f", "json",
                            "--report", "report.json", cwd=out)
    assert json.loads(result.stdout) == [], design + result.stdout
    report = json.loads((out / "report.json").read_text())
    assert report["runs"] > 0 and all(n["visits"] > 0 for n in report["nodes"])
    assert report["unmapped"][0]["name"] == "loop l"  # each run's own span


# What the runs did, drawn on the design: render, doc and serve with --traces.
WITH_CRITIC = EXAMPLE.read_text().replace(
    '  feedback rate "User rating"\n',
    '  feedback rate "User rating"\n  model critic "Critic"\n  draft -> critic\n')


def test_render_draws_counts_on_flows_and_fades_what_no_run_reached(run, tmp_path):
    (tmp_path / "design.loop").write_text(WITH_CRITIC)
    result = run("render", "design.loop", "--traces", str(RECORDED), "-f", "dot", "-o", "-",
                 cwd=tmp_path)
    dot = result.stdout
    edges = {line.split(" [")[0].strip(): line for line in dot.splitlines() if " -> " in line}
    assert f'label="{TIMES}8"' in edges['"helpdesk.retrieve" -> "helpdesk.draft"']
    assert f'label="{TIMES}2"' in edges['"helpdesk.rate" -> "helpdesk.retrieve"']
    # the critic never ran: it and the flow to it are faded
    critic = next(line for line in dot.splitlines()
                  if line.strip().startswith('"helpdesk.critic"'))
    assert 'fillcolor="#FAFAFA"' in critic and "0 visits in the traces" in critic
    assert "style=dotted" in edges['"helpdesk.draft" -> "helpdesk.critic"']
    # the question comes from outside the code: no trace can show its flow
    assert "label=" not in edges['"helpdesk.question" -> "helpdesk.draft"']
    assert "observed in 6 runs: turns p50 1, max 2" in dot and "faded: no run" in dot


def test_mermaid_doc_and_the_review_page_draw_the_runs_too(run, tmp_path):
    (tmp_path / "design.loop").write_text(WITH_CRITIC)
    mermaid = run("render", "design.loop", "--traces", str(RECORDED), "-f", "mermaid", "-o",
                  "-", cwd=tmp_path).stdout
    assert f'-->|"{TIMES}8"|' in mermaid and "class n5 faded" in mermaid
    assert "stroke:#9E9E9E,stroke-dasharray" in mermaid
    run("doc", "design.loop", "--traces", str(RECORDED), "-o", "review.md", cwd=tmp_path)
    assert f'|"{TIMES}8"|' in (tmp_path / "review.md").read_text()
    run("doc", "design.loop", "--traces", str(RECORDED), "-o", "review.html", cwd=tmp_path)
    page = (tmp_path / "review.html").read_text()
    assert f"{TIMES}8" in page and "observed in 6 runs" in page


def test_the_live_page_reads_the_traces_again_when_they_change(tmp_path):
    from loopdsl.app.review import LivePage

    (tmp_path / "design.loop").write_text(WITH_CRITIC)
    traces = tmp_path / "traces.jsonl"
    lines = RECORDED.read_text().splitlines()
    traces.write_text(lines[0] + "\n")
    live = LivePage([str(tmp_path / "design.loop")], traces=[traces])
    assert traces in live.files()
    assert "observed in 1 run:" in live.build("1").html
    traces.write_text("\n".join(lines) + "\n")
    assert "observed in 6 runs:" in live.build("2").html
    traces.write_text("not json\n")  # being rewritten: drawn without it, and said so
    page = live.build("3")
    assert "observed in" not in page.html and "drawn without the traces" in page.warnings[0]


def test_traces_that_cannot_be_read_stop_render_before_it_writes(run, tmp_path):
    (tmp_path / "design.loop").write_text(WITH_CRITIC)
    (tmp_path / "t.jsonl").write_text("{}\n")
    result = run("render", "design.loop", "--traces", "t.jsonl", "-o", "out.svg", cwd=tmp_path)
    assert result.exit_code == 2 and "resourceSpans" in only_line(result)
    assert not (tmp_path / "out.svg").exists()


def test_burr_runs_traced_through_its_opentelemetry_bridge_conform(tmp_path, monkeypatch):
    """examples/burr-review/traced.py: Burr's own OpenTelemetry bridge and a
    hook naming each action's node, under the SDK, as OTLP/JSON. A reviewer's
    session is one trace: one session reviews three items, another one."""
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    monkeypatch.syspath_prepend(str(BURR))
    monkeypatch.syspath_prepend(str(RECORDED.parent))
    for name in ("app", "traced"):  # another example's app.py may be loaded as `app`:
        monkeypatch.setitem(sys.modules, name, None)  # put back as it was afterwards,
        monkeypatch.delitem(sys.modules, name)  # and imported afresh now
    from burr.integrations.opentelemetry import OpenTelemetryBridge
    from record import otlp_json
    from traced import NameTheNode, application

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("burr")
    for items in (3, 1):
        app = application(OpenTelemetryBridge(tracer=tracer), NameTheNode())
        with tracer.start_as_current_span("review session"):
            for _ in range(items):
                app.run(halt_after=["review"])
    (tmp_path / "traces.json").write_text(json.dumps(otlp_json(exporter.get_finished_spans())))
    system = loads((BURR / "design.loop").read_text()).systems[0]
    from loopdsl.conform import conform as compare
    from loopdsl.conform.traces import read_runs

    result = compare(system, read_runs([tmp_path / "traces.json"]))
    assert result.findings == [] and result.report["runs"] == 2
    flows = {(f["source"], f["target"]): f["taken"] for f in result.report["flows"]}
    assert flows == {("fetch", "classify"): 4, ("classify", "show"): 4, ("show", "review"): 4,
                     ("review", "fetch"): 2}
    (triage,) = result.report["loops"]
    assert triage["turns"] == {"p50": 1, "p95": 3, "max": 3}


def test_a_system_the_traces_have_no_run_of_is_drawn_as_it_is(run, tmp_path):
    other = ('system billing {\n  owner: "x"\n  model invoice\n  interface mail\n'
             "  invoice -> mail\n}\n")
    (tmp_path / "design.loop").write_text(WITH_CRITIC + other)
    dot = run("render", "design.loop", "--traces", str(RECORDED), "-f", "dot", "-o", "-",
              cwd=tmp_path).stdout
    invoice = next(line for line in dot.splitlines()
                   if line.strip().startswith('"billing.invoice"'))
    assert "#FAFAFA" not in invoice and "in the traces" not in invoice
    assert f'label="{TIMES}8"' in dot  # the help desk's runs are drawn


def test_traces_from_a_pipe_are_read_once_and_counted(run, tmp_path):
    import os
    import threading

    (tmp_path / "design.loop").write_text(AGENT)
    pipe = tmp_path / "traces.pipe"
    os.mkfifo(pipe)
    lines = [otlp(*agent_run("p1", 1)), otlp(*agent_run("p2", 3))]

    def write() -> None:
        with pipe.open("w") as f:
            f.write("\n".join(lines) + "\n")

    writer = threading.Thread(target=write)
    writer.start()
    result = run("conform", "design.loop", "--traces", str(pipe), "-f", "json", "--report",
                 "r.json", cwd=tmp_path)
    writer.join(timeout=10)
    # both runs seen: the second took 4 turns against a bound of 3
    assert ("LD404", 9) in codes(result)
    assert json.loads((tmp_path / "r.json").read_text())["runs"] == 2


def test_a_batch_exported_twice_counts_once(run, tmp_path):
    line = otlp(*agent_run("d1", 2))
    once = conform(run, tmp_path, line, more=("--report", "once.json"))
    twice = conform(run, tmp_path, line, line, more=("--report", "twice.json"))
    assert once.stdout == twice.stdout
    first, second = (json.loads((tmp_path / f).read_text()) for f in ("once.json", "twice.json"))
    assert first["loops"] == second["loops"] and first["flows"] == second["flows"]


def test_spans_whose_parents_make_a_cycle_do_not_hang_it(run, tmp_path):
    a = span("c1", "wrapper", 0, 50)
    b = span("c1", "inner", 1, 40, a)
    a["parentSpanId"] = b["spanId"]  # a <-> b
    selfish = span("c1", "self", 2, 30)
    selfish["parentSpanId"] = selfish["spanId"]
    visit = span("c1", "assistant", 3, 20, b, loopdsl__node="assistant")
    result = conform(run, tmp_path, otlp(a, b, selfish, visit), more=("--report", "r.json"))
    assert result.exit_code == 1  # the other nodes never ran
    report = json.loads((tmp_path / "r.json").read_text())
    assert (report["runs"], report["visits"]) == (1, 1)
