"""loopdsl's lexer: lark's basic lexer, faster, with lark's tokens and state.

The parser (``syntax.parser``) hands it to lark as the grammar's lexer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from lark import Token
from lark.common import LexerConf
from lark.exceptions import UnexpectedCharacters
from lark.lexer import Lexer, LexerState

_SPACE = "WS"
"""The grammar's whitespace terminal, which the lexer skips before each token."""


class FastToken(Token):
    """lark's Token, made in one step: lark's constructor first checks for a
    deprecated keyword, a cost paid ~135,000 times at 10,000 nodes."""

    __slots__ = ()

    def __new__(cls, type: str, value: str, start_pos: int | None = None,
                line: int | None = None, column: int | None = None,
                end_line: int | None = None, end_column: int | None = None,
                end_pos: int | None = None) -> FastToken:
        token = str.__new__(cls, value)
        token.type, token.value, token.start_pos, token.end_pos = type, value, start_pos, end_pos
        token.line, token.column, token.end_line, token.end_column = (line, column, end_line,
                                                                      end_column)
        return token


class MasterLexer(Lexer):
    """lark's basic lexer, twice as fast: one master regex built from the
    grammar's own terminals (same order, so the same first-match results),
    keywords re-typed from NAME as lark does, and the whitespace before a
    token skipped by that same regex, with lines counted by ``str.count``
    rather than one token at a time. It keeps lark's lexer state up to date,
    so on_error can skip a character and resume exactly as with lark's lexer.
    """

    __future_interface__ = 2  # lex(lexer_state, parser_state), as lark's own lexers

    def __init__(self, conf: LexerConf) -> None:
        terminals = sorted(conf.terminals, key=lambda t: (
            -t.priority, -t.pattern.max_width, -len(t.pattern.value), t.name))
        name = next(t for t in terminals if t.name == "NAME")
        name_re = re.compile(name.pattern.to_regexp())
        self.keywords = {t.pattern.value: t.name for t in terminals
                         if t.pattern.type == "str" and name_re.fullmatch(t.pattern.value)}
        # Whitespace starts no other token, so skipping it first changes no match.
        space = next(t for t in terminals if t.name == _SPACE).pattern.to_regexp()
        self.space = re.compile(space)
        self.master = re.compile(f"(?:{space})?(?:" + "|".join(
            f"(?P<{t.name}>{t.pattern.to_regexp()})" for t in terminals
            if t.pattern.value not in self.keywords and t.name != _SPACE) + ")")
        self.ignore = set(conf.ignore)
        # lark's lexer_callbacks: the parser's, which records comments
        self.on_comment: Callable[[Token], Any] = conf.callbacks.get("COMMENT", _keep)
        self.multiline = {t.name for t in terminals if "\n" in t.pattern.to_regexp()
                          or "\\s" in t.pattern.to_regexp() or "\\W" in t.pattern.to_regexp()}
        self.allowed = {t.name for t in terminals} - self.ignore

    def lex(self, state: LexerState, parser_state: Any) -> Iterator[Token]:
        text, end, ctr = state.text.text, state.text.end, state.line_ctr
        match, keywords, ignore, multiline = (self.master.match, self.keywords, self.ignore,
                                              self.multiline)
        new = str.__new__
        pos, line, line_start = ctr.char_pos, ctr.line, ctr.line_start_pos
        while pos < end:
            m = match(text, pos)
            if m is None:  # only whitespace is left, or a character no token starts with
                space = self.space.match(text, pos)
                start = space.end() if space else pos
                if skipped := text.count("\n", pos, start):
                    line += skipped
                    line_start = text.rindex("\n", pos, start) + 1
                ctr.char_pos, ctr.line, ctr.line_start_pos = start, line, line_start
                ctr.column = start - line_start + 1
                if start >= end:
                    return
                raise UnexpectedCharacters(  # type: ignore[no-untyped-call]
                    text, start, line, ctr.column, allowed=self.allowed, state=parser_state,
                    token_history=state.last_token and [state.last_token])
            kind = m.lastgroup or ""
            start, stop = m.span(kind)
            if start != pos and (skipped := text.count("\n", pos, start)):
                line += skipped
                line_start = text.rindex("\n", pos, start) + 1
            value, first_line, column = m.group(kind), line, start - line_start + 1
            if kind in multiline and "\n" in value:
                line += value.count("\n")
                line_start = start + value.rindex("\n") + 1
            pos = stop
            ctr.char_pos, ctr.line, ctr.line_start_pos = stop, line, line_start
            ctr.column = end_column = stop - line_start + 1
            if kind in ignore:
                if kind == "COMMENT":
                    self.on_comment(FastToken(kind, value, start, first_line, column, line,
                                              end_column, stop))
                continue
            if kind == "NAME":
                kind = keywords.get(value, kind)
            # FastToken(...) written out: a call less for each of ~135,000 tokens
            token = new(FastToken, value)
            token.type, token.value, token.start_pos, token.end_pos = kind, value, start, stop
            token.line, token.column, token.end_line, token.end_column = (first_line, column,
                                                                          line, end_column)
            state.last_token = token
            yield token


def _keep(token: Token) -> Token:
    """The comment callback when the parser gives none: the token as it is."""
    return token
