"""Annotated design files: each file in tests/cases/ says in its comments
which findings `loopdsl check --format json` reports, on which line, and the
run must report exactly those (no more), with the exit code they imply.

  # expect: LD102=error, LD108=warning   trailing: findings on this line
  # expect-at N: LD007=info              anywhere: a finding on line N
  # expect-message: LD202 1450 1000      some LD202 message has every word
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from conftest import ROOT

CASES = sorted((ROOT / "tests" / "cases").glob("*.loop"))


def expectations(text: str) -> tuple[set[tuple[int, str, str]], list[tuple[str, list[str]]]]:
    expected: set[tuple[int, str, str]] = set()
    messages: list[tuple[str, list[str]]] = []
    for number, line in enumerate(text.splitlines(), 1):
        if m := re.search(r"#\s*expect:\s*(.+)$", line):
            at, items = number, m.group(1)
        elif m := re.match(r"\s*#\s*expect-at (\d+):\s*(.+)$", line):
            at, items = int(m.group(1)), m.group(2)
        else:
            if m := re.match(r"\s*#\s*expect-message:\s*(\S+)\s+(.+)$", line):
                messages.append((m.group(1), m.group(2).split()))
            continue
        for item in items.split(","):
            code, _, severity = item.strip().partition("=")
            assert severity, f"line {number}: say the severity of {code}"
            expected.add((at, code, severity))
    return expected, messages


def test_there_are_cases():
    assert len(CASES) >= 5


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_case(case: Path, run, tmp_path):
    expected, messages = expectations(case.read_text(encoding="utf-8"))
    shutil.copy(case, tmp_path / case.name)
    result = run("check", "--format", "json", case.name, cwd=tmp_path)
    found = json.loads(result.stdout)
    assert {f["file"] for f in found} <= {case.name}
    assert {(f["line"], f["code"], f["severity"]) for f in found} == expected
    assert len(found) == len(expected), "a finding reported twice"
    for code, words in messages:
        assert any(f["code"] == code and all(w in f["message"] for w in words)
                   for f in found), (code, words, found)
    failing = any(severity in ("error", "warning") for _, _, severity in expected)
    assert result.exit_code == (1 if failing else 0), result.output
