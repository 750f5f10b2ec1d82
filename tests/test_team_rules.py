"""Team rules from rule-paths, malformed rule files, and check functions
registered by other packages through the loopdsl.functions entry points."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

from conftest import ROOT, findings, loopdsl_executable

TEAM = ROOT / "examples" / "team-rules"
VIOLATION = """
system leak {
  owner: "growth"
  context crm "Customer records" { pii: true }
  model gpt "Hosted model" { hosting: "external" }
  interface mail
  feedback replies
  loop l {
    crm -> gpt  # loopdsl: ignore[LD999]
    gpt -> mail -> replies -> crm
  }
}
"""


@pytest.fixture
def team(tmp_path: Path) -> Path:
    folder = tmp_path / "team"
    shutil.copytree(TEAM, folder)
    (folder / "leak.loop").write_text(VIOLATION)
    return folder


def test_team_rule_fires_where_a_builtin_would(run, team):
    result = run("check", "-f", "json", ".", cwd=team)
    got = json.loads(result.stdout)
    acme = [f for f in got if f["code"] == "ACME001"]
    assert [(f["file"], f["line"], f["column"], f["severity"]) for f in acme] == [
        ("leak.loop", 9, 5, "error")]
    assert acme[0]["message"] == ("flow 'crm -> gpt' sends personal data from 'crm' to the "
                                  "external model 'gpt'")
    assert result.exit_code == 1


def test_team_codes_work_in_select_ignore_severity_and_suppressions(run, team):
    assert [c for c, *_ in findings(run("check", "-f", "json", "--select", "ACME", ".",
                                        cwd=team))] == ["ACME001"]
    assert findings(run("check", "-f", "json", "--ignore", "ACME001,LD007", ".",
                        cwd=team)) == []
    leak = team / "leak.loop"
    leak.write_text(VIOLATION.replace("LD999", "pii-to-external-model"))
    assert findings(run("check", "-f", "json", ".", cwd=team)) == []
    (team / "loopdsl.toml").write_text('rule-paths = ["rules"]\n[severity]\nACME001 = "info"\n')
    leak.write_text(VIOLATION)
    result = run("check", "-f", "json", "--select", "ACME001", ".", cwd=team)
    assert [f["severity"] for f in json.loads(result.stdout)] == ["info"]


def test_rules_and_explain_show_team_rules(run, team):
    listed = json.loads(run("rules", "--format", "json", cwd=team).stdout)
    row = next(r for r in listed if r["code"] == "ACME001")
    assert row == {"code": "ACME001", "name": "pii-to-external-model", "severity": "error",
                   "summary": "Personal data must not flow to an externally hosted model",
                   "status": "stable", "origin": "rules/ACME001-pii-to-external-model.toml"}
    assert set(listed[0]) == {"code", "name", "severity", "summary", "status", "origin"}
    text = run("explain", "pii-to-external-model", cwd=team).stdout
    assert "data-processing agreements" in text and "Triggers it:" in text
    assert "line 4: flow 'crm -> gpt'" in text


def test_explain_builtin_and_unknown(run):
    text = run("explain", "LD101").stdout
    assert text.startswith("LD101 model-without-context (default: error)")
    assert "Triggers it:" in text and "Does not trigger it:" in text
    assert "line " in text  # the finding the example produces
    result = run("explain", "open-lop")
    assert result.exit_code == 2 and "did you mean 'open-loop'?" in result.stderr


def test_rules_table_lists_everything(run):
    out = run("rules").stdout.splitlines()
    assert out[0].split() == ["CODE", "NAME", "SEVERITY", "SUMMARY", "ORIGIN"]
    assert len(out) == 1 + 7 + 17 + 9 + 6 + 6  # structural, rules, drift, conform, risks


# --- malformed rule files ----------------------------------------------------------

GOOD = """
code = "ACME002"
name = "external-needs-owner"
severity = "warning"
message = "model '{id}' is hosted outside but names no owner"
[select]
element = "node"
role = "model"
attributes = { hosting = "external" }
[check]
function = "attributes-present"
names = ["owner"]
"""


@pytest.mark.parametrize(("change", "field"), [
    (lambda t: t + 'colour = "red"\n', "colour"),
    (lambda t: t.replace('function = "attributes-present"', 'function = "eval"'),
     "check.function"),
    (lambda t: t.replace('severity = "warning"', 'severity = "fatal"'), "severity"),
    (lambda t: t.replace('code = "ACME002"', 'code = "acme-2"'), "code"),
    (lambda t: t.replace('code = "ACME002"', 'code = "LD101"'), "code"),
    (lambda t: t.replace('name = "external-needs-owner"', 'name = "open-loop"'), "name"),
    (lambda t: t.replace("'{id}'", "'{idd}'"), "message"),
    (lambda t: t.replace("'{id}'", "'{id.__class__}'"), "message"),
    (lambda t: t.replace('names = ["owner"]', 'nams = ["owner"]'), "check.nams"),
    (lambda t: t.replace('element = "node"', 'element = "edge"'), "select.element"),
    (lambda t: t.replace('element = "node"', 'element = "loop"'), "select.role"),
    (lambda t: t.replace('function = "attributes-present"', 'function = "closed"'),
     "select.element"),
    (lambda t: t.replace("[check]", "[check\n"), "invalid TOML"),
    (lambda t: t.replace('message = "model', 'mesage = "model'), "message"),
])
def test_malformed_rule_files_name_the_file_and_field(run, write, change, field):
    write("rules/ACME002-external-needs-owner.toml", change(GOOD))
    write("loopdsl.toml", 'rule-paths = ["rules"]\n')
    write("d.loop", 'system s { owner: "x" }')
    result = run("check", "d.loop")
    assert result.exit_code == 2
    assert "ACME002-external-needs-owner.toml" in result.stderr
    assert field in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_a_good_team_rule_with_attribute_filters(run, write):
    write("rules/ACME002-external-needs-owner.toml", GOOD)
    write("loopdsl.toml", 'rule-paths = ["rules"]\n')
    write("d.loop", 'system s { owner: "x"\n model a { hosting: "external" }\n'
                    ' model b { hosting: "internal" }\n model c { hosting: "external", '
                    'owner: "ml" } }')
    got = findings(run("check", "-f", "json", "--select", "ACME", "d.loop"))
    assert got == [("ACME002", 2, 8)]


def test_missing_rule_path_folder(run, write):
    write("loopdsl.toml", 'rule-paths = ["nowhere"]\n')
    write("d.loop", 'system s { owner: "x" }')
    result = run("check", "d.loop")
    assert result.exit_code == 2 and "nowhere" in result.stderr


# --- functions from other packages -----------------------------------------------------

PLUGIN = '''
from loopdsl.linter.functions import CheckFunction, Finding


def _run(ctx, elements, options):
    for e in elements:
        if len(e.label) > 12:
            yield Finding(e, {"length": len(e.label)})


short_label = CheckFunction(name="short-label", elements=frozenset({"node"}), run=_run,
                            provides=frozenset({"length"}))
'''


def test_entry_point_functions(tmp_path):
    site = tmp_path / "site"
    (site / "acme_checks").mkdir(parents=True)
    (site / "acme_checks" / "__init__.py").write_text(textwrap.dedent(PLUGIN))
    dist = site / "acme_checks-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-checks\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[loopdsl.functions]\nshort-label = acme_checks:short_label\n")
    work = tmp_path / "work"
    (work / "rules").mkdir(parents=True)
    (work / "rules" / "ACME003-short-labels.toml").write_text(textwrap.dedent("""
        code = "ACME003"
        name = "short-labels"
        severity = "warning"
        message = "label of '{id}' is {length} characters long"
        [select]
        element = "node"
        [check]
        function = "short-label"
    """))
    (work / "loopdsl.toml").write_text('rule-paths = ["rules"]\nselect = ["ACME"]\n')
    (work / "d.loop").write_text('system s { context c "A very long label"\n model m "Short" }')
    env = {**os.environ, "PYTHONPATH": str(site)}
    proc = subprocess.run([loopdsl_executable(), "check", "-f", "concise", "d.loop"], cwd=work,
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.stdout == "d.loop:1:20: ACME003 label of 'c' is 17 characters long\n"
    assert proc.returncode == 1
    # without the package, the function is unknown: a clear error
    proc = subprocess.run([loopdsl_executable(), "check", "d.loop"], cwd=work,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "short-label" in proc.stderr
