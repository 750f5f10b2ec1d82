"""Risks and cost on the loop graph: paths that pass no gate, and what a
loop costs at its bound.

``unguarded-path`` asks, of each selected node, whether content reaches it
from a set of nodes (and, optionally, through another set first, or from a
second set too, or on to a third) along flows that pass no gate node. Gate
nodes (``gate`` set) are removed from the graph: one that counts for the rule
blocks a path; none is ever a source, a sink or a node passed "through".
Each question is one breadth-first traversal from all its sources at once,
shared by the rules that ask it: linear in nodes + flows. A finding names
one path that breaks the rule, node by node.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from decimal import Decimal

from pydantic import Field

from loopdsl.linter.functions import (
    Element,
    Finding,
    Options,
    RuleContext,
    check_function,
    memo_key,
    short_id,
)
from loopdsl.linter.rulefile import EndFilter
from loopdsl.loops import loop_cost
from loopdsl.model import Loop, Node, Related
from loopdsl.printable import plain
from loopdsl.vocabulary import number

GATES = ("human", "policy", "sanitizer")
# How a finding's related locations name the nodes of each path that breaks
# the rule, in order: "path 1: inbox" (the review draws the paths from them).
PATH_STEP = "path "
ELIDED = "..."  # the middle of a long path, left out


class Guarded(Options):
    """Options of ``unguarded-path``."""

    from_: EndFilter | None = Field(default=None, alias="from",
                                    description="where the content comes from")
    through: EndFilter | None = Field(
        default=None, description="the path passes one of these on its way (it may start there)")
    through_last: bool = Field(default=False, alias="through-last",
                               description="the node is entered directly from a `through` node")
    also_from: EndFilter | None = Field(default=None, alias="also-from",
                                        description="a second source that must reach it too")
    to: EndFilter | None = Field(default=None,
                                 description="where it must lead on to, by one flow or more")
    gates: list[str] = Field(default_factory=list,
                             description="the gate values that stop a path (none: any gate)")


SHOWN = 8  # a path longer than this is shown as its start, "...", and its last nodes


class _Walk:
    """One breadth-first traversal: what it reached, how (parent links), and
    from which start, so that a path is shown in time bounded by ``SHOWN``
    however long it is (N findings on a chain of N nodes stay linear)."""

    def __init__(self, starts: Iterable[str], step: dict[str, list[str]],
                 blocked: set[str]) -> None:
        self.parent: dict[str, str | None] = {}
        self.origin: dict[str, str] = {}
        queue: deque[str] = deque()
        for s in starts:
            if s not in self.parent and s not in blocked:
                self.parent[s] = None
                self.origin[s] = s
                queue.append(s)
        while queue:
            node = queue.popleft()
            for nxt in step.get(node, ()):
                if nxt not in self.parent and nxt not in blocked:
                    self.parent[nxt] = node
                    self.origin[nxt] = self.origin[node]
                    queue.append(nxt)

    def path_to(self, node: str) -> list[str]:
        """The nodes from a start to ``node`` (reversed links for a backward
        walk); a long one as its start, ``...`` and its last nodes."""
        path = [node]
        while (prev := self.parent.get(path[-1])) is not None:
            if len(path) == SHOWN:
                path += [ELIDED, self.origin[node]]
                break
            path.append(prev)
        return path[::-1]


def _adjacency(ctx: RuleContext) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    def compute() -> tuple[dict[str, list[str]], dict[str, list[str]]]:
        out: dict[str, list[str]] = {}
        into: dict[str, list[str]] = {}
        for f in ctx.graph.flows:
            if f.source in ctx.graph.nodes and f.target in ctx.graph.nodes:
                out.setdefault(f.source, []).append(f.target)
                into.setdefault(f.target, []).append(f.source)
        return out, into

    found: tuple[dict[str, list[str]], dict[str, list[str]]] = ctx.memo("adjacency", compute)
    return found


def gate_of(node: Node) -> str | None:
    gate = node.attributes.get("gate")
    return gate if gate in GATES else None


def _shown(path: list[str], system: str) -> str:
    return " -> ".join(q if q == ELIDED else short_id(q, system) for q in path)


@check_function("unguarded-path", elements={"node"}, options=Guarded, graph=True,
                provides={"path", "gate", "before", "after"})
def unguarded_path(ctx: RuleContext, elements: list[Element],
                   opts: Guarded) -> Iterator[Finding]:
    """Holds when no path of the kind the options describe reaches the node
    through no gate that counts."""
    out, into = _adjacency(ctx)
    gates = {q for q in ctx.nodes_with_key().get("gate", []) if gate_of(ctx.graph.nodes[q])}
    blocking = {q for q in gates
                if not opts.gates or gate_of(ctx.graph.nodes[q]) in opts.gates}

    def ends(f: EndFilter | None) -> list[str]:
        return [] if f is None else [q for q in ctx.nodes_matching(f) if q not in gates]

    def walk(key: str, starts: list[str], step: dict[str, list[str]]) -> _Walk:
        found: _Walk = ctx.memo(("unguarded", key, memo_key(opts)),
                                lambda: _Walk(starts, step, blocking))
        return found

    sources = walk("from", ends(opts.from_), out) if opts.from_ is not None else None
    onward, passed = None, set()
    if opts.through is not None and sources is not None:
        passed = {q for q in ends(opts.through) if q in sources.parent}
        onward = walk("through", sorted(passed), out)
    second = walk("also", ends(opts.also_from), out) if opts.also_from is not None else None
    sinks = walk("to", ends(opts.to), into) if opts.to is not None else None
    for e in elements:
        node = e.obj
        assert isinstance(node, Node)
        q = node.qualified_id
        if q in gates:
            continue
        paths: list[list[str]] = []
        if sources is not None:
            reach = onward if onward is not None else sources
            if opts.through_last:  # entered directly from a `through` node
                before = next((p for p in into.get(q, ()) if p in passed), None)
                if before is None:
                    continue
                paths.append([*sources.path_to(before), q])
            else:
                if q not in reach.parent:
                    continue
                paths.append(_through(sources, onward, q) if onward else sources.path_to(q))
        if second is not None:
            if q not in second.parent:
                continue
            paths.append(second.path_to(q))
        if sinks is not None:
            after = next((t for t in out.get(q, ()) if t in sinks.parent), None)
            if after is None:
                continue
            paths.append([q, *sinks.path_to(after)[::-1]])
        system = node.system
        first = paths[0]
        gate = "a node with " + (" or ".join(f'gate: "{g}"' for g in opts.gates)
                                 if opts.gates else "a `gate`")
        yield Finding(e, {
            "path": "; ".join(_shown(p, system) for p in paths),
            "gate": gate,
            "before": short_id(first[-2], system) if len(first) > 1 else short_id(q, system),
            "after": short_id(first[-1], system),
        }, related=[Related(message=f"{PATH_STEP}{i}: {short_id(step, system)}",
                            span=ctx.graph.nodes[step].span)
                    for i, path in enumerate(paths, 1) for step in path if step != ELIDED])


def _through(sources: _Walk, onward: _Walk, node: str) -> list[str]:
    """The path from a source to the `through` node that starts the onward
    walk, then on to ``node``."""
    tail = onward.path_to(node)
    return [*sources.path_to(tail[0])[:-1], *tail]


# --- cost -----------------------------------------------------------------------------


@check_function("within-cost-budget", elements={"loop"}, graph=True,
                provides={"what", "worst", "budget", "how"})
def within_cost_budget(ctx: RuleContext, elements: list[Element],
                       opts: Options) -> Iterator[Finding]:
    """Holds when a loop's worst case (its cost per turn times
    `max_iterations`) stays within its `budget_usd`, and a system's daily
    cost (`runs_per_day` times its loops' worst cases) within its own."""
    worst: dict[str, Decimal] = {}
    for e in elements:
        loop = e.obj
        assert isinstance(loop, Loop)
        bound, cost, worst_usd = loop_cost(loop, ctx.graph)
        worst[loop.system] = worst.get(loop.system, Decimal(0)) + worst_usd
        budget = number(loop.attributes.get("budget_usd"))
        if budget is not None and worst_usd > Decimal(str(budget)):
            turns = f"{bound} turns" if bound else "1 turn (no bound)"
            yield Finding(e, {"what": "loop", "worst": plain(worst_usd),
                              "budget": plain(Decimal(str(budget))),
                              "how": f"{plain(cost)} USD per turn x {turns}"})
    for system in ctx.workspace.systems:
        budget, runs = (number(system.attributes.get(k)) for k in ("budget_usd", "runs_per_day"))
        if budget is None or runs is None:
            continue
        daily = Decimal(str(runs)) * worst.get(system.id, Decimal(0))
        if daily > Decimal(str(budget)):
            yield Finding(Element("system", system), {
                "what": "system", "worst": plain(daily), "budget": plain(Decimal(str(budget))),
                "how": f"{plain(Decimal(str(runs)))} runs a day x "
                       f"{plain(worst.get(system.id, Decimal(0)))} USD at worst per run"})
