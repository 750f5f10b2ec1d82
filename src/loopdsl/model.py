"""The typed model of a loopdsl workspace: what the resolver builds and every
later stage (lint, render, codegen, docs) reads.

All models are frozen and reject unknown fields. Node and system references
inside a workspace are qualified ids, ``"<system>.<node>"``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import TypeAliasType


class _Frozen(BaseModel):
    # Schemas are built on first validation; the resolver builds with `trusted`
    # (its input is already typed), so `check` never pays for building them.
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class Role(StrEnum):
    """The four built-in kinds every node derives from."""

    CONTEXT = "context"
    MODEL = "model"
    INTERFACE = "interface"
    FEEDBACK = "feedback"


class Severity(StrEnum):
    """How serious a finding is; ordered by ``Severity.rank``."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        """2 for error, 1 for warning, 0 for info."""
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {Severity.ERROR: 2, Severity.WARNING: 1, Severity.INFO: 0}

# An attribute value: a bare symbol is stored as the string it spells.
Value = TypeAliasType("Value", "bool | int | float | str | list[Value]")


@dataclass(frozen=True, slots=True)
class Span:
    """A range of source text; lines and columns are 1-based, the end exclusive."""

    # A slotted dataclass, not a model: a workspace holds one per node, flow,
    # reference and attribute (~80,000 at 10,000 nodes), and this is a third
    # of a model's size. pydantic validates, serialises and describes it as it
    # would a model (same JSON, same schema).
    __pydantic_config__: ClassVar[ConfigDict] = ConfigDict(extra="forbid")

    file: str
    line: int
    column: int
    end_line: int
    end_column: int


def _spans() -> dict[str, Span]:
    """Where each attribute key stands; kept out of the export."""
    return Field(default_factory=dict, exclude=True, repr=False)


class Kind(_Frozen):
    """A custom kind: ``kind retriever: context``."""

    name: str
    base: str
    role: Role | None = Field(description="None when the base chain is broken")
    attributes: dict[str, Value] = Field(default_factory=dict)
    attribute_spans: dict[str, Span] = _spans()
    span: Span


class Node(_Frozen):
    """One node of a system: ``model drafter "Answer drafter" {...}``."""

    id: str
    system: str
    kind: str
    role: Role | None = Field(description="None when the kind is unknown")
    label: str
    attributes: dict[str, Value] = Field(default_factory=dict)
    attribute_spans: dict[str, Span] = _spans()
    span: Span = Field(description="the node's id")
    kind_span: Span

    @property
    def qualified_id(self) -> str:
        """``system.node``, unique in the workspace."""
        return f"{self.system}.{self.id}"

    @property
    def code_name(self) -> str:
        """What the code calls it (``drift``, ``conform``): its ``impl``, else its id."""
        impl = self.attributes.get("impl")
        return impl if isinstance(impl, str) else self.id

    @property
    def external(self) -> bool:
        """``external: true``: it lives outside the code, so no code or trace shows it."""
        return self.attributes.get("external") is True


class FlowStatement(_Frozen):
    """One place a flow is stated; the first one defines the flow."""

    label: str | None = None
    attributes: dict[str, Value] = Field(default_factory=dict)
    attribute_spans: dict[str, Span] = _spans()
    span: Span = Field(description="the source reference")
    target_span: Span
    system: str = Field(description="the system whose body or loop states it")
    loop: str | None = None


class Flow(_Frozen):
    """A directed edge between two nodes, identified by (source, target)."""

    source: str = Field(description="qualified id of the source node")
    target: str = Field(description="qualified id of the target node")
    system: str = Field(description="the system whose body or loop first states it")
    label: str | None = None
    attributes: dict[str, Value] = Field(default_factory=dict)
    attribute_spans: dict[str, Span] = _spans()
    span: Span = Field(description="the first statement's source reference")
    statements: list[FlowStatement] = Field(default_factory=list)

    @property
    def key(self) -> tuple[str, str]:
        """The flow's identity."""
        return (self.source, self.target)


class Loop(_Frozen):
    """A named group of flows that should form a cycle."""

    id: str
    system: str
    label: str
    attributes: dict[str, Value] = Field(default_factory=dict)
    attribute_spans: dict[str, Span] = _spans()
    flows: list[tuple[str, str]] = Field(
        default_factory=list, description="(source, target) keys in the order stated"
    )
    span: Span = Field(description="the loop's id")


class System(_Frozen):
    """A group of nodes, flows and loops."""

    id: str
    label: str
    file: str
    attributes: dict[str, Value] = Field(default_factory=dict)
    attribute_spans: dict[str, Span] = _spans()
    nodes: list[Node] = Field(default_factory=list)
    flows: list[Flow] = Field(default_factory=list)
    loops: list[Loop] = Field(default_factory=list)
    span: Span = Field(description="the system's id")
    complete: bool = Field(
        default=True, exclude=True, repr=False,
        description="False when a reference or a node's kind did not resolve, or a "
                    "node or loop is defined twice: the graph is missing pieces or "
                    "ambiguous, so rules that follow flows skip it")


class Comment(_Frozen):
    """A ``#`` comment, kept for suppressions and the formatter."""

    text: str
    span: Span


class SourceFile(_Frozen):
    """One file of the workspace."""

    path: str
    syntax_error: bool = False
    text: str = Field(default="", exclude=True, repr=False)
    comments: list[Comment] = Field(default_factory=list, exclude=True, repr=False)


class Related(_Frozen):
    """Another location that explains a finding (the first definition, say)."""

    message: str
    span: Span


class Diagnostic(_Frozen):
    """One finding: a structural problem or a rule's verdict on an element."""

    code: str
    name: str
    severity: Severity
    message: str
    span: Span
    help: str | None = None
    related: list[Related] = Field(default_factory=list)
    element: str | None = Field(
        default=None, description="id of the element at fault, for baselines"
    )

    @property
    def sort_key(self) -> tuple[str, int, int, str, str]:
        """Deterministic output order: file, line, column, code, message."""
        s = self.span
        return (s.file, s.line, s.column, self.code, self.message)


@dataclass(frozen=True, slots=True)
class Reference:
    """A place where a flow names a node (for editors: references, rename).

    A slotted dataclass like ``Span``: there are several per flow, and no
    export carries them."""

    __pydantic_config__: ClassVar[ConfigDict] = ConfigDict(extra="forbid")

    node: str  # qualified id of the node named
    span: Span  # the reference, `system.node` included


class Workspace(_Frozen):
    """Every file loaded for one run, resolved."""

    version: Literal[1] = 1
    files: list[SourceFile] = Field(default_factory=list)
    kinds: list[Kind] = Field(default_factory=list)
    systems: list[System] = Field(default_factory=list)
    diagnostics: list[Diagnostic] = Field(
        default_factory=list, exclude=True, repr=False,
        description="structural diagnostics (LD001-LD006) found while loading",
    )
    references: list[Reference] = Field(
        default_factory=list, exclude=True, repr=False,
        description="every reference that resolved, also in flows whose other end did not")

    def source(self, path: str) -> SourceFile | None:
        """The loaded file with this display path, if any."""
        for f in self.files:
            if f.path == path:
                return f
        return None

    def nodes(self) -> list[Node]:
        """Every node of every system, in source order."""
        return [n for s in self.systems for n in s.nodes]

    def flows(self) -> list[Flow]:
        """Every flow of every system, in source order."""
        return [f for s in self.systems for f in s.flows]

    def loops(self) -> list[Loop]:
        """Every loop of every system, in source order."""
        return [lp for s in self.systems for lp in s.loops]


_M = TypeVar("_M", bound=BaseModel)


def _maker(factory: Any, default: Any) -> Callable[[], Any]:
    """A field's default as a function: its factory, or its (immutable) value."""
    return factory if factory is not None else (lambda: default)


# What `trusted` needs per class: every field's name (one shared fields-set per
# class, not one per object: frozen models never change it, and model_copy
# copies it before updating) and the defaults of the optional fields.
_PLANS: dict[type, tuple[set[str], list[tuple[str, Callable[[], Any]]]]] = {}
# The slots pydantic gives every model, set directly as model_construct does.
_set_dict = BaseModel.__dict__["__dict__"].__set__
_set_fields_set = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_private = BaseModel.__dict__["__pydantic_private__"].__set__


def _plan(cls: type[BaseModel]) -> tuple[set[str], list[tuple[str, Callable[[], Any]]]]:
    fields = cls.model_fields
    plan = _PLANS[cls] = (set(fields), [(name, _maker(f.default_factory, f.default))
                                        for name, f in fields.items() if not f.is_required()])
    return plan


def trusted(cls: type[_M], **values: Any) -> _M:
    """A model built from values that are already valid, without pydantic's checks.

    What ``model_construct`` does, at a third of its cost: the resolver builds
    one object per node, flow and span (~125,000 at 10,000 nodes), from typed
    syntax, and a test validates what it builds. Missing fields get their
    defaults.
    """
    fields_set, defaults = _PLANS.get(cls) or _plan(cls)
    for name, make in defaults:
        if name not in values:
            values[name] = make()
    obj = cls.__new__(cls)
    _set_dict(obj, values)
    _set_fields_set(obj, fields_set)
    _set_extra(obj, None)
    _set_private(obj, None)
    return obj
