"""Google ADK: an agent tree (``LlmAgent``, ``SequentialAgent``,
``ParallelAgent``, ``LoopAgent``) or a ``Workflow`` graph.

An ``LlmAgent`` (any agent that is not one of the three workflow agents) is
a node named ``agent.name``, a model; each of its ``tools`` (``tool.name``,
a function's name; an ``AgentTool``'s agent is an agent; a toolset such as
``McpToolset`` is one node) is an interface, with edges agent <-> tool.
A ``sub_agents`` entry is a transfer: parent -> sub-agent, and back unless
the sub-agent sets ``disallow_transfer_to_parent``. A ``SequentialAgent``
is its sub-agents in order, a ``ParallelAgent`` their fan-out and fan-in, a
``LoopAgent`` a sequence whose last step leads back to its first, bounded
by ``max_iterations``; the three are not nodes themselves. A ``Workflow``'s
``graph`` gives its nodes (``FunctionNode``s by name, agents as above, a
``JoinNode`` passed through) and edges (a ``route`` labels a conditional
edge); edges from ``START`` are the entry.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from loopdsl.drift.graph import Bound, CodeEdge, CodeGraph, CodeNode

_WORKFLOW_AGENTS = {"SequentialAgent", "ParallelAgent", "LoopAgent"}


@dataclass(slots=True)
class _Part:
    """Where a run enters a piece of the tree, and where it leaves it."""

    entry: list[str] = field(default_factory=list)
    exits: list[str] = field(default_factory=list)


def _kind(obj: Any) -> str:
    names = {c.__name__ for c in type(obj).__mro__}
    return next((n for n in ("SequentialAgent", "ParallelAgent", "LoopAgent", "Workflow",
                             "JoinNode", "BaseAgent") if n in names), "node")


class _Reader:
    def __init__(self, graph: CodeGraph) -> None:
        self.graph = graph
        self.done: dict[int, _Part] = {}

    def edges(self, sources: list[str], targets: list[str], label: str | None = None) -> None:
        for s in sources:
            for t in targets:
                self.graph.add_edge(CodeEdge(s, t, label is not None, label))

    def part(self, obj: Any) -> _Part:
        """Read ``obj`` once (a tool or agent shared by several is one node)."""
        if id(obj) in self.done:
            return self.done[id(obj)]
        kind = _kind(obj)
        if kind == "Workflow":
            part = self.workflow(obj)
        elif kind in _WORKFLOW_AGENTS:
            part = self.workflow_agent(obj, kind)
        elif kind == "BaseAgent":
            part = self.agent(obj)
        else:
            name = str(getattr(obj, "name", type(obj).__name__))
            self.graph.add_node(CodeNode(name, None, "function"))
            part = _Part([name], [name])
        self.done[id(obj)] = part
        return part

    def agent(self, agent: Any) -> _Part:
        name = str(agent.name)
        self.graph.add_node(CodeNode(name, "model", "agent"))
        part = self.done[id(agent)] = _Part([name], [name])
        for tool in getattr(agent, "tools", []) or []:
            inner = getattr(tool, "agent", None)
            if inner is not None and _kind(inner) != "node":
                used = self.part(inner)
                self.edges([name], used.entry)
                self.edges(used.exits, [name])
                continue
            target = _tool_name(tool)
            mcp = "mcp" in type(tool).__name__.lower()
            self.graph.add_node(CodeNode(target, "interface", "mcp" if mcp else "tool"))
            self.edges([name], [target])
            self.edges([target], [name])
        for sub in getattr(agent, "sub_agents", []) or []:
            used = self.part(sub)
            self.edges([name], used.entry, "transfer")
            if not getattr(sub, "disallow_transfer_to_parent", False):
                self.edges(used.exits, [name], "transfer")
        return part

    def workflow_agent(self, agent: Any, kind: str) -> _Part:
        parts = [self.part(sub) for sub in getattr(agent, "sub_agents", []) or []]
        if not parts:
            return _Part()
        if kind == "ParallelAgent":
            return _Part([n for p in parts for n in p.entry], [n for p in parts for n in p.exits])
        for a, b in itertools.pairwise(parts):
            self.edges(a.exits, b.entry)
        if kind == "LoopAgent":
            self.edges(parts[-1].exits, parts[0].entry)
            limit = getattr(agent, "max_iterations", None)
            if isinstance(limit, int) and not isinstance(limit, bool) and limit > 0:
                inside = _reach(self.graph, parts[0].entry)
                self.graph.bounds.append(Bound(tuple(n for n in self.graph.nodes
                                                     if n in inside), limit))
        return _Part(parts[0].entry, parts[-1].exits)

    def workflow(self, flow: Any) -> _Part:
        graph = getattr(flow, "graph", None)
        if graph is None:
            return _Part()
        parts: dict[int, _Part] = {}
        start = None
        for node in graph.nodes:
            if str(getattr(node, "name", "")) == "__START__":
                start = id(node)
            elif _kind(node) == "JoinNode":
                parts[id(node)] = _Part()  # passed through below
            else:
                parts[id(node)] = self.part(node)
        joins = {id(n): n for n in graph.nodes if _kind(n) == "JoinNode"}
        into: dict[int, list[tuple[Any, str | None]]] = {}
        for e in graph.edges:
            into.setdefault(id(e.from_node), []).append((e.to_node, _route(e.route)))
        whole = _Part()

        def targets(node: Any, label: str | None) -> list[tuple[str, str | None]]:
            if id(node) in joins:  # a join: through to what follows it
                return [t for nxt, lab in into.get(id(node), [])
                        for t in targets(nxt, lab or label)]
            return [(n, label) for n in parts[id(node)].entry]

        for e in graph.edges:
            label = _route(e.route)
            if id(e.from_node) in joins:
                continue
            ends = [t for t, _ in targets(e.to_node, label)]
            if id(e.from_node) == start:
                whole.entry += [t for t in ends if t not in whole.entry]
                continue
            for t, lab in targets(e.to_node, label):
                self.edges(parts[id(e.from_node)].exits, [t], lab)
        whole.exits = [n for i, p in parts.items() if not into.get(i) for n in p.exits]
        return whole


def _route(route: Any) -> str | None:
    if route is None:
        return None
    if isinstance(route, list):
        return ", ".join(map(str, route))
    return str(route)


def _tool_name(tool: Any) -> str:
    name = getattr(tool, "name", None)
    if isinstance(name, str) and name:
        return name
    return str(getattr(tool, "__name__", type(tool).__name__))


def _reach(graph: CodeGraph, start: list[str]) -> set[str]:
    out_of: dict[str, list[str]] = {}
    for e in graph.edges:
        out_of.setdefault(e.source, []).append(e.target)
    seen, stack = set(start), list(start)
    while stack:
        for nxt in out_of.get(stack.pop(), []):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen


def read(obj: Any, module: str) -> CodeGraph:
    name = getattr(obj, "name", None)
    graph = CodeGraph(name if isinstance(name, str) and name else module)
    graph.entry = _Reader(graph).part(obj).entry
    return graph
