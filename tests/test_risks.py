"""Risks and cost: the e-mail assistant is clean with its gates and says
which path is open without each; references reach explain, SARIF and the
review; costs are exact and reach the review and diff."""

from __future__ import annotations

import json
import shutil
import textwrap

import pytest

from conftest import ROOT, found

EXAMPLE = ROOT / "examples" / "email-assistant" / "assistant.loop"


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_the_example_is_clean_with_its_gates():
    assert found(EXAMPLE.read_text()) == []


# What each gate guards: the text without it, and the findings (code, the line's text).
WITHOUT = {
    # The inbox's personal data then reaches the hosted model and the send
    # tool through triage and the approval (a person approves; nobody redacts).
    "the instruction filter": (
        ('  model strip "Instruction filter" { gate: "sanitizer", cost_usd: 0.001 }',
         '  model strip "Instruction filter" { cost_usd: 0.001 }'),
        [("LD504", "hosted_llm drafter"), ("LD504", "mail_action send")]),
    "the approval before deleting": (
        ("    approve -> delete -> triage", "    triage -> delete -> triage"),
        [("LD502", "mail_action delete")]),
    "the redaction": (
        ('  model redact "PII redaction" { gate: "sanitizer" }', '  model redact "PII redaction"'),
        [("LD504", "hosted_llm drafter"), ("LD504", "mail_action send")]),
    # Mail then makes triage delete: untrusted content acting, and no person.
    "the filter and the approval before deleting": (
        ('  model strip "Instruction filter" { gate: "sanitizer", cost_usd: 0.001 }',
         '  model strip "Instruction filter" { cost_usd: 0.001 }',
         "    approve -> delete -> triage", "    triage -> delete -> triage"),
        [("LD501", "mail_action delete"), ("LD502", "mail_action delete"),
         ("LD504", "hosted_llm drafter"), ("LD504", "mail_action send")]),
}


@pytest.mark.parametrize("gate", sorted(WITHOUT))
def test_without_a_gate_the_open_path_is_named(gate):
    edits, expected = WITHOUT[gate]
    changed = EXAMPLE.read_text()
    for old, new in zip(edits[::2], edits[1::2], strict=True):
        assert old in changed
        changed = changed.replace(old, new)
    got = [f for f in found(changed) if f[0].startswith("LD5")]
    assert got == sorted((code, line_of(changed, where)) for code, where in expected)


def test_a_misspelt_value_is_ld006_with_a_suggestion(run, tmp_path):
    (tmp_path / "d.loop").write_text(textwrap.dedent("""\
        system s {
          owner: "x"
          context web { trust: "untrusted" }
          context crm { data: ["pii", "secrets"] }
          interface tool { effect: "irreversable", gate: "humans" }
        }
    """))
    result = run("check", "-f", "json", "d.loop", cwd=tmp_path)
    ld006 = [f for f in json.loads(result.stdout) if f["code"] == "LD006"]
    assert [(f["line"], f["help"]) for f in ld006] == [
        (4, "did you mean 'secret'?"), (5, "did you mean 'irreversible'?"),
        (5, "did you mean 'human'?")]


def test_references_reach_explain_sarif_and_the_review(run, tmp_path):
    explained = run("explain", "LD502").stdout
    assert "EU AI Act Art. 14(4)" in explained
    assert "https://artificialintelligenceact.eu" in explained
    shutil.copy(EXAMPLE, tmp_path / "a.loop")
    text = (tmp_path / "a.loop").read_text().replace(
        "    approve -> delete -> triage", "    triage -> delete -> triage")
    (tmp_path / "a.loop").write_text(text)
    sarif = json.loads(run("check", "-f", "sarif", "a.loop", cwd=tmp_path).stdout)
    rules = {r["id"]: r for r in sarif["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["LD501"]["properties"]["tags"] == ["LLM01:2025", "LLM06:2025", "ASI01"]
    assert rules["LD502"]["properties"]["tags"] == ["LLM06:2025", "ASI02", "ASI09",
                                                    "EU AI Act Art. 14(4)"]
    assert "genai.owasp.org" in rules["LD502"]["help"]["markdown"]
    result = next(r for r in sarif["runs"][0]["results"] if r["ruleId"] == "LD502")
    steps = [loc["message"]["text"] for loc in result["relatedLocations"]]
    assert steps == ["path 1: triage", "path 1: delete"]
    assert run("doc", "a.loop", "-f", "md", "-o", "a.md", cwd=tmp_path).exit_code == 0
    md = (tmp_path / "a.md").read_text()
    risks = md.split("## Risks and cost", 1)[1].split("## Review checklist", 1)[0]
    assert "| Draft, approve, send, learn (`reply`) | 0.013 USD | 3 | 0.039 USD |" in risks
    assert "A day: 19.6 USD a day at 400 runs, the budget of 60 USD a day." in risks
    assert "| LD502 irreversible-without-human |" in risks and "`triage` → `delete`" in risks
    checklist = md.split("## Review checklist", 1)[1]
    assert "[EU AI Act Art. 14(4)](https://artificialintelligenceact.eu/article/14/)" in checklist


def test_diff_shows_the_worst_case_cost_of_each_changed_loop(run, tmp_path):
    shutil.copy(EXAMPLE, tmp_path / "old.loop")
    text = EXAMPLE.read_text().replace("    max_iterations: 3\n", "    max_iterations: 5\n")
    (tmp_path / "new.loop").write_text(text)
    doc = json.loads(run("diff", "old.loop", "new.loop", "-f", "json", cwd=tmp_path).stdout)
    (reply,) = doc["loops"]["changed"]
    assert reply["worst_case_usd"] == {"old": 0.039, "new": 0.065}
    assert [f["code"] for f in doc["findings"]["new"]] == ["LD506"]  # over its 0.05 budget
    md = run("diff", "old.loop", "new.loop", "-f", "markdown", cwd=tmp_path).stdout
    assert "worst case 0.039 → 0.065 USD, now over its 0.05 USD budget" in md


def test_the_walk_through_in_the_docs_is_what_check_says(run, tmp_path):
    doc = (ROOT / "docs" / "risks.md").read_text()
    shown = doc.split("`loopdsl check -f concise` then says", 1)[1].split("```", 2)[1]
    text = EXAMPLE.read_text()
    for old, new in (
            ('  model strip "Instruction filter" { gate: "sanitizer", cost_usd: 0.001 }',
             '  model strip "Instruction filter" { cost_usd: 0.001 }'),
            ('  model redact "PII redaction" { gate: "sanitizer" }',
             '  model redact "PII redaction"'),
            ("    approve -> delete -> triage", "    triage -> delete -> triage")):
        assert old in text
        text = text.replace(old, new)
    (tmp_path / "assistant.loop").write_text(text)
    result = run("check", "-f", "concise", "--select", "LD5", "assistant.loop", cwd=tmp_path)
    assert result.stdout.strip() == shown.strip()
