"""`loopdsl diff`: two versions of a design in a real git repository built in
tmp_path, through the real CLI; golden JSON and Markdown; the work tree,
index and HEAD untouched; the diagram through the real Mermaid library."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from conftest import ROOT, git, repo_with

GOLDEN = ROOT / "tests" / "golden"

BEFORE = """# support assistant, version 1
system support "Support" {
  owner: "support"
  context tickets "Open tickets"
  context kb "Articles"
  model drafter "Drafter" { latency_ms: 900 }
  interface console "Console" { latency_ms: 150 }
  feedback edits "Edits"
  model legacy "Old classifier"
  interface board "Dashboard"
  tickets -> drafter
  loop answer "Answer a ticket" {
    budget_ms: 1500
    kb -> drafter -> console -> edits -> kb
  }
  loop triage "Triage" {
    tickets -> legacy -> board -> edits -> tickets
  }
}
"""

AFTER = """# support assistant, version 2
system support "Support assistant" {
  owner: "support"
  context tickets "Open tickets"
  context kb "Help-center articles"
  model drafter "Drafter" { latency_ms: 1200, provider: "openai" }
  model ranker "Reranker" { latency_ms: 300 }
  interface console "Console" { latency_ms: 150 }
  feedback edits "Edits"
  interface board "Dashboard"
  tickets -> drafter
  loop answer "Answer a ticket" {
    budget_ms: 1500
    kb -> ranker -> drafter -> console -> edits -> kb
  }
  loop escalate "Escalate" {
    tickets -> drafter -> board
  }
}
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return repo_with(tmp_path, {"design.loop": BEFORE}, {"design.loop": AFTER})


def test_json_is_the_spec_shape(run, repo):
    result = run("diff", "--base", "HEAD~1", "--format", "json", ".", cwd=repo)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert list(doc) == ["base", "head", "systems", "nodes", "flows", "loops", "findings"]
    assert (doc["base"], doc["head"]) == ("HEAD~1", "working tree")
    assert doc["systems"]["changed"] == [
        {"id": "support", "changes": {"label": ["Support", "Support assistant"]}}]
    assert doc["nodes"]["added"] == ["support.ranker"]
    assert doc["nodes"]["removed"] == ["support.legacy"]
    assert doc["nodes"]["changed"] == [
        {"id": "support.drafter", "changes": {"latency_ms": [900, 1200],
                                              "provider": [None, "openai"]}},
        {"id": "support.kb", "changes": {"label": ["Articles", "Help-center articles"]}}]
    assert doc["flows"]["added"] == [
        "support.drafter -> support.board", "support.kb -> support.ranker",
        "support.ranker -> support.drafter"]
    assert doc["loops"]["added"] == ["support.escalate"]
    assert doc["loops"]["removed"] == ["support.triage"]
    (answer,) = doc["loops"]["changed"]
    assert answer["id"] == "support.answer"
    assert answer["status"] == {"latency_ms": [1050, 1650], "over_budget": [False, True]}
    assert answer["worst_case_usd"] == {"old": 0, "new": 0}  # no costs stated
    assert set(answer["changes"]) == {"flows"}
    for entry in doc["findings"]["new"] + doc["findings"]["fixed"]:
        assert list(entry) == ["code", "name", "severity", "message", "file", "line", "column",
                               "end_line", "end_column", "help"]
        assert entry["file"] == "design.loop"
    assert [(f["code"], f["line"]) for f in doc["findings"]["new"]] == [
        ("LD102", 10), ("LD202", 12), ("LD104", 16)]
    if os.environ.get("UPDATE_GOLDEN") == "1":
        (GOLDEN / "diff.json").write_text(result.stdout)
    assert result.stdout == (GOLDEN / "diff.json").read_text()


def test_markdown_for_a_pull_request(run, repo):
    result = run("diff", "--base", "HEAD~1", "--format", "markdown", cwd=repo)
    md = result.stdout
    assert md == (GOLDEN / "diff.md").read_text()
    summary = md.splitlines()[2]
    assert "1 node added" in summary and "1 loop over budget" in summary
    assert "2 new errors" in summary and "1 new warning" in summary
    assert "latency 1050 → 1650 ms, now over its 1500 ms budget" in md
    assert "```mermaid\n---\ntitle:" in md and "classDef added" in md


def test_text_and_a_file_diagram(run, repo, tmp_path):
    result = run("diff", "--base", "HEAD~1", "--render", "svg", "-o", str(tmp_path / "c.svg"),
                 cwd=repo)
    assert result.exit_code == 0
    assert result.stdout.startswith("HEAD~1 → working tree: ")
    assert "- node support.legacy" in result.stdout
    assert (tmp_path / "c.svg").read_bytes().startswith(b"<?xml")
    dot = run("diff", "--base", "HEAD~1", "--render", "dot", "-o", "-", "-f", "json",
              cwd=repo).stdout
    assert "digraph loopdsl_diff" in dot and '"#2E7D32"' in dot and "style=dashed" in dot


def test_the_work_tree_index_and_head_are_untouched(run, repo):
    (repo / "design.loop").write_text(AFTER + "# an edit not yet committed\n")
    (repo / "staged.loop").write_text("system staged {}\n")
    git(repo, "add", "staged.loop")

    def snapshot() -> dict[str, str]:
        files = [p for p in repo.rglob("*") if p.is_file() and ".git/objects" not in str(p)]
        return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}

    before = snapshot()
    head = git(repo, "rev-parse", "HEAD")
    assert run("diff", "--base", "HEAD~1", "--format", "json", cwd=repo).exit_code == 0
    assert snapshot() == before
    assert git(repo, "rev-parse", "HEAD") == head
    assert git(repo, "status", "--porcelain") == " M design.loop\nA  staged.loop\n"


def test_two_folders_and_findings_matched_without_lines(run, write, tmp_path):
    lonely = BEFORE.replace('  interface board "Dashboard"\n',
                            '  interface board "Dashboard"\n  context lonely\n')
    write("old/d.loop", lonely)
    write("new/d.loop", "# moved down\n\n" + lonely.replace("latency_ms: 900", "latency_ms: 90"))
    doc = json.loads(run("diff", "old", "new", "-f", "json").stdout)
    assert doc["nodes"]["changed"] == [
        {"id": "support.drafter", "changes": {"latency_ms": [900, 90]}}]
    # the orphan's findings, two lines lower, are neither new nor fixed
    assert doc["findings"] == {"new": [], "fixed": []}
    assert (doc["base"], doc["head"]) == ("old", "new")


def test_two_files_and_a_fixed_finding_named_as_the_new_version_names_it(run, write):
    write("v1.loop", 'system s {\n  context c\n  model m\n  c -> m\n}\n')
    write("v2.loop", 'system s {\n  owner: "x"\n  context c\n  model m\n  c -> m\n}\n')
    doc = json.loads(run("diff", "v1.loop", "v2.loop", "-f", "json").stdout)
    assert [(f["code"], f["file"]) for f in doc["findings"]["fixed"]] == [("LD201", "v2.loop")]
    assert doc["systems"]["changed"] == [{"id": "s", "changes": {"owner": [None, "x"]}}]


def test_a_side_that_does_not_parse_still_diffs(run, write):
    write("v1.loop", 'system s {\n  owner: "x"\n  context c\n}\n')
    write("v2.loop", 'system s {\n  owner: "x"\n  context c\n  model m {\n}\n')
    doc = json.loads(run("diff", "v1.loop", "v2.loop", "-f", "json").stdout)
    assert [f["code"] for f in doc["findings"]["new"]] == ["LD001"]
    assert [f["code"] for f in doc["findings"]["fixed"]] == ["LD107", "LD108"]


def test_fail_on_new(run, repo):
    result = run("diff", "--base", "HEAD~1", "--fail-on-new", cwd=repo)
    assert result.exit_code == 1
    assert run("diff", "--base", "HEAD", "--fail-on-new", cwd=repo).exit_code == 0
    quiet = run("diff", "--base", "HEAD~1", "--fail-on-new", "--fail-on", "error", cwd=repo)
    assert quiet.exit_code == 1  # LD104 is an error
    assert run("diff", "--base", "HEAD", cwd=repo).stdout.endswith("no change to the design\n")


def test_a_file_added_in_the_change(run, tmp_path):
    repo = repo_with(tmp_path, {"a.loop": BEFORE})
    (repo / "b.loop").write_text('system extra {\n  owner: "x"\n}\n')
    doc = json.loads(run("diff", "--base", "HEAD", "-f", "json", "b.loop", cwd=repo).stdout)
    assert doc["systems"]["added"] == ["extra"]


@pytest.mark.parametrize(("args", "message"), [
    (["diff", "only-one"], "give OLD and NEW"),
    (["diff", "--base", "no-such-rev"], "unknown revision 'no-such-rev'"),
    (["diff", "--base", "HEAD", "missing.loop"], "found neither"),
    (["diff", "--base", "HEAD", "--render", "svg"], "--render and -o go together"),
])
def test_usage_errors_exit_2(run, repo, args, message):
    result = run(*args, cwd=repo)
    assert result.exit_code == 2 and message in result.stderr


def test_base_outside_a_git_work_tree(run, write, tmp_path):
    write("d.loop", BEFORE)
    result = run("diff", "--base", "HEAD", "d.loop")
    assert result.exit_code == 2 and "not in a git work tree" in result.stderr


def test_the_old_side_reads_its_imports_and_configuration_from_the_revision(run, tmp_path):
    repo = repo_with(tmp_path, {
        "loopdsl.toml": 'ignore = ["LD201"]\n',
        "kinds/k.loop": "kind retriever: context\n",
        "app/a.loop": 'import "../kinds/k.loop"\nsystem s {\n  retriever r\n  model m\n'
                      '  r -> m\n}\n'})
    (repo / "app" / "a.loop").write_text('import "../kinds/k.loop"\nsystem s {\n'
                                         '  retriever r\n  model m\n}\n')
    doc = json.loads(run("diff", "--base", "HEAD", "-f", "json", "app", cwd=repo).stdout)
    assert doc["flows"]["removed"] == ["s.r -> s.m"]
    # no LD005 on the old side, no LD201 on either: the revision's files and config
    assert sorted(f["code"] for f in doc["findings"]["new"]) == [
        "LD101", "LD107", "LD108", "LD108"]  # LD106 (m reaches no interface) was there
    assert [f["code"] for f in doc["findings"]["fixed"]] == ["LD111"]  # no flows, no loops


HOSTILE_LABEL = 'pipe | star * `tick` <b>x</b> %%{init: {}}%% end\nnewline'


def test_hostile_labels_stay_literal(run, write):
    write("v1.loop", 'system s {\n  owner: "x"\n  context c\n}\n')
    write("v2.loop", f'system s {{\n  owner: "x"\n  context c {json.dumps(HOSTILE_LABEL)}\n}}\n')
    md = run("diff", "v1.loop", "v2.loop", "-f", "markdown").stdout
    table = [line for line in md.splitlines() if line.startswith("| node `s.c`")]
    assert len(table) == 1 and table[0].count(" | ") == 2  # no cell added by a '|'
    assert "<b>" not in md and "`tick`" not in md
    mermaid = md[md.index("```mermaid"):]
    assert "%%{" not in mermaid and "<b>" not in mermaid and "`tick`" not in mermaid


@pytest.mark.slow
def test_the_diagram_renders_in_the_real_mermaid(run, repo):
    from test_render import mermaid_results

    mermaid = run("diff", "--base", "HEAD~1", "--render", "mermaid", "-o", "-", "-f", "json",
                  cwd=repo).stdout
    diagram = mermaid[mermaid.index("---\ntitle"):]
    results = mermaid_results([("diff", diagram)])
    assert results["diff"]["ok"], results["diff"].get("error")
    assert "Reranker" in results["diff"]["text"] and "Old classifier" in results["diff"]["text"]


def test_large_designs_fold_unchanged_parts(write, run):
    nodes = "\n".join(f"  model m{i}\n  m{i} -> m{i + 1}" for i in range(60))
    write("v1.loop", f'system s {{\n  owner: "x"\n{nodes}\n  model m60\n}}\n')
    write("v2.loop", f'system s {{\n  owner: "x"\n{nodes}\n  model m60 "Last"\n}}\n')
    out = run("diff", "v1.loop", "v2.loop", "--render", "mermaid", "-o", "-").stdout
    assert "unchanged nodes not shown" in out and ":::changed" in out
    assert out.count(":::unchanged") < 10


def test_a_side_that_does_not_parse_is_said_in_every_format(run, write):
    write("old.loop", BEFORE)
    write("new.loop", BEFORE.replace('"Support"', '"Support'))  # an unterminated string
    text = run("diff", "old.loop", "new.loop").stdout
    assert "warning: new.loop does not parse (1 syntax error): the comparison covers only " \
           "what it resolved:" in text
    markdown = run("diff", "old.loop", "new.loop", "-f", "markdown").stdout
    assert "> **Warning:** new.loop does not parse (1 syntax error)" in markdown
    doc = json.loads(run("diff", "old.loop", "new.loop", "-f", "json").stdout)
    assert [f["code"] for f in doc["findings"]["new"]] == ["LD001"]
    clean = run("diff", "old.loop", "old.loop").stdout
    assert "does not parse" not in clean
