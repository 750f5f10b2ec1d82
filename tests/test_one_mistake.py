"""One mistake, one finding, and the findings a differential run against
the documented behaviour found missing or wrong: each test is named after the
behaviour it keeps, through the real CLI or the public API."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from conftest import findings, found
from loopdsl import lint, load, loads

LOOP = """system chat {
  owner: "x"
  context question
  model answerer
  interface reply
  feedback thumbs
  loop answer { question -> answerr -> reply -> thumbs -> question }
}
"""


def test_a_typo_in_a_loop_is_one_finding(run, write):
    write("chat.loop", LOOP)
    result = run("check", "--format", "json", "chat.loop")
    (only,) = json.loads(result.stdout)
    assert (only["code"], only["line"], only["column"]) == ("LD002", 7, 29)
    assert "did you mean 'answerer'?" in only["message"]
    text = run("check", "chat.loop").stdout
    assert text.splitlines()[-1] == "1 problem (1 error) in 1 file"


def test_graph_rules_skip_only_the_system_with_the_unresolved_name(write, tmp_path,
                                                                   monkeypatch):
    write("two.loop", LOOP.replace("system chat {\n  owner: \"x\"", "system chat {") + """
system other {
  context lonely
  model m
}
""")
    monkeypatch.chdir(tmp_path)
    codes = sorted((d.code, d.span.line) for d in lint(load(["two.loop"])))
    # chat: its LD002 and its attribute rule (LD201); other: every rule as usual
    assert codes == [("LD002", 6), ("LD101", 11), ("LD106", 11), ("LD107", 10),
                     ("LD108", 10), ("LD108", 11), ("LD201", 1), ("LD201", 9)]


def test_a_node_of_unknown_kind_stops_the_graph_rules_of_its_system():
    text = LOOP.replace("loop answer { question -> answerr", "loop answer { question -> answerer")
    text = text.replace("feedback thumbs", "fedback thumbs")
    assert found(text) == [("LD004", 6)]


def test_a_failed_import_lists_what_it_left_unresolved(write, tmp_path, monkeypatch):
    write("support.loop", """import "platform/shared.loop"
system support {
  owner: "x"
  retriever kb
  model drafter
  interface console
  feedback edits
  loop answer { kb -> drafter -> console -> edits -> kb }
  platform.index -> drafter
}
""")
    monkeypatch.chdir(tmp_path)
    (failed,) = lint(load(["support.loop"]))
    assert (failed.code, failed.span.line) == ("LD005", 1)
    assert failed.help.endswith("unresolved because of it: retriever, platform.index")


def test_a_failed_import_of_an_imported_file_is_blamed_too(write, tmp_path, monkeypatch):
    write("main.loop", 'import "kinds.loop"\nsystem s {\n  owner: "x"\n  retriever r\n}\n')
    write("kinds.loop", 'import "gone.loop"\n')
    monkeypatch.chdir(tmp_path)
    (failed,) = lint(load(["main.loop"]))
    assert (failed.code, failed.span.file) == ("LD005", "kinds.loop")
    assert failed.help.endswith("unresolved because of it: retriever")


def test_an_invalid_owner_counts_as_set():
    assert found('system s {\n  owner: 42\n}\n') == [("LD006", 2)]


def test_an_invalid_bound_still_bounds_the_loop():
    text = """system agent {
  owner: "x"
  context task
  model planner
  interface tool
  interface out
  feedback rating
  task -> planner -> out -> rating -> task
  loop act { max_iterations: 0  planner -> tool -> planner }
}
"""
    assert found(text) == [("LD006", 9)]


def test_a_key_repeated_after_an_invalid_value_is_a_duplicate_and_unused():
    text = """system s {
  owner: "x"
  context c { latency_ms: "fast", latency_ms: 900 }
  model m
  interface i
  feedback f
  loop l { budget_ms: 100  c -> m -> i -> f -> c }
}
"""
    # LD006 for the first value, LD003 for the second, and no LD202: 900 is not used.
    assert found(text) == [("LD003", 3), ("LD006", 3)]


def test_a_duplicate_nodes_and_kinds_attributes_are_type_checked():
    text = """kind k: context { requires: "owner" }
kind k: context { requires: 1 }
system s {
  owner: "x"
  model m
  model m { latency_ms: "slow" }
}
"""
    codes = found(text)
    assert ("LD006", 1) in codes and ("LD006", 2) in codes and ("LD006", 6) in codes
    assert ("LD003", 2) in codes and ("LD003", 6) in codes


def test_a_system_restating_a_flow_without_loops_is_told_to_declare_them():
    text = """system a {
  owner: "x"
  context c
  model m
  interface i
  feedback f
  loop l { c -> m -> i -> f -> c }
}
system b {
  owner: "x"
  a.c -> a.m
}
"""
    assert found(text) == [("LD111", 9)]


def test_ld112_never_calls_a_self_flow_the_cycle():
    text = """system s {
  owner: "x"
  context c
  model m
  interface t
  interface out
  feedback f
  c -> m -> out -> f -> c
  m -> m
  m -> t -> m
}
"""
    (d,) = [d for d in lint(loads(text)) if d.code == "LD112"]
    assert "cycle m -> t -> m " in d.message


def test_ld203_names_each_missing_attribute_once():
    text = """kind store: context { requires: ["index", "index"] }
system s {
  owner: "x"
  store kb
  model m
  kb -> m
}
"""
    (d,) = [d for d in lint(loads(text)) if d.code == "LD203"]
    assert "does not set index," in d.message and "index, index" not in d.message


def test_each_bad_escape_is_reported_where_it_stands():
    ws = loads('system s {\n  owner: "\\q\\q"\n}\n')
    spans = [(d.code, d.span.line, d.span.column, d.span.end_column) for d in ws.diagnostics]
    assert spans == [("LD001", 2, 11, 13), ("LD001", 2, 13, 15)]


def test_ld202_prints_plain_milliseconds():
    text = """system s {
  owner: "x"
  context c { latency_ms: 1234567.5 }
  model m { latency_ms: 0.1 }
  interface i { latency_ms: 0.2 }
  feedback f
  loop l { budget_ms: 1000000  c -> m -> i -> f -> c }
}
"""
    (d,) = [d for d in lint(loads(text)) if d.code == "LD202"]
    assert "1234567.8 ms > 1000000 ms" in d.message
    assert "e+" not in d.message


def test_an_import_follows_a_symlink_before_dotdot(write, tmp_path, monkeypatch):
    outside = tmp_path / "outside"
    (outside / "deep").mkdir(parents=True)
    (outside / "x.loop").write_text("kind k: context\n")  # what the system would read
    write("ws/x.loop", "kind decoy: context\n")  # what a lexical '..' would read
    os.symlink(outside / "deep", tmp_path / "ws" / "link")
    write("ws/main.loop", 'import "link/../x.loop"\n')
    monkeypatch.chdir(tmp_path / "ws")
    ws = load(["main.loop"], root=tmp_path / "ws")
    assert [(d.code, "outside the workspace root" in d.message) for d in ws.diagnostics] == [
        ("LD005", True)]
    assert [f.path for f in ws.files] == ["main.loop"] and ws.kinds == []


def test_an_arrow_written_fat_suggests_the_flow_arrow():
    (d,) = lint(loads('system s {\n  context a\n  model b\n  a => b\n}\n'))
    assert (d.code, d.span.line, d.span.column) == ("LD001", 4, 5)
    assert d.help == "flows are written with '->'"


def test_a_reserved_word_as_an_id_is_reported_at_the_word():
    (d,) = loads('system s {\n  model system\n  context c\n}\n').diagnostics
    assert (d.code, d.span.line, d.span.column) == ("LD001", 2, 9)
    assert "'system' is a reserved word" in d.message


# --- suppression ---------------------------------------------------------------------

ORPHAN = 'system s {\n  owner: "x"\n  context c\n}\n'


def test_an_empty_suppression_list_suppresses_nothing(run, write):
    write("d.loop", "# loopdsl: ignore-file[]\n" + ORPHAN)
    result = run("check", "--format", "json", "d.loop")
    assert [(f["code"], f["line"]) for f in json.loads(result.stdout)] == [
        ("LD007", 1), ("LD107", 4), ("LD108", 4)]
    assert result.exit_code == 1


def test_prose_mentioning_the_directive_suppresses_nothing(run, write):
    write("d.loop", ORPHAN.replace("context c", "context c  # TODO: remove once loopdsl: "
                                                "ignore works"))
    assert [c for c, _, _ in findings(run("check", "-f", "json", "d.loop"))] == [
        "LD107", "LD108"]


def test_a_directive_after_another_comment_works(run, write):
    write("d.loop", ORPHAN.replace("context c", "context c  # why: legacy  # loopdsl: "
                                                "ignore[LD107, orphan-node]"))
    assert findings(run("check", "-f", "json", "d.loop")) == []


def test_no_comment_suppresses_a_syntax_error(run, write):
    write("d.loop", 'system s {\n  owner: = "x"  # loopdsl: ignore\n}\n'
                    '# loopdsl: ignore-file[LD001]\n')
    result = run("check", "--format", "json", "d.loop")
    assert [f["code"] for f in json.loads(result.stdout)] == ["LD001"]
    assert result.exit_code == 1


def test_an_unknown_code_in_a_suppression_suggests_the_closest(run, write):
    write("d.loop", ORPHAN.replace("context c", "context c  # loopdsl: ignore[LD1O8]"))
    result = json.loads(run("check", "-f", "json", "d.loop").stdout)
    (unused,) = [f for f in result if f["code"] == "LD007"]
    assert "did you mean 'LD108'?" in unused["message"]


# --- codes, configuration, outputs ---------------------------------------------------


def test_codes_and_names_are_matched_without_regard_to_case(run, write):
    write("d.loop", ORPHAN)
    assert [c for c, _, _ in findings(run("check", "-f", "json", "--select", "ld108",
                                          "d.loop"))] == ["LD108"]
    write("loopdsl.toml", '[severity]\n"Orphan-Node" = "error"\n')
    got = json.loads(run("check", "-f", "json", "--select", "ORPHAN-NODE", "d.loop").stdout)
    assert [(f["code"], f["severity"]) for f in got] == [("LD108", "error")]
    assert run("explain", "ld002").stdout.startswith("LD002 undefined-reference")


def test_an_unknown_config_key_or_code_suggests_the_closest(run, write):
    write("d.loop", ORPHAN)
    write("loopdsl.toml", 'selct = ["LD1"]\n')
    result = run("check", "d.loop")
    assert result.exit_code == 2 and "unknown key 'selct'; did you mean 'select'?" in (
        result.stderr)
    write("loopdsl.toml", 'ignore = ["orphan-nod"]\n')
    result = run("check", "d.loop")
    assert result.exit_code == 2 and "did you mean 'orphan-node'?" in result.stderr


def test_explain_tells_as_much_about_structural_codes_as_about_rules(run):
    text = run("explain", "LD002").stdout
    assert "docs/language.md" not in text
    assert "Reported by the resolver" in text
    assert "Triggers it:" in text and "Does not trigger it:" in text
    assert "line 7: undefined node 'answerr' in system 'chat'; did you mean 'answerer'?" in text


def test_no_output_shows_an_unfilled_template(run, write):
    write("d.loop", ORPHAN)
    sarif = run("check", "--format", "sarif", "--select", "ALL", "d.loop").stdout
    explained = "".join(run("explain", code).stdout for code in ("LD101", "LD102", "LD203"))
    for text in (sarif, explained, run("rules", "--format", "markdown").stdout):
        assert "{id}" not in text and "{missing}" not in text
    assert "`docs -> <id>`" in sarif


def _git_init(folder: Path) -> None:
    subprocess.run(["git", "init", "-q", str(folder)], check=True)


def test_github_annotations_name_files_from_the_repository_root(run, write, tmp_path):
    _git_init(tmp_path)
    write("design/d.loop", ORPHAN)
    result = run("check", "--format", "github", "d.loop", cwd=tmp_path / "design")
    assert "::warning file=design/d.loop,line=3" in result.stdout
    env = {"GITHUB_WORKSPACE": str(tmp_path / "design")}
    result = run("check", "--format", "github", "d.loop", cwd=tmp_path / "design", env=env)
    assert "::warning file=d.loop,line=3" in result.stdout


def test_configuration_and_root_come_from_the_path_not_the_current_folder(run, write,
                                                                           tmp_path):
    write("elsewhere/design/loopdsl.toml", 'ignore = ["LD201"]\n')
    write("elsewhere/design/kinds.loop", "kind retriever: context\n")
    write("elsewhere/design/app.loop", 'import "kinds.loop"\n' + ORPHAN.replace(
        '  owner: "x"\n', "").replace("context c", "retriever c"))
    (tmp_path / "cwd").mkdir()
    app = str(tmp_path / "elsewhere" / "design" / "app.loop")
    got = findings(run("check", "-f", "json", app, cwd=tmp_path / "cwd"))
    assert [c for c, _, _ in got] == ["LD107", "LD108"]  # no LD005, no LD201


def test_a_folders_own_configuration_is_used_from_above_it(run, write, tmp_path):
    write("team/loopdsl.toml", 'ignore = ["orphan-node"]\n')
    write("team/d.loop", ORPHAN)
    write("other/d.loop", ORPHAN)
    got = findings(run("check", "-f", "json", "team", "other", cwd=tmp_path))
    # each path with its own settings, reported together in one output
    assert got == [("LD107", 3, 11), ("LD108", 3, 11), ("LD107", 3, 11)]
    result = json.loads(run("check", "-f", "json", "team", "other", cwd=tmp_path).stdout)
    assert [f["file"] for f in result] == ["other/d.loop", "other/d.loop", "team/d.loop"]


def test_without_configuration_the_root_is_the_git_work_tree(write, tmp_path, monkeypatch):
    _git_init(tmp_path)
    write("shared/kinds.loop", "kind retriever: context\n")
    write("app/main.loop", 'import "../shared/kinds.loop"\nsystem s { retriever r }\n')
    monkeypatch.chdir(tmp_path / "app")
    assert load(["main.loop"]).diagnostics == []


def test_aliases_keep_old_suppressions_and_baselines_working(run, write):
    write("rules/ACME002-no-orphans.toml", """
code = "ACME002"
name = "no-orphans"
aliases = ["ACME001", "orphans-forbidden"]
severity = "warning"
message = "'{id}' is alone"
[select]
element = "node"
[check]
function = "in-flow"
""")
    write("loopdsl.toml", 'rule-paths = ["rules"]\nselect = ["acme001"]\n')
    write("d.loop", ORPHAN.replace("context c", "context c  # loopdsl: ignore[orphans-forbidden]"))
    assert findings(run("check", "-f", "json", "d.loop")) == []
    write("d.loop", ORPHAN)
    write("old.json", json.dumps({"loopdsl-baseline": 1, "findings": [
        {"code": "ACME001", "file": "d.loop", "element": "node:s.c", "count": 1}]}))
    result = run("check", "--baseline", "old.json", "d.loop")
    assert result.exit_code == 0, result.output


def test_preview_rules_run_only_when_named_and_removed_ones_are_refused(run, write):
    for code, status in (("ACME010", "preview"), ("ACME011", "removed")):
        write(f"rules/{code}-r{status}.toml", f"""
code = "{code}"
name = "r{status}"
status = "{status}"
severity = "warning"
message = "'{{id}}' is alone"
[select]
element = "node"
[check]
function = "in-flow"
""")
    write("d.loop", ORPHAN)
    write("loopdsl.toml", 'rule-paths = ["rules"]\nselect = ["ACME"]\n')
    assert findings(run("check", "-f", "json", "d.loop")) == []
    write("loopdsl.toml", 'rule-paths = ["rules"]\nselect = ["rpreview"]\n')
    assert [c for c, _, _ in findings(run("check", "-f", "json", "d.loop"))] == ["ACME010"]
    write("loopdsl.toml", 'rule-paths = ["rules"]\nselect = ["ACME011"]\n')
    result = run("check", "d.loop")
    assert result.exit_code == 2 and "was removed" in result.stderr


def test_the_registry_is_the_one_place_that_knows_the_rules():
    src = Path(__file__).resolve().parents[1] / "src" / "loopdsl"
    for path in src.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "STRUCTURAL" not in text and "active_rules" not in text, path
        if path.parent.name == "report":
            assert "os.environ" not in text and '".git"' not in text and "cwd()" not in text, (
                path)


def test_look_alike_ids_are_reported():
    text = 'system s {\n  owner: "x"\n  context c\n  model answer\n  model \u0430nswer\n' \
           "  c -> answer\n}\n"
    (d,) = [d for d in lint(loads(text)) if d.code == "LD205"]
    assert (d.span.line, d.related[0].span.line) == (5, 4)
    assert "looks like 'answer'" in d.message
    # plain ASCII look-alikes (l and 1) are left alone
    ascii_only = 'system s {\n  owner: "x"\n  context l1\n  context ll\n}\n'
    assert [d for d in lint(loads(ascii_only)) if d.code == "LD205"] == []


def test_the_text_says_once_per_system_that_its_loop_rules_were_skipped(run, write):
    write("d.loop", 'system a {\n  owner: "x"\n  model m\n  model m\n  model n\n}\n'
                    'system b {\n  owner: "x"\n  model k\n  k -> nowhere\n}\n'
                    'system c {\n  owner: "x"\n  model lonely\n}\n')
    result = run("check", "d.loop")
    notes = [line for line in result.stdout.splitlines() if line.startswith("note:")]
    assert notes == ["note: loop rules skipped for system 'a' until its errors are fixed",
                     "note: loop rules skipped for system 'b' until its errors are fixed"]
    assert "LD108" in result.stdout  # system c's loop rules ran
    quiet = run("check", "-q", "d.loop")
    assert "note: loop rules" not in quiet.stdout
    only_attributes = run("check", "--select", "LD201", "d.loop")  # no loop rule selected
    assert "note: loop rules" not in only_attributes.stdout
