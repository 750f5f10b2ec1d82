"""The built-in rules: every example of every rule file, each rule on
realistic files with (code, line), roles seen through custom kinds."""

from __future__ import annotations

import subprocess
import textwrap
import tomllib
from pathlib import Path

import pytest

from conftest import ROOT, found, loopdsl_executable
from loopdsl import Config, lint, loads

RULE_FILES = sorted((ROOT / "rules").glob("*.toml"))
EXAMPLES = [(path.name, i, ex) for path in RULE_FILES
            for i, ex in enumerate(tomllib.loads(path.read_text())["examples"])]


def test_every_code_of_the_spec_has_a_file():
    codes = sorted(p.name.split("-")[0] for p in RULE_FILES)
    assert codes == ([f"LD00{n}" for n in range(1, 8)] + [f"LD1{n:02}" for n in range(1, 13)]
                     + [f"LD20{n}" for n in range(1, 6)] + [f"LD30{n}" for n in range(1, 10)]
                     + [f"LD40{n}" for n in range(1, 7)] + [f"LD50{n}" for n in range(1, 7)])


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: p.stem)
def test_builtin_rule_files_are_fully_documented(path):
    data = tomllib.loads(path.read_text())
    assert path.stem == f"{data['code']}-{data['name']}"
    engine = data.get("reported-by", "rules") == "rules"
    assert engine == ("LD100" <= data["code"] < "LD300" or data["code"] >= "LD500")
    if data["code"] >= "LD500":  # risks and cost: the lists a review answers to
        assert data["references"] and all(r["url"].startswith("https://")
                                          for r in data["references"])
    for field in ("summary", "help", "rationale", *(["message"] if engine else [])):
        assert data.get(field, "").strip(), field
    assert len(data["rationale"].split()) >= 25, "a rationale a reviewer would find convincing"
    expects = [ex["expect"] for ex in data["examples"]]
    assert "finding" in expects and "clean" in expects


@pytest.mark.parametrize(("file", "index", "example"), EXAMPLES,
                         ids=[f"{f}#{i}" for f, i, _ in EXAMPLES])
def test_rule_examples(file, index, example):
    code = file.split("-")[0]
    ws = loads(textwrap.dedent(example["source"]), filename="example.loop")
    if "LD100" <= code < "LD300" or code >= "LD500" or example["expect"] == "clean":
        assert ws.diagnostics == [], "an example must be a valid workspace"
    if "graph" in example:  # a drift code: the design against the code's graph
        from loopdsl.linter.catalog import drift_example

        codes = {d.code for d in drift_example(ws, example["graph"])}
    elif "traces" in example:  # a conform code: the design against traces of runs
        from loopdsl.linter.catalog import conform_example

        codes = {d.code for d in conform_example(ws, example["traces"])}
    else:
        codes = {d.code for d in lint(ws, Config(extend_select=[code]))}
    if example["expect"] == "finding":
        assert code in codes
    else:
        assert code not in codes


# --- each rule on a realistic file -------------------------------------------------

BASE = """
kind retriever: context
kind llm: model { requires: ["provider"] }
kind human_review: feedback
system support {
  owner: "support"
  retriever kb "Articles"
  context tickets "Tickets"
  llm drafter "Drafter" { provider: "openai" }
  interface console "Console"
  human_review edits "Edits"
  tickets -> drafter
  loop answer { kb -> drafter -> console -> edits -> kb }
}
"""


def with_lines(*extra: str) -> str:
    """BASE with lines added before the closing brace of the system."""
    head, tail = BASE.rsplit("}", 1)
    return head + "".join(f"  {line}\n" for line in extra) + "}" + tail


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.split("\n"), 1) if needle in line)


def test_base_is_clean_even_with_custom_kinds():
    assert found(BASE) == []


@pytest.mark.parametrize(("extra", "needle", "code"), [
    (["llm ranker { provider: \"x\" }", "ranker -> console"], "llm ranker", "LD101"),
    (["interface email", "drafter -> email"], "interface email", "LD102"),
    (["feedback stars", "console -> stars"], "feedback stars", "LD103"),
    (["loop broken { kb -> drafter -> console }"], "loop broken", "LD104"),
    (["context scratch", "loop rewrite { drafter -> scratch -> drafter }"], "loop rewrite",
     "LD105"),
    (["llm tagger { provider: \"x\" }", "tickets -> tagger"], "llm tagger", "LD106"),
    (["retriever wiki", "console -> wiki"], "retriever wiki", "LD107"),
    (["human_review survey"], "human_review survey", "LD108"),
    (["console -> console"], "console -> console", "LD109"),
    (["tickets -> drafter \"ticket text\""], "tickets -> drafter \"ticket text\"", "LD110"),
    (["llm bare"], "llm bare", "LD203"),
])
def test_each_rule_points_at_its_element(extra, needle, code):
    text = with_lines(*extra)
    got = found(text)
    assert (code, line_of(text, needle)) in got, got


def test_ld111_no_loops_on_the_system_line():
    text = "system s {\n  owner: \"x\"\n  context c\n  model m\n  interface u\n  feedback f\n" \
           "  c -> m -> u -> f -> c\n}\n"
    assert found(text) == [("LD111", 1)]


def test_ld112_at_each_loop_holding_the_cycle_or_at_the_first_flow():
    text = BASE.replace("tickets -> drafter", "tickets -> drafter\n  context results\n"
                        "  interface tool\n  loop act { drafter -> tool }\n"
                        "  loop read { tool -> results -> drafter }")
    got = found(text)
    assert ("LD112", line_of(text, "loop act")) in got
    assert ("LD112", line_of(text, "loop read")) in got
    bare = BASE.replace("tickets -> drafter", "tickets -> drafter\n  context results\n"
                        "  interface tool\n  drafter -> tool -> results -> drafter")
    assert ("LD112", line_of(bare, "drafter -> tool")) in found(bare)
    bounded = text.replace("loop act {", "loop act { max_iterations: 5 ")
    assert "LD112" not in {c for c, _ in found(bounded)}


def test_ld112_ignores_cycles_through_feedback():
    assert "LD112" not in {c for c, _ in found(BASE)}


def test_ld201_and_ld202_messages_give_the_numbers():
    text = BASE.replace('owner: "support"', "").replace(
        "loop answer {", "loop answer { budget_ms: 900").replace(
        'llm drafter "Drafter" {', 'llm drafter "Drafter" { latency_ms: 900.5,').replace(
        "kb -> drafter -> console -> edits -> kb",
        "kb -> drafter\n drafter -> console { latency_ms: 50 }\n console -> edits -> kb")
    ws = loads(text)
    by_code = {d.code: d for d in lint(ws)}
    assert by_code["LD201"].span.line == line_of(text, "system support")
    assert by_code["LD202"].span.line == line_of(text, "loop answer")
    assert "950.5 ms > 900 ms" in by_code["LD202"].message


def test_ld204_is_off_until_selected():
    text = BASE.replace('"Tickets"', "")
    assert found(text) == []
    assert found(text, extend_select=["LD204"]) == [("LD204", line_of(text, "context tickets"))]


def test_rules_follow_cross_system_flows():
    text = """
system platform { owner: "p"  context kb  model m  interface ui  feedback fb
  loop l { kb -> m -> ui -> fb -> kb } }
system app { owner: "a"  model bot  interface chat  feedback votes
  platform.kb -> bot
  loop l { bot -> chat -> votes -> bot } }
"""
    assert found(text) == []


def test_rules_do_not_run_on_a_file_with_a_syntax_error(tmp_path, monkeypatch):
    (tmp_path / "a.loop").write_text("system a {\n  model m\n  interface = 1\n}\n")
    monkeypatch.chdir(tmp_path)
    from loopdsl import load

    assert [d.code for d in lint(load(["a.loop"]))] == ["LD001"]


def test_examples_are_clean_under_every_rule():
    from loopdsl import load

    for folder in sorted(p for p in (ROOT / "examples").iterdir() if p.is_dir()):
        ws = load([folder], root=folder)
        assert lint(ws, Config(select=["ALL"], ignore=["LD204"])) == [], folder.name


def test_rule_reference_is_up_to_date():
    proc = subprocess.run([loopdsl_executable(), "rules", "--format", "markdown"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert (ROOT / "docs" / "rules.md").read_text() == proc.stdout, (
        "docs/rules.md is out of date: run `loopdsl rules --format markdown > docs/rules.md`")


def test_graph_work_is_linear_in_size():
    """Count the graph traversals, not seconds: one per distinct question."""
    from loopdsl.graph import FlowGraph

    calls = {"n": 0}
    original = FlowGraph._strict

    def counting(self, *a, **k):
        calls["n"] += 1
        return original(self, *a, **k)

    FlowGraph._strict = counting
    try:
        groups = "\n".join(
            f"context c{i}\nmodel m{i}\ninterface u{i}\nfeedback f{i}\n"
            f"loop l{i} {{ c{i} -> m{i} -> u{i} -> f{i} -> c{i} }}" for i in range(300))
        assert lint(loads(f"system s {{ owner: \"x\"\n{groups}\n}}")) == []
    finally:
        FlowGraph._strict = original
    assert calls["n"] == 5  # LD101, LD102, LD103, LD106, LD107: once each, not per node


def path_of(p: Path) -> str:
    return p.as_posix()
