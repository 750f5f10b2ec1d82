"""What a loop does, decided once for every front end: its cycle written
from its entry, whether it closes and learns, its bound, and its latency and
cost per turn and at the bound against its budget. The rules (LD104,
LD105), the review document, ``diff`` and the language server's hover all
read ``loop_status``; none works it out on its own.

A self-flow ``m -> m`` is a cycle of one node: a loop holding it closes
(a bounded retry is exactly that), and it learns when the node is feedback.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import rustworkx as rx

from loopdsl.graph import FlowGraph, loop_graph, shortest_cycle
from loopdsl.model import Loop, Role, Workspace
from loopdsl.vocabulary import is_positive_integer, number


@dataclass(frozen=True, slots=True)
class LoopStatus:
    """One loop's facts; numbers in the attributes' units (ms, USD)."""

    cycle: tuple[str, ...]  # qualified ids from the entry back to it; () when it does not close
    closes: bool
    learns: bool  # a cycle passes through a feedback node
    bounded: bool  # declares a valid max_iterations
    bound: int | None
    latency_ms: float  # per turn: the loop's nodes and flows
    budget_ms: float | None
    cost_usd: Decimal  # per turn, exact on the decimals written
    worst_ms: float | None  # latency x max_iterations, when both are set
    worst_usd: Decimal  # cost per turn x max_iterations (x 1 without a bound)
    budget_usd: Decimal | None

    @property
    def over_cost_budget(self) -> bool:
        return self.budget_usd is not None and self.worst_usd > self.budget_usd

    @property
    def over_budget(self) -> bool:
        return self.budget_ms is not None and self.latency_ms > self.budget_ms

    @property
    def worst_over_budget(self) -> bool:
        return (self.budget_ms is not None and self.worst_ms is not None
                and self.worst_ms > self.budget_ms)


def on_cycle(loop: Loop, g: rx.PyDiGraph | None = None) -> set[str]:
    """The nodes of ``loop`` that lie on a cycle of its flows (a self-flow's
    node included); ``g``: the loop's graph, when the caller has built it."""
    g = g if g is not None else loop_graph(loop)[0]
    nodes = {g[i] for c in rx.strongly_connected_components(g) if len(c) > 1 for i in c}
    return nodes | {s for s, t in loop.flows if s == t}


def loop_status(loop: Loop, graph: FlowGraph) -> LoopStatus:
    """The facts of one loop of the workspace ``graph`` was built from."""
    g, index = loop_graph(loop)
    cycling = on_cycle(loop, g)
    # The entry: the first node, in the order the loop states its flows, on a cycle.
    entry = next((q for key in loop.flows for q in key if q in cycling), None)
    cycle: tuple[str, ...] = ()
    if entry is not None:
        cycle = tuple(shortest_cycle(g, index[entry])) or (entry, entry)
    learns = any(graph.nodes[q].role == Role.FEEDBACK for q in cycling if q in graph.nodes)
    node_ids = list(dict.fromkeys(q for key in loop.flows for q in key))
    latency = graph.total("latency_ms", node_ids, loop.flows)
    bound, cost, worst_usd = loop_cost(loop, graph, node_ids)
    budget = number(loop.attributes.get("budget_usd"))
    return LoopStatus(
        cycle=cycle, closes=bool(cycling), learns=learns, bounded=bound is not None,
        bound=bound, latency_ms=latency, budget_ms=number(loop.attributes.get("budget_ms")),
        cost_usd=cost, worst_ms=latency * bound if bound is not None and latency else None,
        worst_usd=worst_usd,
        budget_usd=None if budget is None else Decimal(str(budget)))


def loop_cost(loop: Loop, graph: FlowGraph,
              node_ids: list[str] | None = None) -> tuple[int | None, Decimal, Decimal]:
    """A loop's bound, its cost per turn (its nodes' and flows' ``cost_usd``,
    exact) and its worst case (the cost times the bound, or one turn without
    one): what a cost rule needs, without the loop's cycles."""
    if node_ids is None:
        node_ids = list(dict.fromkeys(q for key in loop.flows for q in key))
    written = loop.attributes.get("max_iterations")
    bound = written if is_positive_integer(written) else None
    cost = graph.exact_total("cost_usd", node_ids, loop.flows)
    return bound, cost, cost * (bound or 1)


def loop_statuses(workspace: Workspace,
                  graph: FlowGraph | None = None) -> dict[str, LoopStatus]:
    """Every loop's status, by ``system.loop``."""
    graph = graph or FlowGraph(workspace)
    return {f"{lp.system}.{lp.id}": loop_status(lp, graph) for lp in workspace.loops()}
