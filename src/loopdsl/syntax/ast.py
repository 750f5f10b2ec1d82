"""The syntax tree of one file, as the parser builds it.

Plain slotted dataclasses rather than pydantic models: the parser makes one
per statement, and the resolver turns them into the frozen model. Positions
are kept as lark tokens (every token knows its line and column), so no
position bookkeeping is paid on the tree itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lark import Token


def start_of(tok: Token) -> tuple[int, int]:
    """A token's 1-based (line, column); lark types them as optional."""
    return tok.line or 1, tok.column or 1


def end_of(tok: Token) -> tuple[int, int]:
    """Where a token ends (exclusive column); a zero-width token spans one column."""
    return (tok.end_line or tok.line or 1,
            tok.end_column or (tok.column or 1) + max(len(tok), 1))


@dataclass(slots=True)
class Value:
    """An attribute value; ``value`` is plain Python (lists already unwrapped)."""

    value: Any
    start: Token
    end: Token
    depth: int = 0
    items: list[Value] | None = None  # a list's items, as written


class AttrBlock(list["Attr"]):
    """``{ a: 1, b: 2 }``: the attributes, and the '}' that ends the block."""

    def __init__(self, attrs: list[Attr], close: Token) -> None:
        super().__init__(attrs)
        self.close = close


@dataclass(slots=True)
class Attr:
    key: Token
    value: Value


@dataclass(slots=True)
class Ref:
    """``drafter`` or ``platform.kb``."""

    parts: list[Token]

    @property
    def text(self) -> str:
        return ".".join(str(p) for p in self.parts)


@dataclass(slots=True)
class Label:
    text: str
    token: Token


@dataclass(slots=True)
class Import:
    path: str
    token: Token
    start: Token


@dataclass(slots=True)
class KindDecl:
    name: Token
    base: Token
    label: Label | None
    attrs: list[Attr]
    start: Token
    end: Token  # the last token: where the statement ends


@dataclass(slots=True)
class NodeDecl:
    kind: Token
    id: Token
    label: Label | None
    attrs: list[Attr]
    end: Token


@dataclass(slots=True)
class FlowChain:
    """``a -> b -> c "label" {attrs}``: one statement, several flows."""

    refs: list[Ref]
    label: Label | None
    attrs: list[Attr]
    end: Token


@dataclass(slots=True)
class LoopDecl:
    id: Token
    label: Label | None
    body: list[Attr | FlowChain]
    open: Token
    close: Token
    start: Token


@dataclass(slots=True)
class SystemDecl:
    id: Token
    label: Label | None
    body: list[Attr | NodeDecl | FlowChain | LoopDecl]
    open: Token
    close: Token
    start: Token


@dataclass(slots=True)
class ParsedFile:
    """What the parser made of one file: its statements, comments and errors."""

    items: list[Import | KindDecl | SystemDecl] = field(default_factory=list)
    comments: list[Token] = field(default_factory=list)
    errors: list[SyntaxProblem] = field(default_factory=list)


@dataclass(slots=True)
class SyntaxProblem:
    """An LD001 before it knows its file: message, position, optional help."""

    message: str
    line: int
    column: int
    end_line: int
    end_column: int
    help: str | None = None
