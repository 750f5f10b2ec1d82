"""pydantic-graph: a ``Graph`` (or the ``GraphBuilder`` that builds it).

Its steps (step functions, and ``BaseNode`` classes added with
``g.node(...)``, whose edges pydantic-graph takes from ``run()``'s return
annotation) are the nodes. Edges are read from ``edges_by_source`` and each
decision's branches (their ``DestinationMarker``s and ``LabelMarker``s);
decisions, forks and joins collapse into the edges through them; edges from
the start node are the entry, edges to the end node end a run.
"""

from __future__ import annotations

from typing import Any

from loopdsl.drift.graph import CodeEdge, CodeGraph, CodeNode


def read(obj: Any, module: str) -> CodeGraph:
    from pydantic_graph import Decision, GraphBuilder, Step
    from pydantic_graph.paths import DestinationMarker, LabelMarker

    built = obj.build() if isinstance(obj, GraphBuilder) else obj
    name = getattr(built, "name", None)
    graph = CodeGraph(name if isinstance(name, str) and name else module)
    steps = [i for i, n in built.nodes.items() if isinstance(n, Step)]  # in order
    step_set = set(steps)
    for ident in steps:
        graph.add_node(CodeNode(str(ident), None, "step"))
    # Every hop out of each node: (target, label, through a decision).
    hops: dict[Any, list[tuple[Any, str | None, bool]]] = {}

    def collect(source: Any, path: Any, decision: bool) -> None:
        label = None
        for item in path.items:
            if isinstance(item, LabelMarker):
                label = item.label
            elif isinstance(item, DestinationMarker):
                hops.setdefault(source, []).append((item.destination_id, label, decision))

    for source, paths in built.edges_by_source.items():
        for path in paths:
            collect(source, path, False)
    for ident, node in built.nodes.items():
        if isinstance(node, Decision):
            for branch in node.branches:
                collect(ident, branch.path, True)

    def reached(source: Any) -> list[tuple[Any, str | None, bool]]:
        """The steps (or the end) one hop of ``source`` leads to, through
        decisions, forks and joins."""
        out, stack, seen = [], list(reversed(hops.get(source, []))), set()
        while stack:
            target, label, conditional = stack.pop()
            if target in step_set or target == "__end__":
                out.append((target, label, conditional))
            elif target not in seen:
                seen.add(target)
                stack += [(t, lab or label, c or conditional or isinstance(
                    built.nodes.get(target), Decision))
                          for t, lab, c in reversed(hops.get(target, []))]
        return out

    for source in ["__start__", *steps]:
        for target, label, conditional in reached(source):
            graph.add_edge(CodeEdge(str(source), str(target), conditional, label))
    graph.entry = graph.entry or []
    return graph
