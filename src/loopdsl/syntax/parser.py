"""Text to syntax tree, with syntax errors as data.

The LALR parser is built once per process (``functools.lru_cache``) and its
tables are cached per user on disk, so a run does not pay for grammar
analysis. The tree is built during parsing by a transformer handed to lark
(no intermediate parse tree); positions come from tokens. A loop of
loopdsl's drives lark's tables up to the first syntax error (``_parse``),
and lark's own loop goes on from there.

Errors do not stop the parse: lark calls ``_Session.on_error``, which records
an LD001 problem and repairs the input (insert the one token that lets the
parse go on, or drop the offending token), so one run reports more than one
syntax error per file. Errors that follow an error before any statement has
been completed are cascades and are not reported.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import itertools
import math
import re
from contextvars import ContextVar
from typing import Any

from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken
from lark.lexer import LexerState, LexerThread
from lark.parsers.lalr_analysis import Shift
from lark.parsers.lalr_parser_state import ParseConf, ParserState
from lark.utils import TextSlice

from loopdsl.cache import cache_dir, private
from loopdsl.resources import data_dir
from loopdsl.syntax import ast
from loopdsl.syntax.lexer import MasterLexer
from loopdsl.syntax.messages import (
    Braces,
    describe_expected,
    describe_token,
    open_brace_hint,
    unclosed_at_eof,
    unexpected_character,
)
from loopdsl.vocabulary import reserved_terminals

MAX_LIST_DEPTH = 32
"""Deeper lists are refused, like Python refuses too many nested parentheses."""

_session: ContextVar[_Session] = ContextVar("loopdsl_parse_session")


def parse(text: str) -> ast.ParsedFile:
    """Parse one file's text; never raises on bad input."""
    session = _Session(text)
    token = _session.set(session)
    items: list[ast.Import | ast.KindDecl | ast.SystemDecl]
    try:
        items = _parse(text, session)
    except UnexpectedInput as e:  # the repairs ran out: keep what was reported
        session.report_final(e)
        items = []
    finally:
        _session.reset(token)
    return ast.ParsedFile(items=items, comments=session.comments, errors=session.errors)


def _parse(text: str, session: _Session) -> Any:
    """The file's items: lark's LALR tables driven by a loop of loopdsl's up to
    the first syntax error, then lark's own loop with the repairs.

    lark's loop handles errors (``on_error`` and its interactive parser,
    which the repairs need), and pays for that on every token: a third of the
    parse at 10,000 nodes. This loop uses the same tables and rule callbacks,
    with each state's actions compiled once into plain tuples; at the first
    token it has no action for, or a character no token starts with, it
    hands its stacks and the lexer's state to lark's loop, which goes on from
    that token as if it had parsed the file from the start.
    """
    states, start, end, lexer = _tables()
    stack: list[int] = [start]
    values: list[Any] = []
    push_state, push_value = stack.append, values.append
    state = LexerState(TextSlice(text, 0, len(text)))
    try:
        for tok in itertools.chain(lexer.lex(state, None), (_END,)):
            kind = tok.type
            while True:
                action = states[stack[-1]].get(kind)
                if action is None:
                    return _resume(session, state, stack, values, tok)
                shift, arg = action
                if shift:
                    push_state(arg)
                    push_value(tok)
                    break
                size, callback, origin = arg
                children = values[-size:] if size else []
                if size:
                    del stack[-size:], values[-size:]
                push_value(callback(children))
                push_state(goto := states[stack[-1]][origin][1])
                if goto == end:
                    return values[-1]
    except UnexpectedCharacters:  # the lexer stopped at it: lark's loop meets it again
        return _resume(session, state, stack, values, None)
    raise AssertionError("the input ended before the start rule was reduced")


def _resume(session: _Session, state: LexerState, stack: list[int], values: list[Any],
            unexpected: Any) -> Any:
    """Go on with lark's own loop from the clean loop's stacks, at the token it
    had no action for (lexed again) or the lexer's error; then the error loop
    of lark's ``LALR_Parser.parse`` (lark 1.3), whose repairs need lark's
    interactive parser."""
    text = state.text.text
    if unexpected is not None and unexpected is not _END:  # lex it again
        ctr = state.line_ctr
        ctr.char_pos, ctr.line, ctr.column = (unexpected.start_pos, unexpected.line,
                                              unexpected.column)
        ctr.line_start_pos = unexpected.start_pos - unexpected.column + 1
    parser = _parser().parser.parser.parser
    resumed = ParserState(ParseConf(parser.parse_table, parser.callbacks, "start"),
                          LexerThread(_parser().parser.lexer, state), stack, values)
    try:
        return parser.parse_from_state(resumed, last_token=state.last_token)
    except UnexpectedInput as first:
        e = first
    while True:
        interactive: Any = e.interactive_parser
        ctr = interactive.lexer_thread.state.line_ctr
        at = ctr.char_pos
        if not session.on_error(e):
            raise e
        if isinstance(e, UnexpectedCharacters) and at == ctr.char_pos:
            ctr.feed(text[at:at + 1])  # no repair moved on: skip the character
        try:
            return interactive.resume_parse()
        except UnexpectedToken as again:
            if (isinstance(e, UnexpectedToken) and e.token.type == again.token.type == "$END"
                    and e.interactive_parser == again.interactive_parser):
                raise again  # no repair moved it on
            e = again
        except UnexpectedCharacters as again:
            e = again


_END = Token("$END", "")  # never shifted: it only makes the last reductions

_Action = tuple[bool, Any]  # (True, next state) or (False, (size, callback, rule name))


@functools.lru_cache(maxsize=1)
def _tables() -> tuple[dict[int, dict[str, _Action]], int, int, MasterLexer]:
    """lark's LALR tables for the clean path: per state, terminal or rule name
    -> (shift?, next state or what a reduction needs); the start and end
    states; the lexer."""
    lark = _parser()
    frontend = lark.parser
    table = frontend.parser.parser.parse_table
    callbacks = frontend.parser.parser.callbacks
    states = {
        state: {symbol: (True, arg) if action is Shift else
                (False, (len(arg.expansion), callbacks[arg], arg.origin.name))
                for symbol, (action, arg) in actions.items()}
        for state, actions in table.states.items()
    }
    lexer = frontend.lexer
    assert isinstance(lexer, MasterLexer)
    return states, table.start_states["start"], table.end_states["start"], lexer


@functools.lru_cache(maxsize=1)
def _parser() -> Lark:
    grammar = data_dir("grammar").joinpath("loopdsl.lark").read_text(encoding="utf-8")
    return Lark(
        grammar,
        parser="lalr",
        lexer=MasterLexer,
        transformer=_Builder(),
        lexer_callbacks={"COMMENT": _on_comment},
        cache=_cache_file(grammar),
        maybe_placeholders=False,
    )


def _cache_file(grammar: str) -> str | bool:
    """A per-user path for lark's parser tables, or False when there is none.

    lark's own default (``cache=True``) writes to a predictable path in the
    shared temporary folder; the per-user cache folder avoids that.
    """
    import lark

    folder = cache_dir()
    if folder is None:
        return False
    built_from = f"{lark.__version__}\0{MasterLexer.__qualname__}\0{grammar}"
    key = hashlib.sha256(built_from.encode()).hexdigest()[:16]
    path = folder / f"parser-{key}.lark"
    if path.exists() and not private(path):  # lark unpickles it: only our own
        return False
    return str(path)


def _on_comment(token: Token) -> Token:
    _session.get().comments.append(token)
    return token


# Tokens the repair may insert, in order of preference.
_INSERTABLE = ("RBRACE", "COLON", "COMMA", "RSQB", "ARROW")
_CLOSERS = ("RBRACE", "RSQB")


class _Session:
    """The state of one parse: comments, problems, and repair bookkeeping."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.braces = Braces(text)
        self.comments: list[Token] = []
        self.errors: list[ast.SyntaxProblem] = []
        self.statements = 0  # completed statements, to tell cascades apart
        self._statements_at_error = -1
        self._line_at_error = 0

    # --- recording ------------------------------------------------------

    def problem(self, message: str, token: Token, help: str | None = None) -> None:
        """Record an LD001 at ``token`` (a problem that is not a cascade)."""
        (line, column), (end_line, end_column) = ast.start_of(token), ast.end_of(token)
        self.errors.append(ast.SyntaxProblem(message, line, column, end_line, end_column, help))

    def _is_cascade(self, line: int) -> bool:
        """An error is a cascade of the last one unless a statement was completed
        since, on a later line (so one mistake yields one report)."""
        cascade = self.statements == self._statements_at_error or line == self._line_at_error
        self._statements_at_error, self._line_at_error = self.statements, line
        return cascade

    # --- lark's on_error ------------------------------------------------

    def on_error(self, e: UnexpectedInput) -> bool:
        """Record the problem and repair the input; True lets lark go on."""
        if isinstance(e, UnexpectedCharacters):
            pos, line, column = e.pos_in_stream or 0, e.line, e.column
            message, help, length = unexpected_character(self.text, pos)
            tok = Token("ERROR", self.text[pos : pos + length], start_pos=pos, line=line,
                        column=column, end_line=line, end_column=column + length)
            if not self._is_cascade(e.line):
                self.problem(message, tok, help)
            if message == "unterminated string":
                self._close_string(e, tok)
            return True  # lark skips the character, unless the repair moved on
        if not isinstance(e, UnexpectedToken) or e.interactive_parser is None:
            return False
        ip = e.interactive_parser
        if e.token.type == "$END":
            return self._repair_eof(e)
        if e.token.type == "STRING" and self.text.startswith('"""', e.token.start_pos or 0):
            if not self._is_cascade(ast.start_of(e.token)[0]):
                self.problem('unterminated """ string', e.token,
                             'close it with """')
            return False  # the rest of the file is inside the string
        expected: set[str] = ip.accepts()  # type: ignore[no-untyped-call]
        if self._reserved_as_name(e.token, expected, ip):
            return True
        if not self._is_cascade(ast.start_of(e.token)[0]):
            self.problem(
                f"expected {describe_expected(expected)}, found {describe_token(e.token)}",
                e.token,
                open_brace_hint(self.braces, e.token),
            )
        for kind in _INSERTABLE:
            if kind in expected:
                fake = Token.new_borrow_pos(kind, "", e.token)
                if _can_feed(ip, [fake, e.token]):
                    ip.feed_token(fake)
                    ip.feed_token(e.token)
                    return True
        return True  # drop the offending token

    def _close_string(self, e: UnexpectedCharacters, tok: Token) -> None:
        """Read an unterminated string as a string that ends with its line, so
        that the next line parses as written: one mistake, one finding."""
        ip = getattr(e, "interactive_parser", None)
        if ip is None:
            return
        # A comment after the text, and then a brace that ends what is left,
        # most likely end the statement, not the text (`system s "Support {  #
        # ...`): the string stops before them.
        rest = re.split(r"\s#", str(tok), maxsplit=1)[0].rstrip()
        if rest.endswith(("{", "}")) and len(rest) > 1:
            rest = rest[:-1].rstrip()
        string = Token.new_borrow_pos("STRING", '""', tok)
        if _can_feed(ip, [string]):
            ip.feed_token(string)
        ip.lexer_thread.state.line_ctr.feed(rest)  # on from the end of the text

    def _reserved_as_name(self, tok: Token, expected: set[str], ip: Any) -> bool:
        """`model system`: a reserved word where a name belongs, on the line of
        the statement it would name (a word that starts its line more likely
        starts the next statement). Reported as such, then read as the name,
        so that the rest of the file parses without a cascade."""
        if tok.type not in reserved_terminals() or "NAME" not in expected:
            return False
        start = tok.start_pos or 0
        if not self.text[self.text.rfind("\n", 0, start) + 1 : start].strip():
            return False
        name = Token.new_borrow_pos("NAME", str(tok), tok)
        if not _can_feed(ip, [name]):
            return False
        if not self._is_cascade(ast.start_of(tok)[0]):
            self.problem(f"'{tok}' is a reserved word and cannot be used as a name", tok,
                         f"choose another name, such as '{tok}_' or 'my_{tok}'")
        ip.feed_token(name)
        return True

    def _repair_eof(self, e: UnexpectedToken) -> bool:
        """Close what is open at the end of the file, so the parse can finish."""
        ip = e.interactive_parser
        added = 0
        while added < 10_000:
            expected: set[str] = ip.accepts()  # type: ignore[no-untyped-call]
            if "$END" in expected:
                break
            closer = next((k for k in _CLOSERS if k in expected), None)
            if closer is None:
                return False  # e.g. `system s` at the end: nothing to close
            ip.feed_token(Token.new_borrow_pos(closer, "", e.token))
            added += 1
        self.report_final(e)
        return True

    def report_final(self, e: UnexpectedInput) -> None:
        """Report an error at the end of the file (or one that ends the parse)."""
        if isinstance(e, UnexpectedToken) and e.token.type == "$END":
            tok = _eof_token(self.text)
            message, help = unclosed_at_eof(self.braces)
            if message is not None:  # an unclosed block is always worth a report
                self.problem(message, tok, help)
            elif not self._is_cascade(ast.start_of(tok)[0]):
                expected = describe_expected(e.expected)
                self.problem(f"unexpected end of file, expected {expected}", tok)
        elif isinstance(e, UnexpectedToken) and not self._is_cascade(ast.start_of(e.token)[0]):
            self.problem(
                f"expected {describe_expected(e.expected)}, found {describe_token(e.token)}",
                e.token,
            )


def _can_feed(ip: Any, tokens: list[Token]) -> bool:
    """Would the parser accept these tokens? Tried on a copy, without callbacks."""
    trial = ip.copy(deepcopy_values=False)
    conf = copy.copy(trial.parser_state.parse_conf)
    conf.callbacks = {}
    trial.parser_state.parse_conf = conf
    try:
        for tok in tokens:
            trial.feed_token(tok)
    except UnexpectedInput:
        return False
    return True


def _eof_token(text: str) -> Token:
    """A zero-width token after the last non-blank character of the file."""
    stripped = text.rstrip()
    line = stripped.count("\n") + 1
    column = len(stripped) - (stripped.rfind("\n") + 1) + 1
    return Token("$END", "", start_pos=len(stripped), line=line, column=column,
                 end_line=line, end_column=column + 1)


_ESCAPE = re.compile(
    r'\\u([dD][89abAB][0-9a-fA-F]{2})\\u([dD][c-fC-F][0-9a-fA-F]{2})'  # a surrogate pair
    r'|\\(u[0-9a-fA-F]{4}|["\\ntr])|\\(u.{0,4}|.?)', re.DOTALL)
_SIMPLE_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t", "r": "\r"}


class _Builder(Transformer[Token, Any]):
    """Builds ``ast`` objects as lark reduces each rule.

    Methods receive every kept child: named terminals included, absent
    optional parts simply missing, so they pick children by type.
    """

    # --- top level ------------------------------------------------------

    def start(self, children: list[Any]) -> list[Any]:
        return children

    def import_stmt(self, c: list[Any]) -> ast.Import:
        _session.get().statements += 1
        return ast.Import(_decode_string(c[1]), c[1], c[0])

    def kind_decl(self, c: list[Any]) -> ast.KindDecl:
        _session.get().statements += 1
        names = [t for t in c if isinstance(t, Token) and t.type == "NAME"]
        return ast.KindDecl(names[0], names[1], _label(c), _attrs(c), c[0], _last(c))

    def system(self, c: list[Any]) -> ast.SystemDecl:
        _session.get().statements += 1
        body = [x for x in c if not isinstance(x, Token | ast.Label)]
        return ast.SystemDecl(c[1], _label(c), body, _first(c, "LBRACE"), c[-1], c[0])

    def node(self, c: list[Any]) -> ast.NodeDecl:
        _session.get().statements += 1
        return ast.NodeDecl(c[0], c[1], _label(c), _attrs(c), _last(c))

    def flow(self, c: list[Any]) -> ast.FlowChain:
        _session.get().statements += 1
        refs = [x for x in c if isinstance(x, ast.Ref)]
        return ast.FlowChain(refs, _label(c), _attrs(c), _last(c))

    def loop(self, c: list[Any]) -> ast.LoopDecl:
        _session.get().statements += 1
        body = [x for x in c if isinstance(x, ast.Attr | ast.FlowChain)]
        return ast.LoopDecl(c[1], _label(c), body, _first(c, "LBRACE"), c[-1], c[0])

    # --- parts ----------------------------------------------------------

    def label(self, c: list[Any]) -> ast.Label:
        return ast.Label(_decode_string(c[0]), c[0])

    def attrs(self, c: list[Any]) -> ast.AttrBlock:
        return ast.AttrBlock([x for x in c if isinstance(x, ast.Attr)], c[-1])

    def attr(self, c: list[Any]) -> ast.Attr:
        _session.get().statements += 1
        return ast.Attr(c[0], c[2])

    def ref(self, c: list[Any]) -> ast.Ref:
        # Most references are one name; lark hands each reduction a new list.
        return ast.Ref(c if len(c) == 1 else [t for t in c if t.type == "NAME"])

    # --- values ---------------------------------------------------------

    def string(self, c: list[Any]) -> ast.Value:
        return ast.Value(_decode_string(c[0]), c[0], c[0])

    def number(self, c: list[Any]) -> ast.Value:
        tok = c[0]
        text = str(tok)
        if not text:  # a token inserted by the repair
            return ast.Value(0, tok, tok)
        if "." in text or "e" in text or "E" in text:
            value: int | float = float(text)
            if not math.isfinite(value):
                _session.get().problem(f"number {text} is out of range", tok)
                value = 0
        else:
            try:
                value = int(text)
            except ValueError:  # beyond Python's 4,300 digits for a conversion
                _session.get().problem(f"number with {len(text):,} digits is out of range", tok)
                value = 0
        return ast.Value(value, tok, tok)

    def true(self, c: list[Any]) -> ast.Value:
        return ast.Value(True, c[0], c[0])

    def false(self, c: list[Any]) -> ast.Value:
        return ast.Value(False, c[0], c[0])

    def symbol(self, c: list[Any]) -> ast.Value:
        ref: ast.Ref = c[0]
        return ast.Value(ref.text, ref.parts[0], ref.parts[-1])

    def list(self, c: list[Any]) -> ast.Value:
        items = [x for x in c if isinstance(x, ast.Value)]
        depth = 1 + max((x.depth for x in items), default=0)
        start, end = c[0], c[-1]
        if depth > MAX_LIST_DEPTH and all(x.depth <= MAX_LIST_DEPTH for x in items):
            _session.get().problem(
                f"lists nested more than {MAX_LIST_DEPTH} deep are not supported", start
            )
        if depth > MAX_LIST_DEPTH:
            return ast.Value([], start, end, depth, [])
        return ast.Value([x.value for x in items], start, end, depth, items)


def _first(c: list[Any], kind: str) -> Token:
    return next(t for t in c if isinstance(t, Token) and t.type == kind)


# Plain loops rather than next() over a generator: these run for every node,
# flow and kind, and a statement has at most a handful of children.
def _label(c: list[Any]) -> ast.Label | None:
    for x in c:
        if isinstance(x, ast.Label):
            return x
    return None


def _attrs(c: list[Any]) -> list[ast.Attr]:
    for x in c:
        if isinstance(x, list):
            return x
    return []


def _last(c: list[Any]) -> Token:
    """The last token of a statement: its block's '}', else its last part."""
    last = c[-1]
    if isinstance(last, ast.AttrBlock):
        return last.close
    if isinstance(last, ast.Label):
        return last.token
    if isinstance(last, ast.Ref):
        return last.parts[-1]
    assert isinstance(last, Token)
    return last


def _decode_string(tok: Token) -> str:
    raw = str(tok)
    if raw.startswith('"""') and len(raw) >= 6:
        return dedent_block(raw[3:-3])
    if len(raw) < 2 or not raw.startswith('"'):
        return raw  # a token inserted by the repair
    body = raw[1:-1]
    if "\\" not in body:
        return body

    def replace(m: re.Match[str]) -> str:
        high, low, good, bad = m.groups()
        if high is not None:  # JSON's way of writing a character beyond U+FFFF
            return chr(0x10000 + ((int(high, 16) - 0xD800) << 10) + int(low, 16) - 0xDC00)
        if good is not None:
            if good[0] == "u":
                code = int(good[1:], 16)
                if 0xD800 <= code <= 0xDFFF:
                    _session.get().problem(
                        f"\\{good} is a surrogate, not a character",
                        _part(tok, m.start(), m.end()),
                        "write the character itself, the file is UTF-8")
                    return "\ufffd"
                return chr(code)
            return _SIMPLE_ESCAPES[good]
        _session.get().problem(
            f"invalid escape '\\{bad}' in string", _part(tok, m.start(), m.end()),
            'strings know \\\\ \\" \\n \\t \\r and \\uXXXX; use """...""" for text without escapes',
        )
        return bad

    return _ESCAPE.sub(replace, body)


def _part(tok: Token, start: int, end: int) -> Token:
    """The characters ``start:end`` of a one-line string's body, as a token of
    their own: an escape's problem points at the escape."""
    column = (tok.column or 1) + 1 + start  # 1: the opening quote
    return Token("STRING", str(tok)[1 + start : 1 + end],
                 start_pos=(tok.start_pos or 0) + 1 + start, line=tok.line, column=column,
                 end_line=tok.line,
                 end_column=column + max(end - start, 1))


def dedent_block(text: str) -> str:
    """Triple-quoted text: drop the first and last blank lines, then the common indent."""
    first, *rest = text.split("\n")
    if rest and not rest[-1].strip():
        rest.pop()
    indents = [len(ln) - len(ln.lstrip(" \t")) for ln in rest if ln.strip()]
    cut = min(indents, default=0)
    lines = [ln[cut:] for ln in rest]
    if first.strip():
        lines.insert(0, first.strip())
    return "\n".join(lines)
