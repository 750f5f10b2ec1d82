"""Property tests: text generated from the grammar always parses, and any
text at all only ever yields diagnostics."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark
from lark import Lark

from loopdsl import loads
from loopdsl.resources import data_dir
from loopdsl.syntax.parser import parse

GRAMMAR = data_dir("grammar").joinpath("loopdsl.lark").read_text(encoding="utf-8")
RESERVED = {"system", "import", "kind", "loop", "true", "false"}


def _token(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    # from_lark joins terminals without separators; a space keeps tokens apart.
    return strategy.map(lambda s: s + " ")


NAMES = st.from_regex(r"[^\W\d]\w{0,8}", fullmatch=True).filter(
    lambda s: s not in RESERVED)
STRINGS = st.one_of(
    st.text(st.characters(blacklist_characters='"\\\n\r', blacklist_categories=["Cs"]),
            max_size=10).map(lambda s: f'"{s}"'),
    st.text(st.characters(blacklist_characters='"', blacklist_categories=["Cs"]),
            max_size=10).map(lambda s: f'"""{s}"""'),
)
NUMBERS = st.from_regex(r"-?(0|[1-9][0-9]{0,5})(\.[0-9]{1,3})?([eE][+-]?[0-9]{1,2})?",
                        fullmatch=True)
LOOP_TEXT = from_lark(
    Lark(GRAMMAR, parser="lalr", lexer="basic"),
    explicit={
        "NAME": _token(NAMES),
        "STRING": _token(STRINGS),
        "NUMBER": _token(NUMBERS),
        "COMMENT": st.from_regex(r"#[^\n\r]{0,10}", fullmatch=True).map(lambda s: s + "\n"),
        "WS": st.sampled_from([" ", "\n", "\t", "  \n"]),
        **{word.upper(): st.just(word + " ") for word in RESERVED},
    },
)


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
