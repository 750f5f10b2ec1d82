"""A system of the design against the graph its code builds: LD301-LD309.

A design node is implemented by the code node its ``impl`` attribute names,
else by the one with its id; nodes marked ``external: true`` live outside the
code and are not compared, nor are the flows that touch them. A subgraph is
compared node by node (``sub:inner``) when both sides show its inside, and
as one node when either side shows only the subgraph. Findings point into
the design: LD301 at a node's id, LD303 at a flow's source reference, LD305,
LD308 and LD309 at the design node implemented by the branching code node,
LD302, LD304, LD306 and LD307 at the system's id.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import rustworkx as rx

from loopdsl.diagnostics import reported
from loopdsl.drift.graph import CodeEdge, CodeGraph, CodeNode
from loopdsl.model import Diagnostic, Node, System, Workspace


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


def _folding(code: CodeGraph, names: set[str]) -> Callable[[str], str]:
    """Names as both sides can see them: a subgraph whose inside one side does
    not show (the design names no ``sub:*`` node, or the code only the
    subgraph node) is one node ``sub`` on both."""
    inside = {n.rpartition(":")[0] for n in code.nodes if ":" in n}
    designed = {n.rpartition(":")[0] for n in names if ":" in n}
    folded = sorted((s for s in code.subgraphs if s not in inside or s not in designed),
                    key=len)
    if not folded:
        return lambda name: name

    def fold(name: str) -> str:
        for sub in folded:  # the outermost first
            if name.startswith(sub + ":"):
                return sub
        return name
    return fold


def _folded(code: CodeGraph, fold: Callable[[str], str]) -> CodeGraph:
    nodes: dict[str, CodeNode] = {}
    for name, node in code.nodes.items():
        nodes.setdefault(fold(name), replace(node, name=fold(name)))
    edges = [CodeEdge(fold(e.source), fold(e.target), e.conditional, e.label)
             for e in code.edges
             if e.source == e.target or fold(e.source) != fold(e.target)]
    return CodeGraph(code.name, code.framework, nodes, edges,
                     sorted({fold(u) for u in code.unresolved}), code.subgraphs,
                     None if code.entry is None else list(dict.fromkeys(map(fold, code.entry))),
                     code.bounds, code.routes, code.sources)


def compare(system: System, code: CodeGraph) -> list[Diagnostic]:
    """Drift findings (LD301-LD309) of ``system`` against ``code``, at their
    default severities, in source order."""
    out: list[Diagnostic] = []
    compared = [n for n in system.nodes if not n.external]
    fold = _folding(code, {n.code_name for n in compared})
    code = _folded(code, fold)
    impl = {n.qualified_id: fold(n.code_name) for n in compared}
    design_of: dict[str, Node] = {}
    for node in compared:
        design_of.setdefault(impl[node.qualified_id], node)

    for node in compared:
        if impl[node.qualified_id] not in code.nodes:
            out.append(reported("LD301", node.span, element=node.qualified_id,
                                what=node.role or node.kind, id=node.id,
                                impl=impl[node.qualified_id]))
    for name in sorted(code.nodes):
        if name not in design_of:
            out.append(reported("LD302", system.span, element=f"{system.id}:{name}",
                                name=name, system=system.id))
    edges = {(e.source, e.target) for e in code.edges}
    unresolved = set(code.unresolved)
    for flow in system.flows:
        source, target = impl.get(flow.source), impl.get(flow.target)
        if source is None or target is None or source not in code.nodes \
                or target not in code.nodes:
            continue  # an external or unimplemented end (LD301 says so) is not compared
        if source in unresolved:
            continue  # its router's targets are unknown: LD305 says so, once
        if source == target and flow.source != flow.target:
            continue  # inside a subgraph one side shows as one node
        if (source, target) not in edges:
            out.append(reported(
                "LD303", flow.span, element=f"{flow.source}->{flow.target}",
                flow=f"{_short(flow.source, system)} -> {_short(flow.target, system)}",
                source=source, target=target))
    stated = {(impl[f.source], impl[f.target]) for f in system.flows
              if f.source in impl and f.target in impl}
    for e in sorted(edges):
        if e[0] in design_of and e[1] in design_of and e not in stated:
            out.append(reported(
                "LD304", system.span, element=f"{system.id}:{e[0]}->{e[1]}", source=e[0],
                target=e[1], system=system.id,
                flow=f"{design_of[e[0]].id} -> {design_of[e[1]].id}"))
    for name in sorted(unresolved):
        router = design_of.get(name)
        out.append(reported("LD305", router.span if router else system.span,
                            element=f"{system.id}:{name}", name=name))
    out += _undeclared_cycles(system, code, design_of, impl, stated)
    out += _entry(system, code, impl)
    out += _routes(system, code, design_of, fold)
    return sorted(out, key=lambda d: d.sort_key)


def _short(qid: str, system: System) -> str:
    return qid.split(".", 1)[1] if qid.startswith(system.id + ".") else qid


def _undeclared_cycles(system: System, code: CodeGraph, design_of: dict[str, Node],
                       impl: dict[str, str], stated: set[tuple[str, str]]
                       ) -> list[Diagnostic]:
    """LD306: a code cycle of two or more mapped nodes that no loop shows, or
    that an unstated edge loops back through (named, once per component)."""
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
            i = component_of.get(impl.get(s, ""))
            if i is not None and component_of.get(impl.get(t, "")) == i:
                shown.add(i)
    unstated: dict[int, tuple[str, str]] = {}  # the first unstated edge of each component
    for s, t in sorted({(e.source, e.target) for e in code.edges}):
        i = component_of.get(s)
        if i is not None and s != t and component_of.get(t) == i and (s, t) not in stated:
            unstated.setdefault(i, (s, t))
    out = []
    for i, component in enumerate(components):
        names = ", ".join(component)
        if i not in shown:
            why = f"and no loop of system '{system.id}' holds a flow of that cycle"
        elif i in unstated:
            s, t = unstated[i]
            why = f"looping back through the edge {s} -> {t}, which system '{system.id}' " \
                  "does not state"
        else:
            continue
        out.append(reported("LD306", system.span, element=f"{system.id}:cycle:{names}",
                            names=names, why=why, system=system.id))
    return out


def _entry(system: System, code: CodeGraph, impl: dict[str, str]) -> list[Diagnostic]:
    """LD307: the code starts elsewhere than the system's ``entry`` says."""
    stated = system.attributes.get("entry")
    if not isinstance(stated, list) or code.entry is None:
        return []
    by_id = {n.id: impl[n.qualified_id] for n in system.nodes if n.qualified_id in impl}
    designed = sorted({by_id.get(e, e) for e in stated if isinstance(e, str)})
    actual = sorted(set(code.entry))
    if designed == actual:
        return []
    return [reported("LD307", system.span, element=f"{system.id}:entry",
                     system=system.id, actual=", ".join(actual) or "nothing",
                     design=", ".join(designed) or "nothing")]


def _routes(system: System, code: CodeGraph, design_of: dict[str, Node],
            fold: Callable[[str], str]) -> list[Diagnostic]:
    """LD308 and LD309: a router's literal returns against its path map."""
    out = []
    for route in code.routes:
        node = design_of.get(fold(route.node))
        if node is None:
            continue  # not in the design: LD302 says so
        mapped = set(route.mapped)
        for value in sorted(set(route.returns) - mapped):
            out.append(reported("LD308", node.span, element=f"{node.qualified_id}:{value}",
                                name=route.node, value=value,
                                mapped=", ".join(sorted(mapped)) or "nothing"))
        if route.only_literals:
            for key in sorted(mapped - set(route.returns)):
                out.append(reported("LD309", node.span, element=f"{node.qualified_id}:{key}",
                                    name=route.node, value=key))
    return out
