"""The flow graph of a workspace, built once per lint run (rustworkx).

Every question the rules ask is answered in time linear in nodes + flows:
reachability from (or to) a whole set of nodes is one traversal from a
temporary super-node, and cycles are strongly connected components.
"""

from __future__ import annotations

import collections
from collections.abc import Callable, Iterable
from decimal import Decimal

import rustworkx as rx

from loopdsl.model import Flow, Loop, Node, Workspace
from loopdsl.vocabulary import is_number


def loop_graph(loop: Loop) -> tuple[rx.PyDiGraph, dict[str, int]]:
    """The graph of one loop's flows, and the index of each node id in it."""
    g: rx.PyDiGraph = rx.PyDiGraph(multigraph=False)
    index: dict[str, int] = {}
    for s, t in loop.flows:
        for qid in (s, t):
            if qid not in index:
                index[qid] = g.add_node(qid)
        g.add_edge(index[s], index[t], None)
    return g, index


class FlowGraph:
    """Nodes are qualified node ids; edges are flows."""

    def __init__(self, workspace: Workspace) -> None:
        # Flows are unique by (source, target) already; a multigraph spares
        # rustworkx a check for an existing edge on every insert, which made
        # the temporary hub's edges quadratic in the number of ends.
        self.graph: rx.PyDiGraph = rx.PyDiGraph(check_cycle=False, multigraph=True)
        nodes = workspace.nodes()
        qids = [node.qualified_id for node in nodes]
        self.nodes: dict[str, Node] = dict(zip(qids, nodes, strict=True))
        self.index: dict[str, int] = dict(zip(qids, self.graph.add_nodes_from(qids),
                                              strict=True))
        self.flows: list[Flow] = workspace.flows()
        index = self.index
        self.graph.add_edges_from_no_data(
            [(index[f.source], index[f.target]) for f in self.flows
             if f.source in index and f.target in index]
        )
        self.in_flow: set[str] = {f.source for f in self.flows} | {f.target for f in self.flows}
        self.flow_by_key: dict[tuple[str, str], Flow] = {f.key: f for f in self.flows}

    def total(self, attribute: str, node_ids: Iterable[str],
              flow_keys: Iterable[tuple[str, str]]) -> float:
        """The sum of a numeric attribute over some nodes and flows (absent: 0)."""
        items = [self.nodes[q].attributes for q in node_ids if q in self.nodes]
        items += [self.flow_by_key[k].attributes for k in flow_keys if k in self.flow_by_key]
        return sum(v for a in items if is_number(v := a.get(attribute)))

    def exact_total(self, attribute: str, node_ids: Iterable[str],
                    flow_keys: Iterable[tuple[str, str]]) -> Decimal:
        """``total`` on the decimals as written: 0.1 + 0.2 is 0.3 (money)."""
        items = [self.nodes[q].attributes for q in node_ids if q in self.nodes]
        items += [self.flow_by_key[k].attributes for k in flow_keys if k in self.flow_by_key]
        return sum((Decimal(str(v)) for a in items if is_number(v := a.get(attribute))),
                   Decimal(0))

    def matching(self, predicate: Callable[[Node], bool]) -> list[str]:
        """Ids of the nodes for which ``predicate`` holds."""
        return [qid for qid, node in self.nodes.items() if predicate(node)]

    def reachable_from(self, sources: Iterable[str]) -> set[str]:
        """Nodes at the end of a path (one flow or more) from any of ``sources``."""
        return self._strict(sources, forward=True)

    def reaching(self, targets: Iterable[str]) -> set[str]:
        """Nodes at the start of a path (one flow or more) to any of ``targets``."""
        return self._strict(targets, forward=False)

    def _strict(self, ends: Iterable[str], *, forward: bool) -> set[str]:
        ids = [self.index[e] for e in ends if e in self.index]
        if not ids:
            return set()
        g = self.graph
        hub = g.add_node("<hub>")
        try:
            if forward:
                g.add_edges_from_no_data([(hub, i) for i in ids])
                closure = rx.descendants(g, hub)  # the ends and all after them
            else:
                g.add_edges_from_no_data([(i, hub) for i in ids])
                closure = rx.ancestors(g, hub)  # the ends and all before them
        finally:
            g.remove_node(hub)
        # A node counts only if a real flow leads to it (from it): an end
        # reaches itself only through a cycle.
        if forward:
            hits = {t for s, t in g.edge_list() if s in closure}
        else:
            hits = {s for s, t in g.edge_list() if t in closure}
        return {g[i] for i in hits}

    def cycles_avoiding(self, excluded: set[str]) -> list[list[str]]:
        """Strongly connected components of two or more nodes once ``excluded``
        nodes are removed, each as node ids in a stable order."""
        keep = [i for qid, i in self.index.items() if qid not in excluded]
        sub = self.graph.subgraph(keep)
        order = {qid: n for n, qid in enumerate(self.index)}
        components = []
        for component in rx.strongly_connected_components(sub):
            if len(component) >= 2:
                components.append(sorted((sub[i] for i in component), key=order.__getitem__))
        return sorted(components, key=lambda c: order[c[0]])

    def cycle_path(self, component: list[str]) -> list[str]:
        """A shortest directed cycle (of two nodes or more) through the first node
        of a strongly connected component, as node ids, the first repeated at
        the end. A breadth-first search inside the component: linear in its
        size, however many components the graph has."""
        path = shortest_cycle(self.graph, self.index[component[0]],
                              {self.index[q] for q in component})
        return path or component


def shortest_cycle(g: rx.PyDiGraph, start: int, members: set[int] | None = None) -> list[str]:
    """The node payloads of a shortest cycle of two nodes or more from ``start``
    back to it (inside ``members`` when given), ``start`` repeated at the end;
    [] when there is none. A self-flow is not such a cycle."""
    parent: dict[int, int] = {start: start}
    queue = collections.deque([start])
    while queue:
        u = queue.popleft()
        for v in g.successor_indices(u):
            if v == start and u != start:
                path = [u]
                while path[-1] != start:
                    path.append(parent[path[-1]])
                return [g[i] for i in reversed(path)] + [g[start]]
            if v not in parent and (members is None or v in members):
                parent[v] = u
                queue.append(v)
    return []
