"""Attributes: present, matching a pattern, a list or a type, summed within
a limit; and ``none``, for patterns a team forbids outright."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from loopdsl.linter.functions import Element, Finding, Options, RuleContext, check_function
from loopdsl.model import Loop, Node, System
from loopdsl.printable import plain
from loopdsl.vocabulary import is_number, number


class Present(Options):
    names: list[str] = Field(default_factory=list)
    from_kind: str | None = Field(default=None, alias="from-kind")
    or_label: bool = Field(default=False, alias="or-label")


@check_function("attributes-present", elements={"node", "flow", "loop", "system"},
                options=Present, provides={"missing"})
def attributes_present(ctx: RuleContext, elements: list[Element],
                       opts: Present) -> Iterator[Finding]:
    """Holds when the element sets every attribute in ``names`` and every one
    its kind (or a base kind) lists under ``from-kind``; with ``or-label``, a
    label different from the id also satisfies it."""
    for e in elements:
        needed = list(opts.names)
        if opts.from_kind and isinstance(e.obj, Node):
            for kind in ctx.kind_chain(e.obj.kind):
                if kind in ctx.kinds:
                    listed = ctx.kinds[kind].attributes.get(opts.from_kind, [])
                    if isinstance(listed, list):
                        needed += [n for n in listed if isinstance(n, str)]
        missing = [n for n in dict.fromkeys(needed) if n not in e.written]
        if missing and opts.or_label and e.label != e.id:
            continue
        if missing:
            yield Finding(e, {"missing": ", ".join(missing)})


class Matches(Options):
    attribute: str
    pattern: str | None = None
    one_of: list[Any] | None = Field(default=None, alias="one-of")
    type: Literal["string", "number", "integer", "boolean", "list"] | None = None
    required: bool = False

    @model_validator(mode="after")
    def _one_test(self) -> Matches:
        if sum(x is not None for x in (self.pattern, self.one_of, self.type)) != 1:
            raise ValueError("give exactly one of pattern, one-of or type")
        return self

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, pattern: str | None) -> str | None:
        if pattern is not None:
            compile_pattern(pattern)
        return pattern


def compile_pattern(pattern: str) -> Any:
    """A team rule's regular expression, compiled by RE2: matching takes time
    linear in the text, so no pattern (``(a+)+$``, say) can hang a check.
    A pattern RE2 cannot compile is a ``ValueError`` saying why."""
    import re2  # type: ignore[import-untyped]

    options = re2.Options()
    options.log_errors = False  # the reason goes into our one-line error instead
    try:
        return re2.compile(pattern, options)
    except re2.error as e:
        why = e.args[0].decode() if e.args and isinstance(e.args[0], bytes) else str(e)
        raise ValueError(f"pattern {pattern!r} is not a regular expression RE2 accepts: "
                         f"{why}") from None


_TYPES: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "number": is_number,
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "list": lambda v: isinstance(v, list),
}


@check_function("attribute-matches", elements={"node", "flow", "loop", "system"},
                options=Matches, provides={"attribute", "value"})
def attribute_matches(ctx: RuleContext, elements: list[Element],
                      opts: Matches) -> Iterator[Finding]:
    """Holds when the attribute matches a regular expression (``pattern``),
    is one of a list (``one-of``) or has a type (``type``); an absent
    attribute holds unless ``required``."""
    regex = compile_pattern(opts.pattern) if opts.pattern is not None else None
    for e in elements:
        if opts.attribute not in e.attributes:
            if opts.required and opts.attribute not in e.written:
                yield Finding(e, {"attribute": opts.attribute, "value": "(not set)"})
            continue  # unset, or set to a value LD006 already reports
        value = e.attributes[opts.attribute]
        if regex is not None:
            ok = isinstance(value, str) and regex.fullmatch(value) is not None
        elif opts.one_of is not None:
            ok = value in opts.one_of
        else:
            ok = _TYPES[opts.type or "string"](value)
        if not ok:
            yield Finding(e, {"attribute": opts.attribute, "value": value})


class SumWithin(Options):
    attribute: str = "latency_ms"
    limit: str = "budget_ms"


@check_function("sum-within", elements={"loop", "system"}, options=SumWithin,
                provides={"total", "limit", "attribute"})
def sum_within(ctx: RuleContext, elements: list[Element], opts: SumWithin) -> Iterator[Finding]:
    """Holds when the sum of ``attribute`` over the element's nodes and flows
    is at most its ``limit`` attribute (no limit set: holds)."""
    for e in elements:
        limit = number(e.attributes.get(opts.limit))
        if limit is None:
            continue
        if isinstance(e.obj, Loop):
            keys = e.obj.flows
            node_ids = list(dict.fromkeys(q for key in keys for q in key))
        else:
            assert isinstance(e.obj, System)
            keys = [f.key for f in e.obj.flows]
            node_ids = [n.qualified_id for n in e.obj.nodes]
        total = ctx.graph.total(opts.attribute, node_ids, keys)
        if total > limit:
            yield Finding(e, {"total": plain(total), "limit": plain(limit),
                              "attribute": opts.attribute})


@check_function("none", elements={"node", "flow", "loop", "system"})
def none(ctx: RuleContext, elements: list[Element], opts: Options) -> Iterator[Finding]:
    """Never holds: every selected element is a finding (forbidden patterns)."""
    for e in elements:
        yield Finding(e)
