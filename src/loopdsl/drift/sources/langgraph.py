"""LangGraph: a ``StateGraph`` or its compiled graph.

Read from the builder (``builder.nodes``, ``edges``, ``waiting_edges``,
``branches``, each node's ``ends``): what ``add_node``/``add_edge``/
``add_conditional_edges`` stated, never a run. A compiled subgraph used as
node ``sub`` is read too: its nodes are ``sub:inner``, and edges into and
out of ``sub`` go to its entry and from its exits, as LangGraph's own
``get_graph(xray=True)`` draws them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from loopdsl.drift.graph import ROLES, SPECIAL, Bound, CodeEdge, CodeGraph, CodeNode, Route
from loopdsl.drift.sources.code import calls, function_of, returns

_DEFAULT_NAME = "LangGraph"  # what LangGraph calls a graph nobody named


@dataclass(slots=True)
class _Level:
    """One builder read: its nodes and edges (subgraphs already expanded),
    where a run enters it and where it leaves."""

    graph: CodeGraph
    entry: list[str] = field(default_factory=list)
    exits: list[str] = field(default_factory=list)


def read(obj: Any, module: str) -> CodeGraph:
    builder = getattr(obj, "builder", obj)  # a StateGraph is its own builder
    name = getattr(obj, "name", None)
    graph = CodeGraph(name if isinstance(name, str) and name and name != _DEFAULT_NAME
                      else module)
    level = _read(builder, graph, "")
    graph.entry = level.entry
    limit = (getattr(obj, "config", None) or {}).get("recursion_limit")
    if isinstance(limit, int) and not isinstance(limit, bool) and limit > 0:
        graph.bounds.append(Bound(tuple(graph.nodes), limit))
    return graph


def _subgraph(node: Any) -> Any:
    inner = getattr(getattr(node, "runnable", None), "builder", None)
    return inner if inner is not None and hasattr(inner, "branches") else None


def _read(builder: Any, graph: CodeGraph, prefix: str) -> _Level:
    level = _Level(graph)
    inside: dict[str, _Level] = {}  # subgraph node -> its level

    def starts(n: str) -> list[str]:
        return inside[n].entry if n in inside else [prefix + n]

    def ends(n: str) -> list[str]:
        return inside[n].exits if n in inside else [prefix + n]

    def edge(source: str, target: str, conditional: bool = False,
             label: str | None = None) -> None:
        if source == "__start__":
            level.entry += [t for t in ([target] if target in SPECIAL else starts(target))
                            if t not in level.entry]
            return
        for s in ends(source):
            if target == "__end__":
                if s not in level.exits:
                    level.exits.append(s)
            elif target != "__start__":
                for t in starts(target):
                    graph.add_edge(CodeEdge(s, t, conditional, label))

    for node_name, node in builder.nodes.items():
        inner = _subgraph(node)
        if inner is not None:
            graph.subgraphs.add(prefix + node_name)
            inside[node_name] = _read(inner, graph, f"{prefix}{node_name}:")
            continue
        graph.add_node(_node(node_name, node, prefix))
    for node_name, node in builder.nodes.items():
        destinations = getattr(node, "ends", None)  # Command[Literal[...]] or destinations=
        if destinations:
            pairs = destinations.items() if isinstance(destinations, dict) else (
                (d, None) for d in destinations)
            for target, label in pairs:
                edge(node_name, target, True, label)
            func = function_of(getattr(node, "runnable", None))
            if func is not None:
                said = returns(func)
                graph.routes.append(Route(prefix + node_name, said.values,
                                          tuple(str(d) for d in destinations),
                                          said.only_literals))
    for source, target in sorted(builder.edges):
        edge(source, target)
    for sources, target in sorted(getattr(builder, "waiting_edges", ()), key=str):
        for source in sources:
            edge(source, target)
    for source, branches in builder.branches.items():
        for condition, branch in branches.items():
            path_map = getattr(branch, "ends", None)
            if path_map is None:
                if source not in SPECIAL:
                    graph.unresolved += ends(source)
                continue
            for key, target in path_map.items():
                label = condition if str(key) == str(target) else f"{condition}: {key}"
                edge(source, target, True, label)
            func = function_of(getattr(branch, "path", None))
            if func is not None and source not in SPECIAL:
                said = returns(func)
                for s in ends(source):
                    graph.routes.append(Route(s, said.values,
                                              tuple(str(k) for k in path_map),
                                              said.only_literals))
    return level


def _node(name: str, node: Any, prefix: str) -> CodeNode:
    meta = getattr(node, "metadata", None) or {}
    loopdsl = meta.get("loopdsl") if isinstance(meta, dict) else None
    role = loopdsl.get("role") if isinstance(loopdsl, dict) else None
    runnable = getattr(node, "runnable", None)
    kind, said = "node", None
    if type(runnable).__name__ == "ToolNode":
        kind, said = "tool", "interface"
    else:
        func = function_of(runnable)
        asks = func is not None and calls(func, "interrupt")
        kind, said = ("interrupt", "feedback") if asks else ("node", None)
    return CodeNode(prefix + name, role if role in ROLES else said, kind,
                    prefix.rstrip(":") or None)
