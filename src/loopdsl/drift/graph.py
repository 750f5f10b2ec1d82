"""The graph an agent framework builds, in one shape for every framework,
and loopdsl's agent-graph JSON of it (``loopdsl graph`` writes it,
``--graph-json`` reads it and LangGraph's own ``get_graph().to_json()``).

A node is named as the framework names it; a node inside a compiled
subgraph ``sub`` is ``sub:inner``. ``__start__`` and ``__end__`` are the
framework's entry and exit, never nodes: edges from or to them are dropped,
and the targets of edges from ``__start__`` are the graph's entry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# LangGraph's (and pydantic-graph's) entry and exit: not nodes of the app.
SPECIAL = frozenset({"__start__", "__end__"})
VERSION = 1

# Roles a framework can say of a node; anything else is a guess.
ROLES = ("context", "model", "interface", "feedback")


@dataclass(frozen=True, slots=True)
class CodeNode:
    name: str
    role: str | None = None  # from metadata, else what the framework says; None: a guess
    kind: str = "node"  # the framework's word for it: node, tool, agent, step, mcp...
    subgraph: str | None = None  # the subgraph node holding it ("sub" for "sub:inner")


@dataclass(frozen=True, slots=True)
class CodeEdge:
    source: str
    target: str
    conditional: bool = False
    label: str | None = None  # the condition, for `import`


@dataclass(frozen=True, slots=True)
class Route:
    """What a router's source says it returns, beside what its path map maps."""

    node: str  # the branching node
    returns: tuple[str, ...]  # literal values the router's function can return
    mapped: tuple[str, ...]  # the path map's keys (or a Command node's destinations)
    only_literals: bool  # every return is a literal: a key never returned is dead


@dataclass(frozen=True, slots=True)
class Bound:
    """A bound the app states on the cycles among ``nodes``."""

    nodes: tuple[str, ...]
    max_iterations: int


@dataclass(slots=True)
class CodeGraph:
    """The graph an agent framework builds: nodes, edges (a conditional edge
    once per possible target), the nodes whose branch targets cannot be
    known, the entry, the bounds and routers' literal returns."""

    name: str
    framework: str = "graph-json"
    nodes: dict[str, CodeNode] = field(default_factory=dict)
    edges: list[CodeEdge] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)  # branching nodes, targets unknown
    subgraphs: set[str] = field(default_factory=set)  # subgraph nodes (their inside may be unknown)
    entry: list[str] | None = None  # None: the source does not say
    bounds: list[Bound] = field(default_factory=list)
    routes: list[Route] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)  # the files it was read from

    def add_node(self, node: CodeNode) -> None:
        self.nodes.setdefault(node.name, node)

    def add_edge(self, edge: CodeEdge) -> None:
        if edge.source == "__start__" and edge.target not in SPECIAL:
            self.entry = self.entry if self.entry is not None else []
            if edge.target not in self.entry:
                self.entry.append(edge.target)
        if edge.source in SPECIAL or edge.target in SPECIAL:
            return
        self.edges.append(edge)

    def to_json(self) -> dict[str, Any]:
        """The agent-graph JSON (``loopdsl schema --graph``), keys in a fixed order."""
        nodes = []
        for node in self.nodes.values():
            item: dict[str, Any] = {"id": node.name, "kind": node.kind}
            if node.role is not None:
                item["role"] = node.role
            if node.subgraph is not None:
                item["subgraph"] = node.subgraph
            nodes.append(item)
        edges, seen = [], set()
        for e in self.edges:
            if (e.source, e.target, e.label) in seen:
                continue
            seen.add((e.source, e.target, e.label))
            edge: dict[str, Any] = {"source": e.source, "target": e.target,
                                    "conditional": e.conditional}
            if e.label is not None:
                edge["label"] = e.label
            edges.append(edge)
        out: dict[str, Any] = {
            "loopdsl_graph": VERSION, "framework": self.framework, "name": self.name,
            "nodes": nodes, "edges": edges, "unresolved": sorted(set(self.unresolved)),
            "bounds": [{"nodes": list(b.nodes), "max_iterations": b.max_iterations}
                       for b in self.bounds],
        }
        if self.entry is not None:
            out["entry"] = list(self.entry)
        if self.routes:
            out["routes"] = [{"node": r.node, "returns": list(r.returns),
                              "mapped": list(r.mapped), "only_literals": r.only_literals}
                             for r in self.routes]
        return out


def subgraph_of(name: str) -> str | None:
    """``sub`` for ``sub:inner`` (``a:b`` for ``a:b:c``), None at the top."""
    return name.rpartition(":")[0] or None


# --- reading JSON ----------------------------------------------------------------------


def from_json(data: Any, name: str = "graph") -> CodeGraph:
    """A code graph from loopdsl's agent-graph JSON, or from LangGraph's
    ``get_graph().to_json()``, plain or ``xray=True`` (plus loopdsl's older
    optional ``loopdsl_unresolved``). Raises ValueError on anything else."""
    if not isinstance(data, dict) or not isinstance(data.get("nodes"), list) \
            or not isinstance(data.get("edges"), list):
        raise ValueError("not a graph: expected an object with 'nodes' and 'edges' lists")
    if "loopdsl_graph" in data:
        return _from_agent_graph(data, name)
    return _from_langgraph_json(data, name)


def _string(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{what} must be a non-empty string")
    return value


def _strings(value: Any, what: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{what} must be a list of strings")
    return list(value)


def _from_agent_graph(data: dict[str, Any], name: str) -> CodeGraph:
    if data["loopdsl_graph"] != VERSION:
        raise ValueError(f"agent-graph version {data['loopdsl_graph']!r} is not one this "
                         f"loopdsl reads ({VERSION})")
    graph = CodeGraph(data["name"] if isinstance(data.get("name"), str) and data["name"]
                      else name,
                      data["framework"] if isinstance(data.get("framework"), str)
                      else "graph-json")
    for node in data["nodes"]:
        if not isinstance(node, dict):
            raise ValueError("every node must be an object with a string 'id'")
        ident = _string(node.get("id"), "a node's 'id'")
        role = node.get("role")
        if role is not None and role not in ROLES:
            raise ValueError(f"node '{ident}': role must be one of {', '.join(ROLES)}")
        sub = node.get("subgraph")
        if sub is not None:
            graph.subgraphs.add(_string(sub, f"node '{ident}': 'subgraph'"))
        kind = node.get("kind")
        graph.add_node(CodeNode(ident, role, kind if isinstance(kind, str) else "node", sub))
    for edge in data["edges"]:
        if not isinstance(edge, dict):
            raise ValueError("every edge must be an object with 'source' and 'target'")
        label = edge.get("label")
        graph.add_edge(CodeEdge(_string(edge.get("source"), "an edge's 'source'"),
                                _string(edge.get("target"), "an edge's 'target'"),
                                edge.get("conditional") is True,
                                label if isinstance(label, str) else None))
    graph.unresolved = _strings(data.get("unresolved", []), "'unresolved'")
    if "entry" in data:
        graph.entry = _strings(data["entry"], "'entry'")
    for bound in data.get("bounds", []):
        limit = bound.get("max_iterations") if isinstance(bound, dict) else None
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
            raise ValueError("every bound needs 'nodes' and a positive 'max_iterations'")
        graph.bounds.append(Bound(tuple(_strings(bound.get("nodes"), "a bound's 'nodes'")),
                                  limit))
    for route in data.get("routes", []):
        if not isinstance(route, dict):
            raise ValueError("every route must be an object")
        graph.routes.append(Route(_string(route.get("node"), "a route's 'node'"),
                                  tuple(_strings(route.get("returns", []), "'returns'")),
                                  tuple(_strings(route.get("mapped", []), "'mapped'")),
                                  route.get("only_literals") is True))
    return graph


def _from_langgraph_json(data: dict[str, Any], name: str) -> CodeGraph:
    """LangGraph's JSON. With ``xray=True`` a subgraph's nodes are ``sub:inner``
    and older releases add ``sub:__start__``/``sub:__end__``: the subgraph's
    entry and exit, passed through here, not nodes. Without xray a subgraph is
    one node whose inside is unknown."""
    graph = CodeGraph(name, "langgraph")
    through: set[str] = set()  # sub:__start__ and sub:__end__
    for node in data["nodes"]:
        if not isinstance(node, dict) or not isinstance(node.get("id"), str):
            raise ValueError("every node needs a string 'id'")
        ident = node["id"]
        if ident in SPECIAL:
            continue
        if ident.rpartition(":")[2] in SPECIAL:
            through.add(ident)
            continue
        meta = node.get("metadata")
        loopdsl = meta.get("loopdsl") if isinstance(meta, dict) else None
        role = loopdsl.get("role") if isinstance(loopdsl, dict) else None
        node_data = node.get("data")
        classes = node_data.get("id") if isinstance(node_data, dict) else None
        classes = classes if isinstance(classes, list) else []
        kind = "tool" if "ToolNode" in classes else (
            "subgraph" if "CompiledStateGraph" in classes else "node")
        if role not in ROLES:
            role = "interface" if kind == "tool" else None
        sub = subgraph_of(ident)
        if sub is not None:
            graph.subgraphs.add(sub)
        if kind == "subgraph":
            graph.subgraphs.add(ident)
        graph.add_node(CodeNode(ident, role, kind, sub))
    edges = []
    for edge in data["edges"]:
        if not isinstance(edge, dict) or not isinstance(edge.get("source"), str) \
                or not isinstance(edge.get("target"), str):
            raise ValueError("every edge needs a string 'source' and 'target'")
        label = edge.get("data")
        edges.append(CodeEdge(edge["source"], edge["target"], edge.get("conditional") is True,
                              label if isinstance(label, str) else None))
    for e in _pass_through(edges, through):
        graph.add_edge(e)
    unresolved = data.get("loopdsl_unresolved", [])
    if isinstance(unresolved, list):
        graph.unresolved = [u for u in unresolved if isinstance(u, str)]
    return graph


def _pass_through(edges: list[CodeEdge], through: set[str]) -> list[CodeEdge]:
    """``a -> sub:__start__ -> sub:x`` becomes ``a -> sub:x`` (and the same
    through ``sub:__end__``), chains of them too; edges in order."""
    if not through:
        return edges
    out_of: dict[str, list[CodeEdge]] = {}
    for e in edges:
        out_of.setdefault(e.source, []).append(e)
    result: list[CodeEdge] = []
    for e in edges:
        if e.source in through:
            continue
        stack, seen = [e], set()
        while stack:
            cur = stack.pop()
            if cur.target not in through:
                result.append(CodeEdge(e.source, cur.target, e.conditional or cur.conditional,
                                       e.label or cur.label))
            elif cur.target not in seen:
                seen.add(cur.target)
                stack.extend(reversed(out_of.get(cur.target, [])))
    return result


# --- its JSON Schema -------------------------------------------------------------------


def schema() -> dict[str, Any]:
    """The JSON Schema of the agent-graph JSON (``loopdsl schema --graph``)."""
    names = {"type": "array", "items": {"type": "string"}}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "loopdsl agent graph",
        "description": "The graph an agent framework builds, as `loopdsl graph` writes it "
                       "and `--graph-json` reads it.",
        "type": "object",
        "required": ["loopdsl_graph", "nodes", "edges"],
        "properties": {
            "loopdsl_graph": {"const": VERSION},
            "framework": {"type": "string", "description": "langgraph, burr, openai-agents, "
                          "pydantic-graph, llama-index, adk, or any other tool's name"},
            "name": {"type": "string", "description": "the app's own name, else its module's"},
            "nodes": {"type": "array", "items": {
                "type": "object", "required": ["id"], "properties": {
                    "id": {"type": "string", "minLength": 1,
                           "description": "as the code names it; 'sub:inner' inside subgraph "
                                          "'sub'"},
                    "kind": {"type": "string"},
                    "role": {"enum": list(ROLES),
                             "description": "from metadata or the framework; absent: unknown"},
                    "subgraph": {"type": "string"}}}},
            "edges": {"type": "array", "items": {
                "type": "object", "required": ["source", "target"], "properties": {
                    "source": {"type": "string", "minLength": 1},
                    "target": {"type": "string", "minLength": 1},
                    "conditional": {"type": "boolean"},
                    "label": {"type": "string"}}}},
            "unresolved": {**names, "description": "nodes whose branch targets are unknown"},
            "bounds": {"type": "array", "items": {
                "type": "object", "required": ["nodes", "max_iterations"], "properties": {
                    "nodes": names, "max_iterations": {"type": "integer", "minimum": 1}}}},
            "entry": {**names, "description": "the nodes a run starts at"},
            "routes": {"type": "array", "items": {
                "type": "object", "required": ["node"], "properties": {
                    "node": {"type": "string"},
                    "returns": {**names, "description": "literals the router can return"},
                    "mapped": {**names, "description": "its path map's keys"},
                    "only_literals": {"type": "boolean"}}}},
        },
    }
