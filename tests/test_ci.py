"""loopdsl in CI: SARIF validated against the official schema, GitHub
annotations with hostile names and messages, baselines through the real
CLI, and the pre-commit hook definition."""

from __future__ import annotations

import json
import re
import shutil
import textwrap
import tomllib

import jsonschema
import pytest
import yaml

from conftest import ROOT, findings

SARIF_SCHEMA = json.loads((ROOT / "tests" / "schemas" / "sarif-schema-2.1.0.json")
                          .read_text())
RULE_FILES = sorted((ROOT / "rules").glob("*.toml"))


def sarif_of(result) -> dict:
    doc = json.loads(result.stdout)
    jsonschema.validate(doc, SARIF_SCHEMA)
    assert_github_fields(doc)
    return doc


def assert_github_fields(doc: dict) -> None:
    """What GitHub code scanning needs beyond the schema."""
    assert doc["version"] == "2.1.0" and doc["$schema"].endswith("sarif-schema-2.1.0.json")
    (run,) = doc["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "loopdsl" and driver["version"] and driver["informationUri"]
    ids = [r["id"] for r in driver["rules"]]
    assert len(ids) == len(set(ids))
    for rule in driver["rules"]:
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
        assert rule["help"]["text"] and rule["help"]["markdown"]
        assert rule["defaultConfiguration"]["level"] in ("error", "warning", "note")
    assert run["columnKind"] == "unicodeCodePoints"
    for result in run["results"]:
        assert ids[result["ruleIndex"]] == result["ruleId"]
        assert result["message"]["text"]
        (loc,) = result["locations"]
        uri = loc["physicalLocation"]["artifactLocation"]["uri"]
        assert not uri.startswith(("/", "file:")) and ":" not in uri
        region = loc["physicalLocation"]["region"]
        assert {"startLine", "startColumn", "endLine", "endColumn"} <= set(region)
        assert result["partialFingerprints"]


def test_sarif_for_every_rule_syntax_errors_and_a_team_rule(run, tmp_path):
    shutil.copytree(ROOT / "examples" / "team-rules" / "rules", tmp_path / "rules")
    (tmp_path / "loopdsl.toml").write_text('rule-paths = ["rules"]\nselect = ["ALL"]\n')
    seen = set()
    for path in RULE_FILES:
        rule = tomllib.loads(path.read_text())
        example = next(ex for ex in rule["examples"] if ex["expect"] == "finding")
        (tmp_path / "case.loop").write_text(textwrap.dedent(example["source"]))
        if "graph" in example:  # a drift code
            (tmp_path / "graph.json").write_text(example["graph"])
            doc = sarif_of(run("drift", "--format", "sarif", "case.loop", "--graph-json",
                               "graph.json"))
        elif "traces" in example:  # a conform code
            (tmp_path / "traces.json").write_text(example["traces"])
            doc = sarif_of(run("conform", "--format", "sarif", "case.loop", "--traces",
                               "traces.json"))
        else:
            doc = sarif_of(run("check", "--format", "sarif", "case.loop"))
        seen |= {r["ruleId"] for r in doc["runs"][0]["results"]}
    (tmp_path / "case.loop").write_text(
        'system s { owner: "x"\n  context crm { pii: true }\n  model gpt { hosting: "external" }'
        '\n  crm -> gpt }\n')
    (tmp_path / "broken.loop").write_text("system b {\n  model = \n")
    doc = sarif_of(run("check", "--format", "sarif", "case.loop", "broken.loop"))
    seen |= {r["ruleId"] for r in doc["runs"][0]["results"]}
    assert {p.name.split("-")[0] for p in RULE_FILES} | {"LD001", "ACME001"} <= seen
    rules = doc["runs"][0]["tool"]["driver"]["rules"]
    acme = next(r for r in rules if r["id"] == "ACME001")
    assert "data-processing agreements" in acme["fullDescription"]["text"]


def test_sarif_uris_are_relative_to_the_repository_root(run, tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "designs dir").mkdir()
    (tmp_path / "designs dir" / "a#1.loop").write_text("system s { }")
    doc = sarif_of(run("check", "-f", "sarif", "a#1.loop", cwd=tmp_path / "designs dir"))
    loc = doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == "designs%20dir/a%231.loop"


def test_sarif_fingerprints_survive_unrelated_line_moves(run, write):
    text = 'system s {\n  context c\n  model m\n  c -> m\n  interface old\n}\n'
    write("d.loop", text)
    before = sarif_of(run("check", "-f", "sarif", "d.loop"))["runs"][0]["results"]
    write("d.loop", "# a new comment\n\n" + text.replace("  c -> m\n", "  c -> m\n\n\n"))
    after = sarif_of(run("check", "-f", "sarif", "d.loop"))["runs"][0]["results"]
    assert [r["partialFingerprints"] for r in before] == [r["partialFingerprints"] for r in after]
    lines = [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in after]
    assert lines != [r["locations"][0]["physicalLocation"]["region"]["startLine"]
                     for r in before]
    assert len({json.dumps(r["partialFingerprints"]) for r in after}) == len(after)


# --- GitHub annotations ------------------------------------------------------------

ANNOTATION = re.compile(r"^::(error|warning|notice) (?P<props>[^:]*)::(?P<message>.*)$")


def unescape(text: str) -> str:
    return (text.replace("%0A", "\n").replace("%0D", "\r").replace("%3A", ":")
            .replace("%2C", ",").replace("%25", "%"))


def parse_annotations(stdout: str) -> list[tuple[str, dict[str, str], str]]:
    out = []
    for line in stdout.splitlines():
        m = ANNOTATION.match(line)
        if m:
            props = dict(p.split("=", 1) for p in m.group("props").split(","))
            out.append((m.group(1), {k: unescape(v) for k, v in props.items()},
                        unescape(m.group("message"))))
    return out


def test_github_annotations_with_hostile_names_and_messages(run, tmp_path):
    hostile = "we,ird: 100%.loop"
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "X1-multi.toml").write_text(textwrap.dedent('''
        code = "X1"
        name = "multi-line"
        severity = "warning"
        message = "first line: 50%, then\\nsecond line, with %0A literally"
        [select]
        element = "system"
        [check]
        function = "none"
    '''))
    (tmp_path / "loopdsl.toml").write_text('rule-paths = ["rules"]\n')
    (tmp_path / hostile).write_text("system s {\n  modle m\n}\n")
    result = run("check", "--format", "github", hostile)
    got = parse_annotations(result.stdout)
    assert [(kind, props["file"], props["line"], props["title"]) for kind, props, _ in got] == [
        ("notice", hostile, "1", "LD201 missing-owner"),
        ("warning", hostile, "1", "X1 multi-line"),
        ("error", hostile, "2", "LD004 unknown-kind"),
    ]
    assert got[1][2] == "first line: 50%, then\nsecond line, with %0A literally"
    assert got[2][1] | {} == {"file": hostile, "line": "2", "col": "3", "endLine": "2",
                              "endColumn": "8", "title": "LD004 unknown-kind"}
    assert all("\n" not in line for line in result.stdout.splitlines())
    assert result.stdout.splitlines()[-1] == "3 problems (1 error, 1 warning, 1 info) in 1 file"


def test_text_output_adds_annotations_inside_github_actions(run, write):
    write("d.loop", "system s {\n  modle m\n}\n")
    plain = run("check", "d.loop").stdout
    assert "::error" not in plain
    inside = run("check", "d.loop", env={"GITHUB_ACTIONS": "true"}).stdout
    assert plain.splitlines()[0] in inside  # the human report stays
    assert any(line.startswith("::error file=d.loop,line=2") for line in inside.splitlines())
    assert inside.splitlines()[-1] == "2 problems (1 error, 1 info) in 1 file"


# --- baselines ------------------------------------------------------------------------

LEGACY = """system s {
  owner: "x"
  context c
  model m
  interface ui
  feedback fb
  loop l { c -> m -> ui -> fb -> c }
  model unused
  interface orphan
}
"""


def test_baseline_round_trip(run, write, tmp_path):
    write("d.loop", LEGACY)
    assert run("check", "d.loop").exit_code == 1
    wrote = run("check", "--write-baseline", "ci/baseline.json", "d.loop")
    assert wrote.exit_code == 0 and "recorded 5 findings" in wrote.stderr
    recorded = json.loads((tmp_path / "ci" / "baseline.json").read_text())
    assert {e["file"] for e in recorded["findings"]} == {"../d.loop"}
    assert all("line" not in e for e in recorded["findings"])

    passed = run("check", "--baseline", "ci/baseline.json", "d.loop")
    assert passed.exit_code == 0, passed.output
    assert passed.stdout.strip() == "no problems in 1 file (5 more in the baseline)"

    # lines move: still matched
    write("d.loop", "# moved down\n\n\n" + LEGACY)
    assert run("check", "--baseline", "ci/baseline.json", "d.loop").exit_code == 0

    # a new problem fails the run, and only it is shown
    write("d.loop", LEGACY.replace("  interface orphan\n", "  interface orphan\n  context x\n"))
    new = run("check", "-f", "json", "--baseline", "ci/baseline.json", "d.loop")
    assert new.exit_code == 1
    assert sorted(c for c, *_ in findings(new)) == ["LD107", "LD108"]

    # a fixed problem is reported so the baseline can be tidied
    write("d.loop", LEGACY.replace("  interface orphan\n", ""))
    fixed = run("check", "--baseline", "ci/baseline.json", "d.loop")
    assert fixed.exit_code == 0
    assert "no longer match" in fixed.stderr
    assert "fixed: LD108 in ../d.loop (node:s.orphan)" in fixed.stderr
    assert "fixed: LD102 in ../d.loop (node:s.orphan)" in fixed.stderr


def test_baseline_works_from_another_directory(run, write, tmp_path):
    write("project/d.loop", LEGACY)
    project = tmp_path / "project"
    assert run("check", "--write-baseline", "base.json", "d.loop", cwd=project).exit_code == 0
    result = run("check", "--baseline", "project/base.json", "project/d.loop", cwd=tmp_path)
    assert result.exit_code == 0, result.output


def test_baseline_is_deterministic(run, write, tmp_path):
    write("d.loop", LEGACY)
    run("check", "--write-baseline", "a.json", "d.loop")
    run("check", "--write-baseline", "b.json", "d.loop")
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()


@pytest.mark.parametrize("content", ["not json", '{"findings": []}', '{"loopdsl-baseline": 1}',
                                     b"\xff\xfe"])
def test_bad_baseline_files_are_one_line_errors(run, write, content):
    write("d.loop", LEGACY)
    write("b.json", content)
    result = run("check", "--baseline", "b.json", "d.loop")
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert run("check", "--baseline", "missing.json", "d.loop").exit_code == 2


# --- pre-commit ------------------------------------------------------------------------


def test_pre_commit_hook_definition():
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    check = next(h for h in hooks if h["id"] == "loopdsl-check")
    assert check["language"] == "python" and check["entry"].startswith("loopdsl check")
    assert re.search(check["files"], "designs/support.loop")
    assert not re.search(check["files"], "support.loop.bak")
    assert check["require_serial"] is True


def test_hook_with_only_some_files_still_resolves_imports(run, tmp_path):
    """pre-commit passes only the changed files; their imports must still load."""
    shutil.copytree(ROOT / "examples" / "support-assistant", tmp_path / "repo")
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    entry = next(h for h in hooks if h["id"] == "loopdsl-check")["entry"].split()
    changed = ["support.loop"]  # imports platform/kinds.loop, which did not change
    result = run(*entry[1:], *changed, cwd=tmp_path / "repo")
    assert result.exit_code == 0, result.output
    assert "in 2 files" in result.stdout


def test_ci_page_names_what_users_paste():
    page = (ROOT / "docs" / "ci.md").read_text()
    for needle in ("github/codeql-action/upload-sarif", "--format sarif", "--format github",
                   "security-events: write", ".gitlab-ci.yml", ".pre-commit-config.yaml",
                   "id: loopdsl-check", "--baseline"):
        assert needle in page, needle


def test_readme_and_docs_do_not_promise_unknown_formats():
    text = (ROOT / "README.md").read_text()
    assert "sarif" in text and "github" in text
