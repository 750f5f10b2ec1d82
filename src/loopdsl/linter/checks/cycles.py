"""Cycles: a loop that closes, a loop whose cycle passes through a set of
nodes, cycles bounded by a loop's ``max_iterations``, systems that declare
loops. Cycles are strongly connected components, never a search per node."""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import Field

from loopdsl.linter.checks.reach import NodeSet
from loopdsl.linter.functions import (
    Element,
    Finding,
    Options,
    RuleContext,
    check_function,
    short_id,
)
from loopdsl.linter.rulefile import EndFilter
from loopdsl.loops import on_cycle
from loopdsl.model import Flow, Loop, Role, System


@check_function("closed", elements={"loop"}, graph=True)
def closed(ctx: RuleContext, elements: list[Element], opts: Options) -> Iterator[Finding]:
    """Holds when the loop's flows contain a directed cycle."""
    for e in elements:
        assert isinstance(e.obj, Loop)
        if not on_cycle(e.obj):
            yield Finding(e)


@check_function("cycle-through", elements={"loop"}, options=NodeSet, graph=True)
def cycle_through(ctx: RuleContext, elements: list[Element], opts: NodeSet) -> Iterator[Finding]:
    """Holds when the loop has no cycle, or one of its cycles passes through
    a node of the named set."""
    wanted = set(ctx.nodes_matching(opts))
    for e in elements:
        assert isinstance(e.obj, Loop)
        cycling = on_cycle(e.obj)
        if cycling and not cycling & wanted:
            yield Finding(e)


class Bounded(Options):
    through: EndFilter = Field(default_factory=lambda: EndFilter(role=[Role.FEEDBACK]))
    bound: str = "max_iterations"


@check_function("bounded-cycles", elements={"flow"}, options=Bounded, provides={"cycle"},
                graph=True)
def bounded_cycles(ctx: RuleContext, elements: list[Element], opts: Bounded) -> Iterator[Finding]:
    """Holds when every cycle of the selected flows that avoids the
    ``through`` nodes has a loop holding one of its flows that sets ``bound``.
    A cycle is a strongly connected component (two nodes or more) of the flow
    graph without those nodes; findings go to each loop holding a flow of the
    cycle, or to its first flow when no loop holds one."""
    excluded = set(ctx.nodes_matching(opts.through))
    components = ctx.graph.cycles_avoiding(excluded)
    component_of = {qid: i for i, component in enumerate(components) for qid in component}
    flows_of: dict[int, list[Element]] = {}  # one pass over the flows, not one per cycle
    for e in elements:
        assert isinstance(e.obj, Flow)
        i = component_of.get(e.obj.source)
        if i is not None and component_of.get(e.obj.target) == i:
            flows_of.setdefault(i, []).append(e)
    for i, component in enumerate(components):
        flows = sorted(flows_of.get(i, []),
                       key=lambda e: (e.span.file, e.span.line, e.span.column))
        if not flows:
            continue
        holding = {(lp.system, lp.id): lp for e in flows
                   for lp in ctx.loops.get(e.obj.key, [])}  # type: ignore[union-attr]
        loops = list(holding.values())
        if any(opts.bound in lp.attribute_spans for lp in loops):  # even an invalid bound
            continue
        cycle = " -> ".join(short_id(q, flows[0].system) for q in ctx.graph.cycle_path(component))
        if loops:
            for lp in loops:
                yield Finding(Element("loop", lp), {"cycle": cycle})
        else:
            yield Finding(flows[0], {"cycle": cycle})


@check_function("declares-loops", elements={"system"}, graph=True)
def declares_loops(ctx: RuleContext, elements: list[Element],
                   opts: Options) -> Iterator[Finding]:
    """Holds when the system declares a loop, or states no flow at all (a flow
    belongs to every system whose body or loops state it)."""
    stating = ctx.memo("systems stating flows", lambda: {
        st.system for f in ctx.graph.flows for st in f.statements})
    for e in elements:
        assert isinstance(e.obj, System)
        if e.obj.id in stating and not e.obj.loops:
            yield Finding(e)
