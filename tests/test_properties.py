"""Property tests: text generated from the grammar always parses, and any
text at all only ever yields diagnostics."""

from __future__ import annotations

import collections
import re

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from conftest import LOOP_TEXT
from loopdsl import loads
from loopdsl.syntax.parser import parse

pytestmark = pytest.mark.slow


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(LOOP_TEXT)
def test_text_generated_from_the_grammar_always_parses(text):
    # The grammar nests lists without limit; loopdsl refuses more than 32 levels.
    errors = [e for e in parse(text).errors if "nested more than" not in e.message]
    assert errors == [], text


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_any_text_only_yields_diagnostics(text):
    ws = loads(text)
    for d in ws.diagnostics:
        assert d.code.startswith("LD00")
        assert d.span.line >= 1 and d.span.column >= 1


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([
    "system", "s", "{", "}", "->", ":", ",", "[", "]", ".", '"x"', "1", "model", "m",
    "loop", "kind", "import", "true", "#c\n", "\n", '"""y"""', "context", "=", "-",
]), max_size=40))
def test_token_soup_only_yields_diagnostics(tokens):
    ws = loads(" ".join(tokens))
    assert all(d.code.startswith("LD00") for d in ws.diagnostics)


def _lark_tokens(text):
    """Tokens (comments included) and the first lexing error, from lark's own
    basic lexer on the same grammar: what loopdsl's lexer must reproduce."""
    from lark import Lark
    from lark.exceptions import UnexpectedCharacters

    from loopdsl.resources import data_dir

    global _REFERENCE
    if _REFERENCE is None:
        grammar = data_dir("grammar").joinpath("loopdsl.lark").read_text(encoding="utf-8")
        _REFERENCE = Lark(grammar, parser="lalr", lexer="basic")
    out = []
    try:
        for t in _REFERENCE.lex(text, dont_ignore=True):
            if t.type != "WS":
                out.append(_fields(t))
    except UnexpectedCharacters as e:
        out.append(("error", e.pos_in_stream, e.line, e.column))
    return out


_REFERENCE = None


def _fields(t):
    return (t.type, str(t), t.start_pos, t.line, t.column, t.end_line, t.end_column, t.end_pos)


def _loopdsl_tokens(text):
    from lark.exceptions import UnexpectedCharacters
    from lark.lexer import LexerThread

    from loopdsl.syntax import parser as syntax
    from loopdsl.syntax.lexer import MasterLexer

    session = syntax._Session(text)
    reset = syntax._session.set(session)
    tokens, error = [], []
    lexer = syntax._parser().parser.lexer  # Lark.lex() would use lark's own lexer
    assert isinstance(lexer, MasterLexer)
    try:
        for t in LexerThread.from_text(lexer, text).lex(None):
            tokens.append(_fields(t))
    except UnexpectedCharacters as e:
        error = [("error", e.pos_in_stream, e.line, e.column)]
    finally:
        syntax._session.reset(reset)
    return sorted(tokens + [_fields(t) for t in session.comments], key=lambda f: f[2]) + error


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@example('system s """a\n\n  b""" { # c\n\n  n: "x"\n}\n\n')
@example('kind k: model\n\t\f system  s{}\n#end')
@example('system s {\n  a -> b\n  @\n}\n')
@example("   \n\n ")
@given(st.one_of(
    LOOP_TEXT,
    st.text(alphabet=' \t\n\f"#\\{}[]:,.->_aé1e"', max_size=120),
    st.text(max_size=120),
))
def test_loopdsl_lexer_gives_the_tokens_and_positions_of_lark_lexer(text):
    # loopdsl lexes with its own, faster lexer; positions, types, keyword
    # handling and the place of an unexpected character must not change.
    assert _loopdsl_tokens(text) == _lark_tokens(text), text


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(LOOP_TEXT, st.lists(st.sampled_from([
    "system", "s", "t", "{", "}", "->", ":", ",", ".", "model", "context", "interface",
    "feedback", "m", "c", "loop", "l", "kind", "k", "owner", "42", '"x"', "max_iterations",
    "latency_ms", "\n", "# loopdsl: ignore[LD108]\n", "# loopdsl: ignore\n",
]), max_size=60).map(" ".join)))
def test_no_finding_is_reported_twice(text):
    from loopdsl import lint

    seen = [(d.code, d.span, d.message) for d in lint(loads(text))]
    assert len(seen) == len(set(seen)), text


_DIRECTIVES = ["  # loopdsl: ignore[LD108]", "  # loopdsl: ignore[LD201, LD107]",
               "  # loopdsl: ignore", "  # note", "  # loopdsl: ignore[LD111]"]


def _unlined(findings) -> collections.Counter:
    """Findings without their positions (and positions inside messages)."""
    return collections.Counter(
        (d.code, d.severity, d.element, re.sub(r"\d+:\d+(:\d+)?", "", d.message))
        for d in findings)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.filter_too_much])
@given(LOOP_TEXT, st.lists(st.tuples(st.integers(0, 60), st.sampled_from(_DIRECTIVES)),
                           max_size=6))
def test_fmt_never_changes_what_lint_reports(text, comments):
    from loopdsl import lint
    from loopdsl.formatter import FormatError, format_text

    lines = text.split("\n")
    for at, comment in comments:
        if lines and "#" not in lines[at % len(lines)]:
            lines[at % len(lines)] += comment
    text = "\n".join(lines)
    try:
        formatted = format_text(text)
    except FormatError:
        assume(False)
    assert _unlined(lint(loads(formatted))) == _unlined(lint(loads(text))), (text, formatted)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(LOOP_TEXT, st.text(alphabet=' \n"#{}[]:,.->_a1', max_size=120)))
def test_the_parse_builds_the_tree_of_larks_loop(text):
    from test_parser import _deep, _lark_loop

    assert _deep(parse(text)) == _deep(_lark_loop(text)), text
