"""Property tests: text generated from the grammar always parses, and any
text at all only ever yields diagnostics."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import LOOP_TEXT
from loopdsl import loads
from loopdsl.syntax.parser import parse


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
