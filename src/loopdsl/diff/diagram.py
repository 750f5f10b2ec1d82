"""A diff -> a diagram of the union of both versions, as Mermaid or DOT:
added elements green, removed ones red and dashed, changed ones amber, the
rest grey, with a legend that says so. In a large design the unchanged
nodes far from any change are folded into one note, so the change stays
readable.
"""

from __future__ import annotations

from dataclasses import dataclass

from loopdsl.diff import Diff, flow_id
from loopdsl.model import Flow, Node, Role

COLORS = {"added": ("#E8F5E9", "#2E7D32"), "removed": ("#FFEBEE", "#C62828"),
          "changed": ("#FFF8E1", "#EF6C00"), "unchanged": ("#FAFAFA", "#9E9E9E")}
LEGEND = {"added": "added", "removed": "removed (dashed)", "changed": "changed",
          "unchanged": "unchanged"}
FOLD_OVER = 40  # nodes: above this, unchanged nodes away from the change are folded


@dataclass(frozen=True, slots=True)
class Item:
    id: str  # synthetic: n0, n1, ...
    node: Node
    status: str


@dataclass(frozen=True, slots=True)
class Edge:
    source: str
    target: str
    flow: Flow
    status: str


@dataclass(frozen=True, slots=True)
class Picture:
    title: str
    items: list[Item]
    edges: list[Edge]
    folded: int  # unchanged nodes not shown


def picture(diff: Diff) -> Picture:
    """What the diagram shows: every node and flow of either version with its
    status, unchanged parts far from the change folded away."""
    changed_ids = {c.id for c in diff.nodes.changed} | {c.id for c in diff.flows.changed}
    added_nodes, removed_nodes = set(diff.nodes.added), set(diff.nodes.removed)
    added_flows, removed_flows = set(diff.flows.added), set(diff.flows.removed)
    nodes: dict[str, tuple[Node, str]] = {}
    for n in diff.new_workspace.nodes():
        q = n.qualified_id
        nodes[q] = (n, "added" if q in added_nodes else
                    "changed" if q in changed_ids else "unchanged")
    for n in diff.old.nodes():
        if n.qualified_id in removed_nodes:
            nodes[n.qualified_id] = (n, "removed")
    flows: dict[str, tuple[Flow, str]] = {}
    for f in diff.new_workspace.flows():
        fid = flow_id(f)
        flows[fid] = (f, "added" if fid in added_flows else
                      "changed" if fid in changed_ids else "unchanged")
    for f in diff.old.flows():
        if flow_id(f) in removed_flows:
            flows[flow_id(f)] = (f, "removed")
    shown = set(nodes)
    if len(nodes) > FOLD_OVER:
        shown = {q for q, (_, st) in nodes.items() if st != "unchanged"}
        for f, st in flows.values():
            if st != "unchanged" or f.source in shown or f.target in shown:
                shown |= {f.source, f.target}
        shown &= set(nodes)
    order = sorted(shown)
    ids = {q: f"n{i}" for i, q in enumerate(order)}
    items = [Item(ids[q], nodes[q][0], nodes[q][1]) for q in order]
    edges = [Edge(ids[f.source], ids[f.target], f, st)
             for fid, (f, st) in sorted(flows.items())
             if f.source in ids and f.target in ids]
    return Picture(f"{diff.base} → {diff.head}", items, edges, len(nodes) - len(shown))


def _second_line(node: Node) -> str:
    return f"{node.qualified_id} «{node.kind}»"


# --- mermaid -------------------------------------------------------------------------


def to_mermaid(diff: Diff, direction: str = "LR") -> str:
    """The change as a Mermaid flowchart; deterministic."""
    import json

    from loopdsl.render.mermaid import node_shape, text

    pic = picture(diff)
    out = [f"---\ntitle: {json.dumps('Change: ' + pic.title)}\n---", f"flowchart {direction}"]
    for item in pic.items:
        open_, close = node_shape(item.node.role)
        label = f"{text(item.node.label)}<br/><small>{text(_second_line(item.node))}</small>"
        out.append(f"  {item.id}{open_}{label}{close}:::{item.status}")
    if pic.folded:
        out.append(f'  folded["… {pic.folded} unchanged nodes not shown"]:::unchanged')
    styles = []
    for i, e in enumerate(pic.edges):
        arrow = "-.->" if e.status == "removed" else "-->"
        label = f'|"{text(e.flow.label)}"|' if e.flow.label else ""
        out.append(f"  {e.source} {arrow}{label} {e.target}")
        color = COLORS[e.status][1]
        dash = ",stroke-dasharray:5 5" if e.status == "removed" else ""
        width = "1px" if e.status == "unchanged" else "2.5px"
        styles.append(f"  linkStyle {i} stroke:{color},stroke-width:{width}{dash}")
    out += styles
    out += ['  subgraph legend["Legend"]', "    direction TB"]
    out += [f'    legend_{st}["{word}"]:::{st}' for st, word in LEGEND.items()]
    out.append("  end")
    for st, (fill, stroke) in COLORS.items():
        dash = ",stroke-dasharray:5 5" if st == "removed" else ""
        grey = ",color:#616161" if st == "unchanged" else ""
        out.append(f"  classDef {st} fill:{fill},stroke:{stroke},stroke-width:2px{dash}{grey}")
    return "\n".join(out) + "\n"


# --- dot ------------------------------------------------------------------------------


def to_dot(diff: Diff, direction: str = "LR") -> str:
    """The change as DOT; deterministic."""
    from graphviz.quoting import quote  # type: ignore[import-untyped]

    from loopdsl.render.dot import text
    from loopdsl.render.view import ROLE_STYLES

    pic = picture(diff)
    out = ["digraph loopdsl_diff {",
           f"\tgraph [label={quote(text('Change: ' + pic.title))} labelloc=t fontsize=18 "
           f"fontname=Helvetica rankdir={direction}]",
           "\tnode [fontname=Helvetica fontsize=11 style=filled penwidth=1.5]",
           "\tedge [fontname=Helvetica fontsize=9 arrowsize=0.8]"]
    for item in pic.items:
        fill, border = COLORS[item.status]
        shape = ROLE_STYLES[item.node.role].shape if isinstance(item.node.role, Role) \
            else "ellipse"
        style = "dashed,filled" if item.status == "removed" else "filled"
        label = quote(text(f"{item.node.label}\n{_second_line(item.node)}"))
        tooltip = quote(text(f"{item.node.qualified_id}: {item.status}"))
        out.append(f"\t{item.id} [label={label} shape={shape} style={quote(style)} "
                   f"fillcolor={quote(fill)} color={quote(border)} tooltip={tooltip}]")
    if pic.folded:
        out.append(f"\tfolded [label={quote(f'… {pic.folded} unchanged nodes not shown')} "
                   'shape=note fillcolor="#FAFAFA" color="#9E9E9E"]')
    for e in pic.edges:
        color = COLORS[e.status][1]
        style = " style=dashed" if e.status == "removed" else ""
        label = f" label={quote(text(e.flow.label))}" if e.flow.label else ""
        tooltip = quote(text(f"{flow_id(e.flow)}: {e.status}"))
        out.append(f"\t{e.source} -> {e.target} [color={quote(color)}{style}{label} "
                   f"tooltip={tooltip}]")
    rows = "".join(f'<tr><td bgcolor="{COLORS[st][0]}" color="{COLORS[st][1]}" border="1">'
                   f"{word}</td></tr>" for st, word in LEGEND.items())
    out.append('\tlegend [label=<<table border="0" cellspacing="2" cellpadding="3">'
               f'<tr><td><b>Legend</b></td></tr>{rows}</table>> shape=box style=rounded '
               'color="#BDBDBD" fontsize=9]')
    out.append("}")
    return "\n".join(out) + "\n"
