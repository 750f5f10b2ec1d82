"""Where the language server's "suppress CODE on this line" quick fix puts
its comment: at the end of the line, or into a directive already there,
never inside a string or a label; and nowhere when the line ends inside a
multi-line string."""

from __future__ import annotations

import pytest

from loopdsl import loads
from loopdsl.linter import lint
from loopdsl.lsp.analysis import suppression_edit


def applied(text: str, line: int, code: str) -> str | None:
    edit = suppression_edit(text, line, code)
    if edit is None:
        return None
    lines = text.split("\n")
    first, last, new = edit
    lines[line] = lines[line][:first] + new + lines[line][last:]
    return "\n".join(lines)


@pytest.mark.parametrize(("line", "expected"), [
    ('  context lonely', '  context lonely  # loopdsl: ignore[LD108]'),
    ('  context lonely # why: legacy', '  context lonely # why: legacy  # loopdsl: ignore[LD108]'),
    ('  context lonely  # loopdsl: ignore[LD107]',
     '  context lonely  # loopdsl: ignore[LD107, LD108]'),
    ('  context lonely "see # loopdsl: ignore[LD1]"',
     '  context lonely "see # loopdsl: ignore[LD1]"  # loopdsl: ignore[LD108]'),
    ('  context lonely "a \\" # not a comment"',
     '  context lonely "a \\" # not a comment"  # loopdsl: ignore[LD108]'),
])
def test_the_comment_goes_where_it_suppresses(line, expected):
    text = f'system s {{\n  owner: "x"\n{line}\n}}\n'
    fixed = applied(text, 2, "LD108")
    assert fixed is not None and fixed.split("\n")[2] == expected
    assert "LD108" in {d.code for d in lint(loads(text))}
    assert "LD108" not in {d.code for d in lint(loads(fixed))}  # and it does suppress


def test_no_action_where_the_line_ends_inside_a_string():
    text = 'system s {\n  owner: "x"\n  context lonely """\n    notes\n  """\n}\n'
    assert applied(text, 2, "LD108") is None
    assert applied(text, 3, "LD108") is None  # inside the string too
    assert applied(text, 4, "LD108") is not None  # after it closes, code again
