"""A loop's status is decided once: the rules, the review document, `diff`
and the language server's hover say the same of every loop of every
example, and of the awkward ones (a self-flow, a loop that does not close)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import EXAMPLES, example_workspace
from loopdsl import loads
from loopdsl.diff import Side, compare
from loopdsl.linter import lint
from loopdsl.loops import loop_statuses
from loopdsl.lsp.analysis import Analysis
from loopdsl.review import build_review

EXAMPLE_DIRS = sorted(p for p in EXAMPLES.iterdir() if p.is_dir())

SELF_FLOWS = """
system s {
  owner: "x"
  context c
  model m
  interface i
  feedback f
  c -> m -> i -> f
  loop retry { max_iterations: 3  m -> m }
  loop notes { f -> f }
  loop open { c -> m }
  loop answer { budget_ms: 10  m -> i -> f -> c -> m }
}
"""


def _review_says(workspace) -> dict[str, tuple[bool, bool, str]]:
    review = build_review(workspace, [])
    return {f"{s.id}.{lp.id}": (lp.closes, lp.learns, lp.cycle)
            for s in review.systems for lp in s.loops}


def _diff_says(workspace) -> dict[str, tuple[bool, bool]]:
    """What `diff -f json` reports as a loop's status when the loop changes
    from nothing to what it is: compared against an empty workspace, every
    status key shows."""
    empty = loads("")
    result = compare(Side(empty, [], str), Side(workspace, [], str), base="a", head="b",
                     file_name=str)
    return {lid: (s.closes, s.learns) for lid, s in result.new_status.items()}


def _lsp_says(path: Path, key: str) -> str:
    analysis = Analysis(path, {})
    sym = next(s for s in analysis.symbols if s.kind == "loop" and s.key == key)
    hover = analysis.hover(sym)
    assert hover is not None
    return hover


@pytest.mark.parametrize("folder", EXAMPLE_DIRS, ids=lambda p: p.name)
def test_review_diff_and_hover_agree_on_every_example(folder, monkeypatch):
    monkeypatch.chdir(folder)
    workspace = example_workspace(folder)
    statuses = loop_statuses(workspace)
    assert statuses, "every example declares a loop"
    review = _review_says(workspace)
    diff = _diff_says(workspace)
    for key, status in statuses.items():
        assert review[key][:2] == diff[key] == (status.closes, status.learns), key
        loop = next(lp for lp in workspace.loops() if f"{lp.system}.{lp.id}" == key)
        hover = _lsp_says(Path(folder / loop.span.file).resolve(), key)
        said = f"closes: {'yes' if status.closes else 'no'}; " \
               f"learns: {'yes' if status.learns else 'no'}"
        assert said in hover, (key, hover)


def test_a_self_flow_is_a_cycle_of_one_node(write, tmp_path, monkeypatch):
    path = write("s.loop", SELF_FLOWS)
    monkeypatch.chdir(tmp_path)
    workspace = loads(SELF_FLOWS, "s.loop")
    statuses = loop_statuses(workspace)
    retry, notes, open_, answer = (statuses[f"s.{x}"] for x in
                                   ("retry", "notes", "open", "answer"))
    assert (retry.closes, retry.learns, retry.bounded, retry.cycle) == (
        True, False, True, ("s.m", "s.m"))
    assert (notes.closes, notes.learns, notes.cycle) == (True, True, ("s.f", "s.f"))
    assert (open_.closes, open_.learns, open_.cycle) == (False, False, ())
    assert answer.cycle == ("s.m", "s.i", "s.f", "s.c", "s.m")
    # The review, diff and the hover say the same.
    review = _review_says(workspace)
    assert review["s.retry"] == (True, False, "m → m")
    assert review["s.notes"] == (True, True, "f → f")
    assert review["s.open"] == (False, False, "")
    assert _diff_says(workspace)["s.notes"] == (True, True)
    assert "closes: yes; learns: yes" in _lsp_says(path, "s.notes")
    assert "cycle: f → f" in _lsp_says(path, "s.notes")
    assert "closes: no; learns: no" in _lsp_says(path, "s.open")
    # And the rules: the self-flow loops close (no LD104) and the feedback one
    # learns (no LD105); only the open loop is not closed.
    codes = {(d.code, d.element) for d in lint(workspace)}
    assert ("LD104", "loop:s.open") in codes
    assert not {c for c in codes if c[0] in ("LD104", "LD105") and c[1] != "loop:s.open"}


def test_diff_json_status_of_a_self_flow_loop(run, write):
    write("old.loop", SELF_FLOWS.replace("loop notes { f -> f }", "loop notes { f -> c }"))
    write("new.loop", SELF_FLOWS)
    result = run("diff", "old.loop", "new.loop", "-f", "json")
    (notes,) = [c for c in json.loads(result.stdout)["loops"]["changed"] if c["id"] == "s.notes"]
    assert notes["status"] == {"closes": [False, True], "learns": [False, True]}
