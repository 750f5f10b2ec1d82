"""``loopdsl import``: a first design of an app, from its code graph.

One system: a node per code node (its role from metadata, else from what
the framework says, else ``model``, marked as guessed), a flow per edge
(one per possible target of a conditional edge, labelled with its
condition; self-edges too), a loop per cycle named after its entry node,
with the bound the app states. Names from the code reach the text only as
quoted strings or sanitised ids.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterable

import rustworkx as rx

from loopdsl.drift.graph import CodeGraph
from loopdsl.model import Role
from loopdsl.printable import printable
from loopdsl.vocabulary import make_id


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


# Where the code can say a node's role, by framework (else: edit the design).
_SAY_ROLE = {
    "langgraph": 'set metadata {"loopdsl": {"role": ...}} on the node in the code, or ',
    "graph-json": 'set metadata {"loopdsl": {"role": ...}} on the node in the code, or ',
    "burr": "tag the action `loopdsl:ROLE` in the code, or ",
}


def guessed_roles(code: CodeGraph) -> list[str]:
    """The code nodes whose role neither metadata nor the framework says."""
    roles = {r.value for r in Role}
    return [name for name, node in code.nodes.items() if node.role not in roles]


def to_design(code: CodeGraph, system_id: str, header: Iterable[str] = ()) -> str:
    """A first ``.loop`` design of the app, in ``fmt``'s layout; ``header``
    lines follow the first comment (each becomes a comment line)."""
    from loopdsl.formatter import format_text

    unique = _Ids()
    ids = {name: unique(name) for name in code.nodes}
    guessed = set(guessed_roles(code))
    lines = []
    if code.entry:
        entry = [ids[e] for e in code.entry if e in ids]
        if entry:
            lines.append(f"  entry: [{', '.join(_quote(e) for e in entry)}]")
    for name, node in code.nodes.items():
        role = "model" if name in guessed else node.role
        impl = f" {{ impl: {_quote(name)} }}" if ids[name] != name else ""
        lines.append(f"  {role} {ids[name]}{impl}")
    labels: dict[tuple[str, str], str | None] = {}
    for e in code.edges:
        if e.source in ids and e.target in ids:
            labels.setdefault((e.source, e.target), e.label)

    def flow(key: tuple[str, str]) -> str:
        label = labels[key]
        return f"{ids[key[0]]} -> {ids[key[1]]}" + (f" {_quote(label)}" if label else "")

    cycles = list(_cycles(code))
    in_loops = {key for _, cycle in cycles for key in cycle}
    lines += [f"  {flow(key)}" for key in labels if key not in in_loops]
    loop_ids = _Ids()
    for entry_name, cycle in cycles:  # a flow of a cycle is stated in its loop only
        members = {n for key in cycle for n in key}
        bound = next((b.max_iterations for b in code.bounds if members <= set(b.nodes)), None)
        lines.append(f"  loop {loop_ids(ids[entry_name])} {{")
        if bound is not None:
            lines.append(f"    max_iterations: {bound}")
        lines += [f"    {flow(key)}" for key in cycle]
        lines.append("  }")
    # The name comes from the code or a file name: as a one-line JSON string,
    # with no character that could end the comment or hide text.
    name = printable(json.dumps(code.name, ensure_ascii=False))
    head = [f"# A first design of {name}, written by `loopdsl import`."]
    if guessed:
        where = _SAY_ROLE.get(code.framework, "")
        head.append(f"# Roles guessed ({where}edit them here): "
                    + ", ".join(f"{ids[n]} (model)" for n in code.nodes if n in guessed) + ".")
    head += [f"# {printable(line)}" if line else "#" for line in header]
    text = "\n".join([*head, f"system {system_id} {{", *lines, "}"]) + "\n"
    return format_text(text)


def _quote(text: str) -> str:
    from loopdsl.formatter import quote

    return quote(text, block=False)


def _cycles(code: CodeGraph) -> Iterable[tuple[str, list[tuple[str, str]]]]:
    """Each strongly connected component of two or more nodes, and each node
    with a self-edge outside one: its entry (the member a run reaches first
    from the graph's entry, else the first in the code's order) and its edges
    (the entry's first); found in one pass over the edges."""
    g: rx.PyDiGraph = rx.PyDiGraph()
    index = {name: g.add_node(name) for name in code.nodes}
    selves = set()
    for e in code.edges:
        if e.source in index and e.target in index:
            if e.source == e.target:
                selves.add(e.source)
            else:
                g.add_edge(index[e.source], index[e.target], None)
    reached = _reach_order(code)
    order = {name: i for i, name in enumerate(code.nodes)}

    def first(members: Iterable[str]) -> str:
        return min(members, key=lambda n: (reached.get(n, len(reached)), order[n]))

    components = [[g[i] for i in c] for c in rx.strongly_connected_components(g)]
    components = [c for c in components if len(c) > 1 or c[0] in selves]
    entries = [first(c) for c in components]
    ranked = sorted(range(len(components)), key=lambda i: (reached.get(entries[i], len(
        reached)), order[entries[i]]))
    component_of = {name: i for i, members in enumerate(components) for name in members}
    inside: list[set[tuple[str, str]]] = [set() for _ in components]
    for e in code.edges:
        i = component_of.get(e.source)
        if i is not None and component_of.get(e.target) == i:
            inside[i].add((e.source, e.target))
    for i in ranked:
        entry = entries[i]
        rank = {n: (n != entry, reached.get(n, len(reached)), order[n]) for n in components[i]}
        yield entry, sorted(inside[i], key=lambda st: (rank[st[0]], rank[st[1]]))


def _reach_order(code: CodeGraph) -> dict[str, int]:
    """Each node's place in a breadth-first walk from the graph's entry."""
    out_of: dict[str, list[str]] = {}
    for e in code.edges:
        out_of.setdefault(e.source, []).append(e.target)
    seen: dict[str, int] = {}
    queue = deque(n for n in (code.entry or []) if n in code.nodes)
    for n in queue:
        seen.setdefault(n, len(seen))
    while queue:
        for nxt in out_of.get(queue.popleft(), []):
            if nxt not in seen:
                seen[nxt] = len(seen)
                queue.append(nxt)
    return seen
