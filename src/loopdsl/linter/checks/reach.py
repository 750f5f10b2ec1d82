"""Paths between nodes: a node reached from, or reaching, a set of nodes;
a node in some flow. One traversal from a temporary super-node each."""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import model_validator

from loopdsl.linter.functions import (
    Element,
    Finding,
    Options,
    RuleContext,
    check_function,
    memo_key,
)
from loopdsl.linter.rulefile import EndFilter
from loopdsl.model import Node


class NodeSet(Options, EndFilter):
    """Options naming a set of nodes by role, kind or attributes."""

    @model_validator(mode="after")
    def _not_empty(self) -> NodeSet:
        if not (self.role or self.kind or self.attributes or self.any_of or self.has
                or self.missing):
            raise ValueError("name the nodes with role, kind, attributes, any-of, has or "
                             "missing")
        return self


def _connected(ctx: RuleContext, elements: list[Element], opts: NodeSet,
               forward: bool) -> Iterator[Finding]:
    """Nodes not on a path from (forward) or to the named set: one traversal."""
    def compute() -> set[str]:
        ends = ctx.nodes_matching(opts)
        return ctx.graph.reachable_from(ends) if forward else ctx.graph.reaching(ends)

    hits = ctx.memo((forward, memo_key(opts)), compute)
    for e in elements:
        assert isinstance(e.obj, Node)
        if e.obj.qualified_id not in hits:
            yield Finding(e)


@check_function("reachable-from", elements={"node"}, options=NodeSet, graph=True)
def reachable_from(ctx: RuleContext, elements: list[Element], opts: NodeSet) -> Iterator[Finding]:
    """Holds when a path leads to the node from a node of the named set."""
    return _connected(ctx, elements, opts, forward=True)


@check_function("reaches", elements={"node"}, options=NodeSet, graph=True)
def reaches(ctx: RuleContext, elements: list[Element], opts: NodeSet) -> Iterator[Finding]:
    """Holds when a path leads from the node to a node of the named set."""
    return _connected(ctx, elements, opts, forward=False)


@check_function("in-flow", elements={"node"}, graph=True)
def in_flow(ctx: RuleContext, elements: list[Element], opts: Options) -> Iterator[Finding]:
    """Holds when the node is the source or target of at least one flow."""
    for e in elements:
        assert isinstance(e.obj, Node)
        if e.obj.qualified_id not in ctx.graph.in_flow:
            yield Finding(e)
