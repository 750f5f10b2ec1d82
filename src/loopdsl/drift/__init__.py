"""A design and the graph its code builds -> the differences, as findings
and the first design of an app (``loopdsl import``).

Pure: the code graph is already read (``loopdsl.drift.sources`` reads
LangGraph, Burr and ``get_graph().to_json()``). A design node is implemented
by the code node its ``impl`` attribute names, else by the one with its id;
nodes marked ``external: true`` live outside the code and are not compared,
nor are the flows that touch them. Findings point into the design: LD301 at
a node's id, LD303 at a flow's source reference, LD305 at the design node
implemented by the branching code node, LD302, LD304 and LD306 at the
system's id.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import rustworkx as rx

from loopdsl.diagnostics import reported
from loopdsl.model import Diagnostic, Node, Role, System, Workspace
from loopdsl.printable import printable
from loopdsl.vocabulary import make_id

# LangGraph's own entry and exit: not nodes of the app.
SPECIAL = frozenset({"__start__", "__end__"})


@dataclass(frozen=True, slots=True)
class CodeNode:
    name: str
    role: str | None = None  # from metadata {"loopdsl": {"role": ...}}, if any
    tool: bool = False  # a LangGraph ToolNode


@dataclass(frozen=True, slots=True)
class CodeEdge:
    source: str
    target: str
    conditional: bool = False
    label: str | None = None  # the condition, for `import`


@dataclass(slots=True)
class CodeGraph:
    """The graph an agent framework builds: nodes, edges (a conditional edge
    once per possible target), and the nodes whose branches cannot be known."""

    name: str
    nodes: dict[str, CodeNode] = field(default_factory=dict)
    edges: list[CodeEdge] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)  # branching nodes, targets unknown
    subgraphs: set[str] = field(default_factory=set)  # nodes that hold a compiled subgraph
    sources: list[str] = field(default_factory=list)  # the files it was read from

    def add_edge(self, edge: CodeEdge) -> None:
        if edge.source in SPECIAL or edge.target in SPECIAL:
            return
        self.edges.append(edge)


class DriftError(ValueError):
    """The design cannot be compared: no such system, several to choose from."""


def choose_system(workspace: Workspace, system_id: str | None) -> System:
    """The design system drift compares (``--system``; required with several)."""
    if system_id is not None:
        for system in workspace.systems:
            if system.id == system_id:
                return system
        known = ", ".join(s.id for s in workspace.systems) or "none"
        raise DriftError(f"no system '{system_id}' in the design (systems: {known})")
    if len(workspace.systems) != 1:
        known = ", ".join(s.id for s in workspace.systems) or "none"
        raise DriftError(f"the design has {len(workspace.systems)} systems ({known}): "
                         "choose one with --system")
    return workspace.systems[0]


def _impl(node: Node) -> str:
    impl = node.attributes.get("impl")
    return impl if isinstance(impl, str) else node.id


def _external(node: Node) -> bool:
    return node.attributes.get("external") is True


def compare(system: System, code: CodeGraph) -> list[Diagnostic]:
    """Drift findings (LD301-LD306) of ``system`` against ``code``, at their
    default severities, in source order."""
    out: list[Diagnostic] = []
    compared = [n for n in system.nodes if not _external(n)]
    impl_of = {n.qualified_id: _impl(n) for n in compared}
    design_of: dict[str, Node] = {}
    for node in compared:
        design_of.setdefault(impl_of[node.qualified_id], node)
    # A subgraph's nodes ("outer:inner") are compared when the design names one.
    named_inside = {name.split(":", 1)[0] for name in impl_of.values() if ":" in name}

    def shown(name: str) -> bool:
        return ":" not in name or name.split(":", 1)[0] in named_inside

    for node in compared:
        if impl_of[node.qualified_id] not in code.nodes:
            out.append(reported("LD301", node.span, element=node.qualified_id,
                                what=node.role or node.kind, id=node.id,
                                impl=impl_of[node.qualified_id]))
    for name in sorted(code.nodes):
        # A subgraph's own node is shown by the design through its inner nodes.
        if name not in design_of and shown(name) and name not in named_inside:
            out.append(reported("LD302", system.span, element=f"{system.id}:{name}",
                                name=name, system=system.id))
    edges = {(e.source, e.target) for e in code.edges}
    unresolved = set(code.unresolved)
    for flow in system.flows:
        source, target = impl_of.get(flow.source), impl_of.get(flow.target)
        if source is None or target is None or source not in code.nodes \
                or target not in code.nodes:
            continue  # an external or unimplemented end (LD301 says so) is not compared
        if source in unresolved:
            continue  # its router's targets are unknown: LD305 says so, once
        if (source, target) not in edges:
            out.append(reported(
                "LD303", flow.span, element=f"{flow.source}->{flow.target}",
                flow=f"{_short(flow.source, system)} -> {_short(flow.target, system)}",
                source=source, target=target))
    stated = {(impl_of[f.source], impl_of[f.target]) for f in system.flows
              if f.source in impl_of and f.target in impl_of}
    for e in sorted(edges):
        # A node repeating itself (Burr's `step -> step`) is its own business:
        # a design would have to state a self-flow, which `check` warns about.
        if e[0] in design_of and e[1] in design_of and e not in stated and e[0] != e[1]:
            out.append(reported(
                "LD304", system.span, element=f"{system.id}:{e[0]}->{e[1]}", source=e[0],
                target=e[1], system=system.id,
                flow=f"{design_of[e[0]].id} -> {design_of[e[1]].id}"))
    for name in sorted(set(code.unresolved)):
        router = design_of.get(name)
        out.append(reported("LD305", router.span if router else system.span,
                            element=f"{system.id}:{name}", name=name))
    out += _undeclared_cycles(system, code, design_of, impl_of)
    return sorted(out, key=lambda d: d.sort_key)


def _short(qid: str, system: System) -> str:
    return qid.split(".", 1)[1] if qid.startswith(system.id + ".") else qid


def _undeclared_cycles(system: System, code: CodeGraph, design_of: dict[str, Node],
                       impl_of: dict[str, str]) -> list[Diagnostic]:
    g: rx.PyDiGraph = rx.PyDiGraph(multigraph=False)
    index = {name: g.add_node(name) for name in sorted(design_of)}
    for e in code.edges:
        if e.source in index and e.target in index and e.source != e.target:
            g.add_edge(index[e.source], index[e.target], None)
    components = sorted(sorted(g[i] for i in c) for c in rx.strongly_connected_components(g)
                        if len(c) > 1)
    component_of = {name: i for i, members in enumerate(components) for name in members}
    shown = set()  # components a loop holds a flow of: one pass over the loops' flows
    for lp in system.loops:
        for s, t in lp.flows:
            i = component_of.get(impl_of.get(s, ""))
            if i is not None and component_of.get(impl_of.get(t, "")) == i:
                shown.add(i)
    out = []
    for i, component in enumerate(components):
        if i in shown:
            continue
        names = ", ".join(component)
        out.append(reported("LD306", system.span, element=f"{system.id}:cycle:{names}",
                            names=names, system=system.id))
    return out


# --- import: a first design of an app ------------------------------------------------------


class _Ids:
    """Valid, unique ids for code names: twins numbered ``_2``, ``_3``... in
    order, each base remembering its next number (N names that all make the
    same id cost N steps, not N squared)."""

    def __init__(self) -> None:
        self.taken: set[str] = set()
        self.next: dict[str, int] = {}

    def __call__(self, name: str) -> str:
        base = make_id(name)
        ident, n = base, self.next.get(base, 2)
        while ident in self.taken:
            ident, n = f"{base}_{n}", n + 1
        self.next[base] = n
        self.taken.add(ident)
        return ident


def to_design(code: CodeGraph, system_id: str) -> str:
    """A first ``.loop`` design of the app, in ``fmt``'s layout: a node per code
    node, a flow per edge (one per possible target of a conditional edge,
    labelled with its condition), a loop per cycle; a comment says which
    roles were guessed."""
    from loopdsl.formatter import format_text

    unique = _Ids()
    ids = {name: unique(name) for name in code.nodes}
    guessed = []
    lines = []
    for name, node in code.nodes.items():
        if node.role in {r.value for r in Role}:
            role = node.role
        else:
            role = "interface" if node.tool else "model"
            guessed.append(f"{ids[name]} ({role})")
        impl = f" {{ impl: {_quote(name)} }}" if ids[name] != name else ""
        lines.append(f"  {role} {ids[name]}{impl}")
    labels: dict[tuple[str, str], str | None] = {}
    for e in code.edges:
        # A self-edge is no flow of the design (see LD304).
        if e.source in ids and e.target in ids and e.source != e.target:
            labels.setdefault((e.source, e.target), e.label)

    def flow(key: tuple[str, str]) -> str:
        label = labels[key]
        return f"{ids[key[0]]} -> {ids[key[1]]}" + (f" {_quote(label)}" if label else "")

    cycles = list(_cycles(code))
    in_loops = {key for cycle in cycles for key in cycle}
    lines += [f"  {flow(key)}" for key in labels if key not in in_loops]
    for i, cycle in enumerate(cycles, 1):  # a flow of a cycle is stated in its loop only
        lines.append(f"  loop cycle_{i} {{")
        lines += [f"    {flow(key)}" for key in cycle if key in labels]
        lines.append("  }")
    # The name comes from the code or a file name: as a one-line JSON string,
    # with no character that could end the comment or hide text.
    name = printable(json.dumps(code.name, ensure_ascii=False))
    head = [f"# A first design of {name}, written by `loopdsl import`."]
    if guessed:
        head.append("# Roles guessed (set metadata {\"loopdsl\": {\"role\": ...}} in the code, "
                    "or edit them here): " + ", ".join(guessed) + ".")
    text = "\n".join([*head, f"system {system_id} {{", *lines, "}"]) + "\n"
    return format_text(text)


def _quote(text: str) -> str:
    from loopdsl.formatter import quote

    return quote(text, block=False)


def _cycles(code: CodeGraph) -> Iterable[list[tuple[str, str]]]:
    """The edges inside each strongly connected component of two or more nodes,
    found in one pass over the edges (not one per component)."""
    g: rx.PyDiGraph = rx.PyDiGraph(multigraph=False)
    index = {name: g.add_node(name) for name in code.nodes}
    for e in code.edges:
        if e.source in index and e.target in index:
            g.add_edge(index[e.source], index[e.target], None)
    order = {name: i for i, name in enumerate(code.nodes)}
    components = sorted(([g[i] for i in c] for c in rx.strongly_connected_components(g)
                         if len(c) > 1), key=lambda m: min(order[n] for n in m))
    component_of = {name: i for i, members in enumerate(components) for name in members}
    inside: list[set[tuple[str, str]]] = [set() for _ in components]
    for e in code.edges:
        i = component_of.get(e.source)
        if i is not None and component_of.get(e.target) == i:
            inside[i].add((e.source, e.target))
    for edges in inside:
        yield sorted(edges, key=lambda st: (order[st[0]], order[st[1]]))


def from_json(data: Any, name: str = "graph") -> CodeGraph:
    """A code graph from LangGraph's ``get_graph().to_json()`` (plus loopdsl's
    optional ``loopdsl_unresolved``: the nodes whose branch targets are unknown)."""
    if not isinstance(data, dict) or not isinstance(data.get("nodes"), list) \
            or not isinstance(data.get("edges"), list):
        raise ValueError("not a graph: expected an object with 'nodes' and 'edges' lists")
    graph = CodeGraph(name)
    for node in data["nodes"]:
        if not isinstance(node, dict) or not isinstance(node.get("id"), str):
            raise ValueError("every node needs a string 'id'")
        if node["id"] in SPECIAL:
            continue
        meta = node.get("metadata")
        role = meta.get("loopdsl", {}).get("role") if isinstance(meta, dict) and isinstance(
            meta.get("loopdsl"), dict) else None
        node_data = node.get("data")
        tool = isinstance(node_data, dict) and isinstance(node_data.get("id"), list) and \
            "ToolNode" in node_data["id"]
        graph.nodes[node["id"]] = CodeNode(node["id"], role if isinstance(role, str) else None,
                                           tool)
    for edge in data["edges"]:
        if not isinstance(edge, dict) or not isinstance(edge.get("source"), str) \
                or not isinstance(edge.get("target"), str):
            raise ValueError("every edge needs a string 'source' and 'target'")
        label = edge.get("data")
        graph.add_edge(CodeEdge(edge["source"], edge["target"], edge.get("conditional") is True,
                                label if isinstance(label, str) else None))
    unresolved = data.get("loopdsl_unresolved", [])
    if isinstance(unresolved, list):
        graph.unresolved = [u for u in unresolved if isinstance(u, str)]
    return graph
