"""``loopdsl fmt``: one canonical layout, comments kept.

The style (docs/formatting.md): statements in source order, one per line,
two-space indentation; system and loop bodies always open a block;
attribute blocks stay on one line when they fit in 88 columns and hold no
comment, else one attribute per line; strings re-quoted with the same
escapes everywhere, text with newlines as a \"\"\"block\"\"\"; at most one blank
line between statements, where the source had one. Comments stay attached
to the statement they belong to: a comment alone on its line to the next
statement, a comment after code to that line's statement, so suppression
comments stay on the line they suppress.
"""

from __future__ import annotations

import bisect
import re
import textwrap
import unicodedata
from dataclasses import dataclass, field

from lark import Token

from loopdsl.syntax import ast
from loopdsl.syntax.parser import dedent_block, parse

WIDTH = 88
INDENT = "  "


class FormatError(ValueError):
    """The text has syntax errors: it is left as it is."""


def format_text(text: str) -> str:
    """The canonical form of a file's text; raises FormatError on syntax errors."""
    from loopdsl.loader import normalise

    text = normalise(text)
    tree = parse(text)
    if tree.errors:
        first = tree.errors[0]
        raise FormatError(f"line {first.line}, column {first.column}: {first.message}")
    root = _Stmt(start=0, end=10**9, pos=-1, head="", kind="file",
                 children=[_statement(item) for item in tree.items])
    _attach(root, [_Comment(t, _alone(text, t)) for t in tree.comments], text)
    lines: list[str] = []
    for i, child in enumerate(root.children or []):
        lines += _emit(child, "", first=i == 0)
    if root.dangling:
        if lines:
            lines.append("")
        lines += root.dangling
    return "\n".join(lines) + "\n" if lines else ""


# --- strings and values ----------------------------------------------------------


def quote(value: str, indent: str = "", block: bool = True) -> str:
    """A string value as loopdsl text: ``"..."``, or (with ``block``) a ``\"\"\"``
    block for text with newlines when that reads back to exactly the same value."""
    if block and "\n" in value and '"""' not in value and "\r" not in value:
        inner = indent + INDENT
        body = "\n".join(inner + line if line.strip() else "" for line in value.split("\n"))
        written = f'"""\n{body}\n{indent}"""'
        if dedent_block(written[3:-3]) == value:
            return written
    out = []
    for ch in value:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif unicodedata.category(ch) in ("Cc", "Cs") or ch in "\u2028\u2029":
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _value(v: ast.Value, indent: str) -> str:
    if v.items is not None:
        items = [_value(x, indent + INDENT) for x in v.items]
        inline = "[" + ", ".join(items) + "]"
        if not items or (len(indent) + len(inline) <= WIDTH and "\n" not in inline):
            return inline
        return "[\n" + "".join(f"{indent}{INDENT}{x},\n" for x in items) + indent + "]"
    tok = v.start
    if tok.type == "STRING":
        return quote(v.value, indent)
    if tok.type == "NAME":  # a symbol, dotted or not, stays bare
        return str(v.value)
    return str(tok)  # numbers and booleans as written


def _label(label: ast.Label | None) -> str:
    # A label stays on its statement's line, so comments after it stay there too.
    return f" {quote(label.text, block=False)}" if label else ""


# --- the statement tree --------------------------------------------------------------


@dataclass(slots=True)
class _Comment:
    token: Token
    alone: bool  # on a line of its own

    @property
    def line(self) -> int:
        return int(self.token.line or 0)

    @property
    def pos(self) -> int:
        return int(self.token.start_pos or 0)

    @property
    def text(self) -> str:
        return str(self.token).rstrip()


@dataclass(slots=True)
class _Stmt:
    start: int
    end: int
    pos: int  # offset of the first token, to tell statements on one line apart
    head: str
    kind: str  # "file", "body" (system, loop), "attrs" (may go on one line), "line"
    children: list[_Stmt] | None = None  # None: no block
    value: ast.Value | None = None  # for an attribute: rendered at its indent
    leading: list[str] = field(default_factory=list)
    trailing: str = ""
    closing: str = ""  # comment after the block's '}'
    dangling: list[str] = field(default_factory=list)  # comments before the '}'
    blank_before: bool = False
    first_line: int = 0  # of the statement or its leading comments
    id_line: int = 0  # where its id stands (findings point there); 0: its first line
    end_pos: int = 0  # offset just after its last token
    head_end: int = 0  # the line of its head's last token (before any block)
    verbatim: str | None = None  # written as it stands (see _keep_directive_lines)
    skip: bool = False  # part of an earlier statement's verbatim text


def _line(tok: Token) -> int:
    return ast.start_of(tok)[0]


def _pos(tok: Token) -> int:
    return int(tok.start_pos or 0)


def _end_line(tok: Token) -> int:
    return ast.end_of(tok)[0]


def _statement(item: object) -> _Stmt:
    stmt = _statement_of(item)
    last = _last_token(item)
    stmt.end_pos = int(last.end_pos if last.end_pos is not None else stmt.pos)
    stmt.head_end = _head_end(item, stmt)
    return stmt


def _head_end(item: object, stmt: _Stmt) -> int:
    label = getattr(item, "label", None)
    if isinstance(label, ast.Label):
        return _end_line(label.token)
    if isinstance(item, ast.NodeDecl | ast.LoopDecl | ast.SystemDecl):
        return _end_line(item.id)
    if isinstance(item, ast.KindDecl):
        return _end_line(item.base)
    if isinstance(item, ast.FlowChain):
        return _end_line(item.refs[-1].parts[-1])
    return stmt.end


def _last_token(item: object) -> Token:
    if isinstance(item, ast.Import):
        return item.token
    if isinstance(item, ast.Attr):
        return item.value.end
    if isinstance(item, ast.LoopDecl | ast.SystemDecl):
        return item.close
    assert isinstance(item, ast.KindDecl | ast.NodeDecl | ast.FlowChain)
    return item.end


def _statement_of(item: object) -> _Stmt:
    if isinstance(item, ast.Import):
        return _Stmt(_line(item.start), _end_line(item.token), _pos(item.start),
                     f"import {quote(item.path, block=False)}", "line")
    if isinstance(item, ast.Attr):
        return _Stmt(_line(item.key), _end_line(item.value.end), _pos(item.key), f"{item.key}:",
                     "line", value=item.value)
    if isinstance(item, ast.KindDecl):
        head = f"kind {item.name}: {item.base}{_label(item.label)}"
        return _with_attrs(_Stmt(_line(item.start), _end_line(item.end), _pos(item.start),
                                 head, "attrs", id_line=_line(item.name)), item.attrs)
    if isinstance(item, ast.NodeDecl):
        head = f"{item.kind} {item.id}{_label(item.label)}"
        return _with_attrs(_Stmt(_line(item.kind), _end_line(item.end), _pos(item.kind),
                                 head, "attrs", id_line=_line(item.id)), item.attrs)
    if isinstance(item, ast.FlowChain):
        head = " -> ".join(r.text for r in item.refs) + _label(item.label)
        first = item.refs[0].parts[0]
        return _with_attrs(_Stmt(_line(first), _end_line(item.end), _pos(first), head,
                                 "attrs"), item.attrs)
    if isinstance(item, ast.LoopDecl | ast.SystemDecl):
        word = "loop" if isinstance(item, ast.LoopDecl) else "system"
        head = f"{word} {item.id}{_label(item.label)}"
        return _Stmt(_line(item.start), _end_line(item.close), _pos(item.start), head, "body",
                     children=[_statement(x) for x in item.body], id_line=_line(item.id))
    raise TypeError(f"unexpected syntax node {type(item).__name__}")


def _with_attrs(stmt: _Stmt, attrs: list[ast.Attr]) -> _Stmt:
    if isinstance(attrs, ast.AttrBlock):
        stmt.children = [_statement(a) for a in attrs]
    return stmt


def _alone(text: str, tok: Token) -> bool:
    start = text.rfind("\n", 0, tok.start_pos or 0) + 1
    return not text[start : tok.start_pos].strip()


_DIRECTIVE = re.compile(r"#\s*loopdsl:", re.IGNORECASE)


def _keep_directive_lines(children: list[_Stmt], comments: list[_Comment],
                          holders: list[int | None], text: str) -> set[int]:
    """Statements whose lines a suppression directive shares with more than its
    own simple statement on one line (several statements on the line, or one
    statement spread over lines) are kept as written: laid out anew, tokens
    would change lines and the directive what it suppresses. Returns the
    positions of the comments the kept text holds."""
    kept: set[int] = set()
    positions = [c.pos for c in comments]  # in text order
    for c, holder in zip(comments, holders, strict=True):
        if holder is None or c.alone or not _DIRECTIVE.search(c.text):
            continue
        first = last = holder
        while first > 0 and children[first - 1].end == children[first].start:
            first -= 1
        while last + 1 < len(children) and children[last + 1].start == children[last].end:
            last += 1
        group = children[first : last + 1]
        if len(group) == 1 and not _moves_tokens_off(group[0], c.line):
            continue
        if any(ch.verbatim is not None or ch.skip for ch in group):
            continue
        # The statements as written, and a comment right after the last of them.
        stop = group[-1].end_pos
        line_end = text.find("\n", stop)
        rest = text[stop : len(text) if line_end == -1 else line_end]
        if re.match(r"\s*,?\s*#", rest):  # an attribute's ',' may stand before it
            stop += len(rest)
        group[0].verbatim = text[group[0].pos : stop].rstrip()
        for ch in group[1:]:
            ch.skip = True
        first_kept = bisect.bisect_left(positions, group[0].pos)
        kept.update(positions[first_kept : bisect.bisect_left(positions, stop)])
    return kept


def _moves_tokens_off(stmt: _Stmt, line: int) -> bool:
    """Would the canonical layout take a token that can carry a finding off
    ``line``, or bring one onto it? (A statement on its own, with a directive
    comment on ``line``.)"""
    kids = stmt.children or []
    if stmt.start == stmt.end:  # one line: a block on it may be spread out
        return bool(kids)
    if stmt.children is None:  # a simple statement over lines is joined into one
        return True
    if stmt.kind != "body" and stmt.head_end != stmt.start and line <= stmt.head_end:
        return True  # a head over lines is joined into one (a system's or a loop's
        # carries findings at its id only, and a comment there stays beside it)
    # The head's line, or the '}' line, shared with a statement of the block
    # (which can only be its first or its last one).
    return line in (stmt.start, stmt.head_end, stmt.end) and bool(kids) and (
        kids[0].start <= line <= kids[0].end or kids[-1].start <= line <= kids[-1].end)


def _attach(parent: _Stmt, comments: list[_Comment], text: str) -> None:
    """Give each comment to the statement it belongs to (see the module docstring)."""
    children = parent.children or []
    inner: dict[int, list[_Comment]] = {}
    # Siblings follow one another in the text: the last statement that starts
    # before a comment is the only one that can span its line (a search per
    # comment, never a scan of every statement).
    positions = [ch.pos for ch in children]
    starts = [ch.start for ch in children]
    holders: list[int | None] = []
    for c in comments:
        before = bisect.bisect_left(positions, c.pos) - 1
        holders.append(before if before >= 0 and (
            children[before].start <= c.line <= children[before].end) else None)
    kept = _keep_directive_lines(children, comments, holders, text)
    for c, holder in zip(comments, holders, strict=True):
        if c.pos in kept:
            continue
        if holder is not None:
            ch = children[holder]
            header = ch.children[0].start if ch.children else ch.end
            if not c.alone and c.line < header and c.line != (ch.id_line or ch.start):
                # On a line of a statement's head spread over several lines, but
                # not its id's: it suppressed nothing there, and must not come
                # to stand beside the id, where it would.
                ch.leading.append(c.text)
            elif ch.children is None:
                # No block: a comment after its last line stays there (even when
                # a value spans lines); one inside moves before the statement.
                if not c.alone and c.line == ch.end and not ch.trailing:
                    ch.trailing = c.text
                else:
                    ch.leading.append(c.text)
            elif not c.alone and c.line == (ch.id_line or ch.start) and not ch.trailing:
                ch.trailing = c.text
            elif not c.alone and c.line == ch.end:
                ch.closing = c.text
            else:
                inner.setdefault(holder, []).append(c)
        elif not c.alone and c.line == parent.start and not parent.trailing:
            parent.trailing = c.text
        elif not c.alone and c.line == parent.end:
            parent.closing = c.text
        else:
            first_after = bisect.bisect_right(starts, c.line)
            after = children[first_after] if first_after < len(children) else None
            if after is not None:
                after.leading.append(c.text)
                after.first_line = min(after.first_line or c.line, c.line)
            else:
                parent.dangling.append(c.text)
    for i, ch in enumerate(children):
        _attach(ch, inner.get(i, []), text)
        ch.first_line = min(ch.first_line or ch.start, ch.start)
    previous_end = None
    for ch in children:
        ch.blank_before = previous_end is not None and ch.first_line > previous_end + 1
        previous_end = ch.end


def _emit(stmt: _Stmt, indent: str, first: bool = False) -> list[str]:
    if stmt.skip:
        return []
    out = [""] if stmt.blank_before and not first else []
    out += [indent + c for c in stmt.leading]
    if stmt.verbatim is not None:
        head, *rest = stmt.verbatim.split("\n")
        out.append(indent + head)
        out += [indent + INDENT + line if line.strip() else ""
                for line in textwrap.dedent("\n".join(rest)).split("\n")] if rest else []
        if stmt.trailing:
            out[-1] += f"  {stmt.trailing}"
        return out
    tail = f"  {stmt.trailing}" if stmt.trailing else ""
    if stmt.value is not None:
        out.append(f"{indent}{stmt.head} {_value(stmt.value, indent)}{tail}")
        return out
    children = stmt.children
    closing = f"  {stmt.closing}" if stmt.closing else ""
    if children is None:
        out.append(indent + stmt.head + tail)
        return out
    if not children and not stmt.dangling:
        # The comment after an empty block's '}' stood on no element's line: on
        # a line of its own it still suppresses nothing; beside the id it would.
        if closing:
            out.append(indent + stmt.closing)
        if stmt.kind == "attrs":
            out.append(indent + stmt.head + tail)  # an empty block is dropped
        else:
            out.append(f"{indent}{stmt.head} {{}}{tail}")
        return out
    if stmt.kind == "attrs" and not stmt.dangling and not closing and all(
            not c.leading and not c.trailing and c.value is not None for c in children):
        inner = ", ".join(f"{c.head} {_value(c.value, indent)}" for c in children
                          if c.value is not None)
        one_line = f"{indent}{stmt.head} {{ {inner} }}"
        if "\n" not in one_line and len(one_line) <= WIDTH:
            out.append(one_line + tail)
            return out
    out.append(f"{indent}{stmt.head} {{{tail}")
    for i, child in enumerate(children):
        out += _emit(child, indent + INDENT, first=i == 0)
    if stmt.dangling:
        out += [indent + INDENT + c for c in stmt.dangling]
    out.append(f"{indent}}}{closing}")
    return out
