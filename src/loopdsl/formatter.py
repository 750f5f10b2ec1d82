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
    _attach(root, [_Comment(t, _alone(text, t)) for t in tree.comments])
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


def _line(tok: Token) -> int:
    return ast.start_of(tok)[0]


def _pos(tok: Token) -> int:
    return int(tok.start_pos or 0)


def _end_line(tok: Token) -> int:
    return ast.end_of(tok)[0]


def _statement(item: object) -> _Stmt:
    if isinstance(item, ast.Import):
        return _Stmt(_line(item.start), _end_line(item.token), _pos(item.start),
                     f"import {quote(item.path, block=False)}", "line")
    if isinstance(item, ast.Attr):
        return _Stmt(_line(item.key), _end_line(item.value.end), _pos(item.key), f"{item.key}:",
                     "line", value=item.value)
    if isinstance(item, ast.KindDecl):
        head = f"kind {item.name}: {item.base}{_label(item.label)}"
        return _with_attrs(_Stmt(_line(item.start), _end_line(item.end), _pos(item.start),
                                 head, "attrs"), item.attrs)
    if isinstance(item, ast.NodeDecl):
        head = f"{item.kind} {item.id}{_label(item.label)}"
        return _with_attrs(_Stmt(_line(item.kind), _end_line(item.end), _pos(item.kind),
                                 head, "attrs"), item.attrs)
    if isinstance(item, ast.FlowChain):
        head = " -> ".join(r.text for r in item.refs) + _label(item.label)
        first = item.refs[0].parts[0]
        return _with_attrs(_Stmt(_line(first), _end_line(item.end), _pos(first), head,
                                 "attrs"), item.attrs)
    if isinstance(item, ast.LoopDecl | ast.SystemDecl):
        word = "loop" if isinstance(item, ast.LoopDecl) else "system"
        head = f"{word} {item.id}{_label(item.label)}"
        return _Stmt(_line(item.start), _end_line(item.close), _pos(item.start), head, "body",
                     children=[_statement(x) for x in item.body])
    raise TypeError(f"unexpected syntax node {type(item).__name__}")


def _with_attrs(stmt: _Stmt, attrs: list[ast.Attr]) -> _Stmt:
    if isinstance(attrs, ast.AttrBlock):
        stmt.children = [_statement(a) for a in attrs]
    return stmt


def _alone(text: str, tok: Token) -> bool:
    start = text.rfind("\n", 0, tok.start_pos or 0) + 1
    return not text[start : tok.start_pos].strip()


def _attach(parent: _Stmt, comments: list[_Comment]) -> None:
    """Give each comment to the statement it belongs to (see the module docstring)."""
    children = parent.children or []
    inner: dict[int, list[_Comment]] = {}
    # Siblings follow one another in the text: the last statement that starts
    # before a comment is the only one that can span its line (a search per
    # comment, never a scan of every statement).
    positions = [ch.pos for ch in children]
    starts = [ch.start for ch in children]
    for c in comments:
        before = bisect.bisect_left(positions, c.pos) - 1
        holder = before if before >= 0 and (
            children[before].start <= c.line <= children[before].end) else None
        if holder is not None:
            ch = children[holder]
            if ch.children is None:
                # No block: a comment after its last line stays there (even when
                # a value spans lines); one inside moves before the statement.
                if not c.alone and c.line == ch.end and not ch.trailing:
                    ch.trailing = c.text
                else:
                    ch.leading.append(c.text)
            elif not c.alone and c.line == ch.start and not ch.trailing:
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
        _attach(ch, inner.get(i, []))
        ch.first_line = min(ch.first_line or ch.start, ch.start)
    previous_end = None
    for ch in children:
        ch.blank_before = previous_end is not None and ch.first_line > previous_end + 1
        previous_end = ch.end


def _emit(stmt: _Stmt, indent: str, first: bool = False) -> list[str]:
    out = [""] if stmt.blank_before and not first else []
    out += [indent + c for c in stmt.leading]
    tail = f"  {stmt.trailing}" if stmt.trailing else ""
    if stmt.value is not None:
        out.append(f"{indent}{stmt.head} {_value(stmt.value, indent)}{tail}")
        return out
    children = stmt.children
    closing = f"  {stmt.closing}" if stmt.closing else ""
    if children is None:
        out.append(indent + stmt.head + tail)
        return out
    if not children and not stmt.dangling and stmt.kind == "attrs" and not (tail and closing):
        out.append(indent + stmt.head + (tail or closing))  # an empty block is dropped
        return out
    if not children and not stmt.dangling and not (tail and closing):
        out.append(f"{indent}{stmt.head} {{}}{tail or closing}")
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
