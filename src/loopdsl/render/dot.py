"""Graphviz: the view as DOT (built with the ``graphviz`` package), and
SVG/PNG/PDF through the ``dot`` program.

Nodes are named by their qualified ids (``"support.drafter"``: ids are
letters, digits and ``_``, so the quotes need no escaping), which is what an
SVG's ``<title>`` then says to a screen reader; a flow's title is rewritten
to ``drafter → console``. Every user string is a quoted label with
backslashes escaped and ``<...>`` never read as an HTML label.
"""

from __future__ import annotations

import functools
import html
import re
import shutil
import subprocess

import graphviz  # type: ignore[import-untyped]

from loopdsl.model import Diagnostic, Role, Workspace
from loopdsl.printable import printable
from loopdsl.render.view import (
    FADED,
    FADED_FILL,
    ROLE_MEANINGS,
    ROLE_STYLES,
    SEVERITY_COLORS,
    TIMES,
    TRACED_KEY,
    Runs,
    View,
    ViewFlow,
    ViewIndex,
    ViewNode,
    build_view,
    flow_caption,
    ranks,
    readable_direction,
    runs_said,
)

INSTALL_HINT = (
    "Graphviz's `dot` is not installed: install it (Debian/Ubuntu: `apt-get install graphviz`; "
    "macOS: `brew install graphviz`; Windows: `winget install graphviz`) "
    "or use -f dot or -f mermaid, which need no Graphviz"
)


class GraphvizMissing(RuntimeError):
    """``dot`` is needed for this format and is not on the PATH."""


class GraphvizFailed(RuntimeError):
    """``dot`` refused the diagram (a limit of Graphviz's, say)."""


LABEL_MAX = 1000  # characters: dot refuses quoted strings over 16,384 bytes


def text(value: str) -> str:
    """A user string as a DOT label: literal backslashes, newlines as line breaks,
    cut with '…' when longer than a diagram can show (or dot can read)."""
    value = printable(value)
    if len(value) > LABEL_MAX:
        value = value[: LABEL_MAX - 1] + "…"
    label: str = graphviz.nohtml(value.replace("\\", "\\\\").replace("\n", "\\n"))
    return label


LARGE = 150  # nodes above which dot's layout passes are bounded


def to_dot(workspace: Workspace, *, loop: str | None = None,
           findings: list[Diagnostic] | None = None, direction: str = "auto",
           links: bool = False, legend: bool = True, runs: Runs | None = None,
           index: ViewIndex | None = None) -> str:
    """DOT source for the workspace (or one loop); deterministic. With
    ``links``, each node links to ``#node-<system>.<id>``, its row in the
    review document; without ``legend``, no legend (a page that shows one
    already); with ``runs``, what traced runs did drawn on it."""
    view = build_view(workspace, loop=loop, findings=findings, runs=runs, index=index)
    rank = ranks(view)
    if direction == "auto":
        direction = readable_direction(view, rank)
    g = graphviz.Digraph("loopdsl")
    g.attr("graph", rankdir=direction, label=text(view.title), labelloc="t", fontsize="18",
           fontname="Helvetica", compound="true", newrank="true", nodesep="0.4",
           ranksep="0.6")
    g.attr("node", fontname="Helvetica", fontsize="11", style="filled", penwidth="1.2")
    g.attr("edge", fontname="Helvetica", fontsize="9", arrowsize="0.8")
    if sum(len(c.nodes) for c in view.clusters) > LARGE:
        # Graphviz's network simplex and crossing minimisation grow faster than
        # the drawing (1,000 nodes: 15 s); bounded, they take under a second.
        g.attr("graph", nslimit="1", nslimit1="1", mclimit="0.1")
    several = len(view.clusters) > 1
    names = {vn.id: f'"{vn.node.qualified_id}"' for c in view.clusters for vn in c.nodes}
    for cluster in view.clusters:
        if several:
            with g.subgraph(name=f"cluster_{cluster.id}") as sub:
                sub.attr(label=text(cluster.label), style="rounded,dashed", color="#9E9E9E",
                         fontname="Helvetica", fontsize="13")
                for vn in cluster.nodes:
                    _node(sub, vn, names[vn.id], links)
        else:
            for vn in cluster.nodes:
                _node(g, vn, names[vn.id], links)
    for vf in view.flows:
        # A way back from feedback to a node ranked before it does not
        # constrain the layers: dot would otherwise break the loops' cycles
        # where its search happens to, and cross-linked loops make a chain
        # of hundreds of ranks (400 nodes: 232 ranks, 7 s; 1,000: minutes).
        against = vf.back and rank[vf.target] <= rank[vf.source]
        _flow(g, vf, names[vf.source], names[vf.target], against)
    if legend:
        _legend(g, view)
    source: str = g.source
    return source


def _attr_list(label: str | None, style: dict[str, str], tooltip: str,
               url: str | None = None) -> str:
    """What ``graphviz`` writes for ``node(label=..., tooltip=..., **style)``: the
    label, then every other attribute sorted (``tooltip`` sorts after each style
    key used here), each quoted. Built here because, on 10,000 nodes, the
    package's quoting of every name and value cost more than the rest of the
    rendering; only user text is quoted each time, style once per run."""
    head = f"label={_quote(label)} " if label is not None else ""
    tail = f" URL={_quote(url)}" if url is not None else ""
    return f" [{head}{_style(tuple(sorted(style.items())))} tooltip={_quote(tooltip)}{tail}]"


_ID = re.compile(r"([a-zA-Z_][a-zA-Z0-9_]*|-?(\.[0-9]+|[0-9]+(\.[0-9]*)?))$").match
_KEYWORDS = {"node", "edge", "graph", "digraph", "subgraph", "strict"}


def _quote(value: str) -> str:
    """What ``graphviz.quoting.quote`` makes of a string ``text`` made (never
    HTML, every backslash doubled, so every quote is unescaped): bare when a
    valid DOT ID that is no keyword, else quoted, each quote escaped. A third
    of the package's cost per call, on some 40,000 calls at 10,000 nodes."""
    if _ID(value) and value.lower() not in _KEYWORDS:
        return value
    return '"' + value.replace('"', '\\"') + '"'


@functools.cache
def _style(items: tuple[tuple[str, str], ...]) -> str:
    # loopdsl's own names and values (colours, shapes, loop classes): no
    # backslash, no HTML, so `_quote` is the package's `quote` for them
    return " ".join(f"{_quote(k)}={_quote(v)}" for k, v in items)


def _node(g: graphviz.Digraph, vn: ViewNode, name: str, links: bool) -> None:
    node = vn.node
    second = f"«{node.kind}»" if node.label == node.id else f"{node.id} «{node.kind}»"
    style = {"shape": vn.shape, "fillcolor": vn.fill, "color": vn.border}
    role = node.role.value if node.role is not None else "unknown role"
    tooltip = f"{node.qualified_id}: {node.label} ({role}, kind {node.kind})"
    if vn.shape == "box":
        style["style"] = "rounded,filled"
    if vn.visits == 0:
        style |= {"fillcolor": FADED_FILL, "color": FADED, "fontcolor": FADED,
                  "style": f"{style.get('style', 'filled')},dashed"}
    if vn.visits is not None:
        tooltip += f"\n{runs_said(vn.visits, 'visit')} in the traces"
    if vn.severity is not None:
        style |= {"color": SEVERITY_COLORS[vn.severity], "penwidth": "3"}
        tooltip = "\n".join([tooltip, *vn.messages])
    label = text(f"{node.label}\n{second}")
    # As g.node() writes it; the name is quoted already.
    url = text(f"#node-{node.qualified_id}") if links else None
    g.body.append(f"\t{name}{_attr_list(label, style, text(tooltip), url)}\n")


def _flow(g: graphviz.Digraph, vf: ViewFlow, source: str, target: str,
          against: bool) -> None:
    style = {"color": ":".join(vf.colors) if vf.colors else "#616161"}
    if against:
        style["constraint"] = "false"
    if vf.colors:
        style["penwidth"] = "1.8"
    if vf.loop_indexes:  # the SVG's edge groups carry them, for the review's loop picker
        style["class"] = " ".join(f"loop-{i}" for i in vf.loop_indexes)
    if vf.back:
        style["style"] = "dashed"
    if vf.taken == 0:
        style |= {"color": FADED, "fontcolor": FADED, "style": "dotted"}
    tooltip = f"{vf.flow.source} -> {vf.flow.target}"
    if vf.loops:
        tooltip += " (loop " + ", ".join(vf.loops) + ")"
    if vf.taken is not None:
        tooltip += f"\ntaken {runs_said(vf.taken, 'time')} in the traces"
    if vf.severity is not None:
        style |= {"color": SEVERITY_COLORS[vf.severity], "penwidth": "3",
                  "fontcolor": SEVERITY_COLORS[vf.severity]}
        tooltip = "\n".join(vf.messages)
    caption = flow_caption(vf)
    label = text(caption) if caption else None
    # As g.edge() writes it; the names are quoted, so no port syntax is read.
    g.body.append(f"\t{source} -> {target}{_attr_list(label, style, text(tooltip))}\n")


def _legend(g: graphviz.Digraph, view: View) -> None:
    """One HTML-table node, in words: what each role's colour means, each loop
    in its colour with its way back dashed in the same colour, and the
    severity colours when findings are drawn. User text in it is escaped."""
    rows = ['<tr><td colspan="2"><b>Legend</b></td></tr>']
    for role in view.roles or list(Role):
        style = ROLE_STYLES[role]
        rows.append(f'<tr><td bgcolor="{style.fill}" color="{style.border}" border="1">'
                    f'{role.value}</td><td align="left">{ROLE_MEANINGS[role]}</td></tr>')
    for name, color, alarm in view.loops:
        mark = f' <font color="{alarm}">(has findings)</font>' if alarm else ""
        rows.append(f'<tr><td><font color="{color}">━━▶ ╌╌▶</font></td>'
                    f'<td align="left">loop {html.escape(printable(name))}{mark}; dashed: '
                    "its way back from feedback</td></tr>")
    if not view.loops:
        rows.append('<tr><td><font color="#616161">╌╌▶</font></td>'
                    '<td align="left">way back from feedback</td></tr>')
    for sev in view.severities:
        rows.append(f'<tr><td><font color="{SEVERITY_COLORS[sev]}">■</font></td>'
                    f'<td align="left">outlined: has a finding of severity {sev.value}</td></tr>')
    if view.traced:
        rows.append(f'<tr><td><font color="{FADED}">┈┈▶ {TIMES}0</font></td>'
                    f'<td align="left">{TRACED_KEY}</td></tr>')
    table = ('<<table border="0" cellborder="0" cellspacing="2" cellpadding="3" '
             'color="#BDBDBD">' + "".join(rows) + "</table>>")
    g.node("legend", label=table, shape="box", style="rounded", color="#BDBDBD",
           fontsize="9")


def to_image(dot_source: str, fmt: str) -> bytes:
    """Render DOT with the ``dot`` program: ``svg``, ``png`` or ``pdf`` bytes."""
    exe = shutil.which("dot")
    if exe is None:
        raise GraphvizMissing(INSTALL_HINT)
    proc = subprocess.run([exe, f"-T{fmt}"], input=dot_source.encode("utf-8"),
                          capture_output=True, timeout=300, check=False)
    if proc.returncode != 0:
        why = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GraphvizFailed(f"Graphviz's dot could not draw the diagram: "
                             f"{why[0] if why else f'exit code {proc.returncode}'}")
    return readable_titles(proc.stdout) if fmt == "svg" else proc.stdout


_EDGE_TITLE = re.compile(rb"<title>([^<.]+)\.([^<]+?)&#45;&gt;([^<.]+)\.([^<]+?)</title>")


def readable_titles(svg: bytes) -> bytes:
    """Each flow's ``<title>`` as people read it: ``drafter → console`` inside
    a system, ``support.drafter → platform.kb`` across two."""
    def title(m: re.Match[bytes]) -> bytes:
        s1, n1, s2, n2 = m.groups()
        said = (n1 + " → ".encode() + n2) if s1 == s2 else (
            s1 + b"." + n1 + " → ".encode() + s2 + b"." + n2)
        return b"<title>" + said + b"</title>"
    return _EDGE_TITLE.sub(title, svg)


def to_svgs(dot_sources: list[str]) -> list[str]:
    """Several diagrams drawn by one run of ``dot``: one SVG document each."""
    if not dot_sources:
        return []
    out = to_image("".join(dot_sources), "svg").decode("utf-8")
    svgs = ["<?xml" + part for part in out.split("<?xml")[1:]]
    if len(svgs) != len(dot_sources):
        raise GraphvizFailed(f"Graphviz's dot drew {len(svgs)} diagrams of {len(dot_sources)}")
    return svgs
