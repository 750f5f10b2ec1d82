"""The parser: what parses, and LD001 for what does not, at the right place
and in the user's words."""

from __future__ import annotations

import re

import pytest

from loopdsl import loads
from loopdsl.syntax.parser import MAX_LIST_DEPTH, parse

LARK_WORDS = re.compile(r"RBRACE|LBRACE|__ANON|\$END|NAME|STRING|NUMBER|Token|Terminal")


def ld001(text: str) -> list[tuple[int, int]]:
    return [(p.line, p.column) for p in parse(text).errors]


def messages(text: str) -> list[str]:
    return [p.message + " " + (p.help or "") for p in parse(text).errors]


def test_example_from_the_spec_parses_with_every_construct():
    tree = parse('''
import "platform/kinds.loop"
kind retriever: context { description: "Finds documents" }
system support "Support assistant" {
  owner: "support-platform"
  description: """
    Drafts answers.
  """
  context tickets "Open tickets" { source: zendesk }
  model drafter "Answer drafter" { provider: "openai", latency_ms: 900, tags: ["a", "b",], }
  interface console
  feedback edits "Agent edits"
  tickets -> drafter "ticket text"
  other.node -> drafter
  loop answer "Answer a ticket" {
    budget_ms: 3000
    tickets -> drafter -> console -> edits -> tickets
  }
}
''')
    assert tree.errors == []
    kinds = [type(i).__name__ for i in tree.items]
    assert kinds == ["Import", "KindDecl", "SystemDecl"]
    system = tree.items[2]
    desc = next(a for a in system.body if getattr(a, "key", None) == "description")
    assert desc.value.value == "Drafts answers."
    chain = next(b for b in system.body if type(b).__name__ == "LoopDecl").body[1]
    assert [r.text for r in chain.refs] == ["tickets", "drafter", "console", "edits", "tickets"]


def test_values_are_typed():
    tree = parse('system s { a: 1, b: 2.5, c: -3e2, d: true, e: false, f: sym, '
                 'g: x.y, h: [1, [2, "s"]], i: "\\u00e9\\n\\t\\"\\\\" }')
    values = {str(a.key): a.value.value for a in tree.items[0].body}
    assert values == {"a": 1, "b": 2.5, "c": -300.0, "d": True, "e": False, "f": "sym",
                      "g": "x.y", "h": [1, [2, "s"]], "i": 'é\n\t"\\'}
    assert type(values["a"]) is int and type(values["d"]) is bool


def test_role_names_are_not_reserved_but_keywords_are():
    assert ld001('system s { model m { model: "gpt-4o", context: 1, feedback: x } }') == []
    assert ld001("system s { model loop }") == [(1, 18)]
    assert ld001("system system {}") == [(1, 8)]


def test_unicode_identifiers():
    ws = loads('system s { model Übersetzer "Ü" \n context _ctx2 \n _ctx2 -> Übersetzer }')
    assert [n.id for n in ws.systems[0].nodes] == ["Übersetzer", "_ctx2"]


def test_triple_quoted_strings_drop_common_indentation():
    tree = parse('system s { d: """\n    line one\n      indented\n    """ }')
    assert tree.items[0].body[0].value.value == "line one\n  indented"


@pytest.mark.parametrize(("text", "where"), [
    ('system s { context c "C" { source: "db"\n  model m "M"\n}', (2, 9)),
    ("system s {\n  a -> \n}", (3, 1)),
    ("system s {\n  owner: \n}", (3, 1)),
    ("kind k context", (1, 8)),
    ("system s { x: [1 2] }", (1, 18)),
    ("system s { a.b.c d }", (1, 18)),
])
def test_syntax_error_points_at_the_offending_token(text, where):
    assert ld001(text)[0] == where


def test_messages_use_the_users_words():
    for text in ["system s { a b c d e f }", "system s {", "system s { a: }", "kind k: }",
                 "system s { a -> }", 'system s { "x" }', "import kind", "system s { x: [1 2] }"]:
        for message in messages(text):
            assert not LARK_WORDS.search(message), message
    assert "expected ':'" in messages("system s { x y: 1 }")[0] or messages(
        "system s { x y: 1 }")


def test_missing_closing_brace_names_the_block():
    text = 'system s "S" {\n  owner: "x"\n  context c "C" { source: "db"\n  model m "M"\n}\n'
    problems = parse(text).errors
    assert [(p.line, p.column) for p in problems] == [(4, 9), (5, 2)]
    assert "node 'c'" in (problems[0].help or "")
    assert "never closed" in problems[1].message and "node 'c'" in problems[1].message


def test_unclosed_system_is_reported_at_end_of_file():
    problems = parse("system s {\n  model m\n\n\n").errors
    assert [(p.line, p.column) for p in problems] == [(2, 10)]
    assert "system 's'" in problems[0].message


def test_recovers_to_report_several_errors():
    text = ("system s {\n"
            "  owner \"x\"\n"                      # missing ':'
            "  model m \"M\" { latency_ms: 5 }\n"
            "  context c \"C\" { tags: [1 2] }\n"   # missing ','
            "  c -> m\n"
            "}\n")
    assert ld001(text) == [(2, 9), (4, 28)]
    # the repairs kept the rest of the file
    assert [n.id for n in loads(text).systems[0].nodes] == ["m", "c"]


def test_one_mistake_one_report():
    assert len(ld001("system s { a-b -> c }")) == 1
    assert len(ld001("system s { x: @@@@@ }")) == 1


@pytest.mark.parametrize(("text", "word"), [
    ("system s { a = 1 }", "':'"),
    ("system s { my-node -> x }", "'_'"),
    ("system s { a: 'x' }", "double quotes"),
    ("system s { a: \"unterminated\n}", "unterminated"),
    ('system s { a: """never closed }', "unterminated"),
    ("system s { // comment\n}", "'#'"),
    ('system s { a: "\\q" }', "invalid escape"),
    ('system s { a: "\\ud800" }', "surrogate"),
    ("system s { a: 1e999 }", "out of range"),
])
def test_known_mistakes_get_a_hint(text, word):
    assert any(word in m for m in messages(text)), messages(text)


def test_deep_nesting_is_refused_without_recursion():
    deep = "system s { a: " + "[" * 10_000 + "]" * 10_000 + " }"
    problems = parse(deep).errors
    assert len(problems) == 1 and str(MAX_LIST_DEPTH) in problems[0].message
    ok = "system s { a: " + "[" * MAX_LIST_DEPTH + "]" * MAX_LIST_DEPTH + " }"
    assert parse(ok).errors == []
    unbalanced = "system s { a: " + "[" * 10_000 + " }"
    assert len(parse(unbalanced).errors) >= 1


def test_newline_styles_and_bom_give_the_same_positions():
    unix = 'system s {\n  model m\n  x -> m\n}\n'
    ws_unix = loads(unix)
    for variant in [unix.replace("\n", "\r\n"), unix.replace("\n", "\r"), "\ufeff" + unix]:
        ws = loads(variant)
        assert [(d.code, d.span.line, d.span.column) for d in ws.diagnostics] == [
            (d.code, d.span.line, d.span.column) for d in ws_unix.diagnostics]
    assert [(d.span.line, d.span.column) for d in ws_unix.diagnostics] == [(3, 3)]


@pytest.mark.parametrize("text", ["", "   \n\n", "# only a comment\n"])
def test_empty_files_are_fine(text):
    assert parse(text).errors == [] and parse(text).items == []


def test_control_characters_are_a_diagnostic():
    problems = parse("system s {\x00\x1b[31m }").errors
    assert problems and "U+0000" in problems[0].message


def _lark_loop(text: str):
    """The tree lark's own parse loop builds, with its repairs, from the start:
    what loopdsl's parse must build exactly, with syntax errors or without."""
    from lark.exceptions import UnexpectedInput

    from loopdsl.syntax import parser as syntax

    session = syntax._Session(text)
    reset = syntax._session.set(session)
    try:
        items = syntax._parser().parse(text, on_error=session.on_error)
    except UnexpectedInput as e:
        session.report_final(e)
        items = []
    finally:
        syntax._session.reset(reset)
    return syntax.ast.ParsedFile(items=items, comments=session.comments, errors=session.errors)


def _deep(x):
    """Every field of a syntax tree, tokens with their type and positions."""
    import dataclasses

    from lark import Token

    if isinstance(x, Token):
        return (x.type, str(x), x.start_pos, x.line, x.column, x.end_line, x.end_column,
                x.end_pos)
    if isinstance(x, list | tuple):
        return [_deep(v) for v in x]
    if dataclasses.is_dataclass(x):
        return (type(x).__name__, [_deep(getattr(x, f.name)) for f in dataclasses.fields(x)])
    return repr(x)


def test_the_parse_builds_lark_loops_tree_with_and_without_errors():
    # Every bundled .loop file, and each with a character cut and one put in
    # at seeded places: loopdsl's loop up to the first error, lark's loop and
    # its repairs from there, and the same tree, positions and problems as
    # lark's loop from the start.
    import random
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    files = sorted(p for d in ("examples", "tests/cases") for p in (root / d).rglob("*.loop"))
    rnd = random.Random(7)
    clean = broken = 0
    for path in files:
        text = path.read_text(encoding="utf-8")
        cut, put = rnd.randrange(len(text)), rnd.randrange(len(text))
        for variant in (text, text[:cut] + text[cut + 1:],
                        text[:put] + rnd.choice("{}[]:,.@") + text[put:]):
            tree = parse(variant)
            broken += bool(tree.errors)
            clean += not tree.errors
            assert _deep(tree) == _deep(_lark_loop(variant)), path
    assert clean > len(files) // 2 and broken > len(files) // 2, (clean, broken)
