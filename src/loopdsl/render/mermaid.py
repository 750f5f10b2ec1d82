"""Mermaid ``flowchart`` text for the view, for Markdown on GitHub and GitLab.

Node ids are synthetic; every user string is a quoted label in which ``"``,
``#``, ``<``, ``>``, ``&``, ``%``, ``{``, ``}`` and the word ``end`` are
entity codes, so no label can end a block, start a comment, smuggle in a
``%%{init}%%`` directive or inject markup.
"""

from __future__ import annotations

import itertools
import json
import re

from loopdsl.model import Diagnostic, Role, Severity, Workspace
from loopdsl.printable import printable
from loopdsl.render.view import (
    FADED,
    FADED_FILL,
    ROLE_MEANINGS,
    ROLE_STYLES,
    SEVERITY_COLORS,
    TRACED_KEY,
    Runs,
    ViewIndex,
    ViewNode,
    build_view,
    flow_caption,
    readable_direction,
)

# Mermaid's own shapes, closest to the Graphviz ones.
_SHAPES = {Role.CONTEXT: ('[/"', '"/]'), Role.MODEL: ('("', '")'),
           Role.INTERFACE: ('["', '"]'), Role.FEEDBACK: ('{{"', '"}}')}
# A backtick is coded too, so no label can close a Markdown code fence.
_ENTITIES = {'"': "#quot;", "#": "#35;", "<": "#lt;", ">": "#gt;", "&": "#amp;",
             "\\": "#92;", "`": "#96;", "%": "#37;", "{": "#123;", "}": "#125;"}
_SPECIAL = re.compile(r'["#<>&\\`%{}]|end|\r\n|\r|\n')


def text(value: str) -> str:
    """A user string for inside a quoted Mermaid label."""
    def one(m: re.Match[str]) -> str:
        found = m.group()
        if found == "end":
            return "#101;nd"
        if found in _ENTITIES:
            return _ENTITIES[found]
        return "<br/>"

    return _SPECIAL.sub(one, printable(value))


# Mermaid draws the title as it is (no entity codes there): markup and backticks,
# which would read as HTML or close a Markdown fence, become look-alikes
# (single angle quotes, a turned comma).
_TITLE = str.maketrans({"<": "\u2039", ">": "\u203a", "`": "\u02bb"})


def _title(value: str) -> str:
    return printable(value).replace("\n", " ").translate(_TITLE)


def node_shape(role: Role | None) -> tuple[str, str]:
    """The brackets that give a node of this role its shape."""
    return _SHAPES.get(role, ('["', '"]')) if role else ('["', '"]')


def to_mermaid(workspace: Workspace, *, loop: str | None = None,
               findings: list[Diagnostic] | None = None, direction: str = "auto",
               legend: bool = True, runs: Runs | None = None,
               index: ViewIndex | None = None) -> str:
    """A Mermaid flowchart for the workspace (or one loop); deterministic.
    ``direction`` ``auto`` is ``readable_direction``'s choice; without
    ``legend``, no legend (a page that shows one already); with ``runs``,
    what traced runs did drawn on it."""
    view = build_view(workspace, loop=loop, findings=findings, runs=runs, index=index)
    if direction == "auto":
        direction = readable_direction(view)
    # The title lives in YAML front matter, where a JSON string is a valid scalar.
    out = [f"---\ntitle: {json.dumps(_title(view.title))}\n---", f"flowchart {direction}"]
    several = len(view.clusters) > 1
    for cluster in view.clusters:
        indent = "    " if several else "  "
        if several:
            out.append(f'  subgraph {cluster.id}["{text(cluster.label)}"]')
        out += [indent + _node(vn) for vn in cluster.nodes]
        if several:
            out.append("  end")
    out += [f"  class {vn.id} faded" for cluster in view.clusters for vn in cluster.nodes
            if vn.visits == 0]
    out += [f"  class {vn.id} finding_{vn.severity.value}" for cluster in view.clusters
            for vn in cluster.nodes if vn.severity is not None]
    link_styles = []
    for i, vf in enumerate(view.flows):
        arrow = "-.->" if vf.back else "-->"
        caption = flow_caption(vf)
        label = f'|"{text(caption)}"|' if caption else ""
        out.append(f"  {vf.source} {arrow}{label} {vf.target}")
        if vf.severity is not None:
            link_styles.append(f"  linkStyle {i} stroke:{SEVERITY_COLORS[vf.severity]},"
                               "stroke-width:3px")
        elif vf.taken == 0:
            link_styles.append(f"  linkStyle {i} stroke:{FADED},stroke-dasharray:2 3")
        elif vf.colors:
            link_styles.append(f"  linkStyle {i} stroke:{vf.colors[0]},stroke-width:2px")
    out += link_styles
    if legend:
        out += _legend(view.roles, view.loops, view.severities, view.traced)
    for role in Role:
        style = ROLE_STYLES[role]
        out.append(f"  classDef {role.value} fill:{style.fill},stroke:{style.border}")
    out.append("  classDef unknown fill:#F5F5F5,stroke:#757575")
    if view.traced:
        out.append(f"  classDef faded fill:{FADED_FILL},stroke:{FADED},color:{FADED},"
                   "stroke-dasharray:4 3")
    for sev, color in SEVERITY_COLORS.items():
        out.append(f"  classDef finding_{sev.value} stroke:{color},stroke-width:3px")
    return "\n".join(out) + "\n"


def _node(vn: ViewNode) -> str:
    node = vn.node
    open_, close = node_shape(node.role)
    second = f"«{node.kind}»" if node.label == node.id else f"{node.id} «{node.kind}»"
    label = f"{text(node.label)}<br/><small>{text(second)}</small>"
    css = node.role.value if node.role else "unknown"
    return f"{vn.id}{open_}{label}{close}:::{css}"


def _legend(roles: list[Role], loops: list[tuple[str, str, str]],
            severities: list[Severity], traced: bool) -> list[str]:
    """The legend's rows, in this order: roles, loops, the way back, the
    severity colours the diagram shows; chained by invisible links, so that
    Mermaid lays them out top to bottom in that order."""
    out = ['  subgraph legend["Legend"]', "    direction TB"]
    rows = []
    for role in roles or list(Role):
        open_, close = _SHAPES[role]
        rows.append(f"legend_{role.value}")
        out.append(f"    legend_{role.value}{open_}{role.value}: {ROLE_MEANINGS[role]}"
                   f"{close}:::{role.value}")
    for i, (name, color, alarm) in enumerate(loops):
        # The loop keeps its own colour; findings show in the text colour.
        note = " (has findings)" if alarm else ""
        rows.append(f"legend_loop{i}")
        out.append(f'    legend_loop{i}["━━▶ ╌╌▶ loop {text(name)}{note}"]')
        out.append(f"    style legend_loop{i} fill:#FFFFFF,stroke:{color},stroke-width:2px"
                   + (f",color:{alarm}" if alarm else ""))
    rows.append("legend_back")
    out.append('    legend_back["╌╌▶ dashed: the way back from feedback"]')
    out.append("    style legend_back fill:#FFFFFF,stroke:#BDBDBD")
    for sev in severities:
        rows.append(f"legend_{sev.value}")
        out.append(f'    legend_{sev.value}["outlined: has a finding of severity {sev.value}"]'
                   f":::finding_{sev.value}")
    if traced:
        rows.append("legend_traced")
        out.append(f'    legend_traced["{text(TRACED_KEY)}"]:::faded')
    out += [f"    {a} ~~~ {b}" for a, b in itertools.pairwise(rows)]
    out.append("  end")
    return out
