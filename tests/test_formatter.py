"""`loopdsl fmt`: idempotent, meaning-preserving, comment-keeping, on the
examples and on generated workspaces; and the command's behaviour."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings

from conftest import EXAMPLES, LOOP_TEXT, ROOT
from loopdsl import lint, loads
from loopdsl.formatter import FormatError, format_text, quote
from loopdsl.syntax.parser import parse

EXAMPLE_FILES = sorted(EXAMPLES.rglob("*.loop"))
SPAN_KEYS = {"span", "kind_span", "target_span"}


def meaning(text: str) -> object:
    """The exported workspace and its diagnostics, positions left out."""
    ws = loads(text)

    def strip(x: object) -> object:
        if isinstance(x, dict):
            return {k: strip(v) for k, v in x.items() if k not in SPAN_KEYS}
        if isinstance(x, list):
            return [strip(v) for v in x]
        return x

    return strip(json.loads(ws.model_dump_json())), sorted(
        (d.code, d.message) for d in ws.diagnostics)


def comments(text: str) -> list[str]:
    return sorted(str(c).rstrip() for c in parse(text).comments)


def assert_guarantees(text: str) -> None:
    once = format_text(text)
    assert format_text(once) == once, "not idempotent"
    assert meaning(once) == meaning(text), "meaning changed"
    assert comments(once) == comments(text), "a comment was lost or changed"


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: str(p.relative_to(EXAMPLES)))
def test_examples_keep_their_meaning_and_are_canonical(path):
    text = path.read_text()
    assert_guarantees(text)
    assert format_text(text) == text, "examples are kept in canonical form"


@pytest.mark.slow
@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(LOOP_TEXT.filter(lambda t: len(t) < 1500))
def test_guarantees_on_generated_workspaces(text):
    assume(not parse(text).errors)  # the grammar allows lists deeper than loopdsl's limit
    assert_guarantees(text)


def test_suppression_comments_stay_on_their_line():
    text = ("system s {   # the system\n  owner: \"x\"\n  context c\n  model m\n"
            "  interface ui       # loopdsl: ignore[open-loop]\n"
            "  interface old { a: 1,\n    b: 2 }   # loopdsl: ignore[LD108, LD102]\n"
            "  c -> m -> ui\n}\n")
    before = [(d.code, d.message) for d in lint(loads(text))]
    out = format_text(text)
    assert "  interface ui  # loopdsl: ignore[open-loop]" in out
    # The comment after old's block shares its line with the attribute `b`: laid
    # out anew, `b` would leave that line, so the statement is kept as written.
    assert "  interface old { a: 1,\n    b: 2 }   # loopdsl: ignore[LD108, LD102]\n" in out
    after = [(d.code, d.message) for d in lint(loads(out))]
    assert after == before
    assert [c for c, _ in after] == ["LD111", "LD102", "LD108", "LD007", "LD007"]
    assert "# the system" in out.splitlines()[0]


def test_layout_rules():
    text = ('system s{owner:"x"\n\n\n\n  model m "M"{provider:"p",latency_ms:5}'
            '\n# about c\ncontext c\n'
            f'  model wide {{ {", ".join(f"attribute_{i}: {i}" for i in range(12))} }}\n'
            "  c->m  # trailing\n  loop l{c->m}}\n")
    assert format_text(text) == (
        'system s {\n  owner: "x"\n\n  model m "M" { provider: "p", latency_ms: 5 }\n'
        "  # about c\n  context c\n  model wide {\n"
        + "".join(f"    attribute_{i}: {i}\n" for i in range(12))
        + "  }\n  c -> m  # trailing\n  loop l {\n    c -> m\n  }\n}\n")


@pytest.mark.parametrize(("value", "written"), [
    ("plain", '"plain"'),
    ('say "hi" \\ there', '"say \\"hi\\" \\\\ there"'),
    ("tab\tand\x01", '"tab\\tand\\u0001"'),
    ("two\nlines", '"""\n  two\n  lines\n"""'),
    ("  indented first\nline", '"""\n    indented first\n  line\n"""'),
    ("trailing spaces\n  ", '"trailing spaces\\n  "'),
    ('has """ inside\nx', '"has \\"\\"\\" inside\\nx"'),
])
def test_strings_are_requoted_consistently(value, written):
    assert quote(value) == written
    tree = parse(f"system s {{ a: {written} }}")
    assert tree.errors == [] and tree.items[0].body[0].value.value == value


def test_syntax_errors_raise_and_empty_files_stay_empty():
    with pytest.raises(FormatError, match="line 1"):
        format_text("system s {")
    assert format_text("") == "" and format_text("\n\n") == ""
    assert format_text("# just a comment\n") == "# just a comment\n"


# --- the command ----------------------------------------------------------------------


def test_fmt_command(run, write, tmp_path):
    ugly = write("a.loop", 'system a{owner:"x"}')
    good = write("b.loop", 'system b {\n  owner: "y"\n}\n')
    broken = write("c.loop", "system c {\n  model = 1\n")
    good_mtime = good.stat().st_mtime_ns
    check = run("fmt", "--check")
    assert check.exit_code == 1 and check.stdout == "would reformat a.loop\n"
    assert "c.loop" in check.stderr and ugly.read_text() == 'system a{owner:"x"}'
    diff = run("fmt", "--diff", "a.loop")
    assert diff.exit_code == 1 and "+system a {" in diff.stdout
    result = run("fmt")
    assert result.exit_code == 1  # c.loop could not be formatted
    assert ugly.read_text() == 'system a {\n  owner: "x"\n}\n'
    assert broken.read_text() == "system c {\n  model = 1\n"  # untouched
    assert good.stat().st_mtime_ns == good_mtime  # not rewritten
    assert not [p for p in Path(tmp_path).iterdir() if p.name.startswith(".")]
    broken.unlink()
    assert run("fmt", "--check").exit_code == 0
    assert run("fmt").exit_code == 0


def test_fmt_keeps_crlf_files_working(run, write):
    path = write("w.loop", 'system w {\r\n  owner: "x"\r\n}\r\n')
    assert run("fmt", "w.loop").exit_code == 0
    assert path.read_bytes() == b'system w {\n  owner: "x"\n}\n'


def test_pre_commit_fmt_hook():
    import yaml

    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert hooks["loopdsl-fmt"]["entry"] == "loopdsl fmt"
    assert re.search(hooks["loopdsl-fmt"]["files"], "x/y.loop")


def test_the_style_is_documented():
    page = (ROOT / "docs" / "formatting.md").read_text().lower()
    for needle in ("88", "two spaces", "comment", "blank line", '"""'):
        assert needle in page, needle
    assert os.path.exists(ROOT / "docs" / "language.md")
