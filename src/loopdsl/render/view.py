"""What a diagram shows, decided once for every format: which nodes and
flows, their synthetic ids, each loop's colour, which flows go back from
feedback, and where the findings are. Renderers only lay it out."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from loopdsl.model import Diagnostic, Flow, Kind, Loop, Node, Role, Severity, Workspace
from loopdsl.printable import plain
from loopdsl.vocabulary import is_number, is_positive_integer


class ViewError(ValueError):
    """The requested view does not exist (an unknown ``--loop``)."""


# Colour-blind-safe palette (Okabe-Ito, then Tableau) for loops, in order.
LOOP_COLORS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9",
               "#8C564B", "#7F7F7F", "#BCBD22", "#17BECF"]
SEVERITY_COLORS = {Severity.ERROR: "#C62828", Severity.WARNING: "#EF6C00",
                   Severity.INFO: "#1565C0"}
# With traces: what no run visited or took, faded.
FADED, FADED_FILL = "#9E9E9E", "#FAFAFA"
TIMES = "\u00d7"  # the multiplication sign, before a flow's count of times taken
TRACED_KEY = f"faded: no run in the traces visited it or took it; {TIMES}N: times taken"


@dataclass(frozen=True, slots=True)
class RoleStyle:
    shape: str  # a Graphviz shape
    fill: str
    border: str


# What each role means, in the legend's words.
ROLE_MEANINGS = {
    Role.CONTEXT: "information for a model",
    Role.MODEL: "infers: an LLM call, a classifier",
    Role.INTERFACE: "where output meets people or systems",
    Role.FEEDBACK: "a signal about outcomes",
}

ROLE_STYLES = {
    Role.CONTEXT: RoleStyle("note", "#E3F2FD", "#1565C0"),
    Role.MODEL: RoleStyle("box", "#FFF8E1", "#FF8F00"),
    Role.INTERFACE: RoleStyle("component", "#E8F5E9", "#2E7D32"),
    Role.FEEDBACK: RoleStyle("hexagon", "#FCE4EC", "#AD1457"),
}
UNKNOWN_STYLE = RoleStyle("ellipse", "#F5F5F5", "#757575")

# Kinds may set `shape` and `color`; only these values reach a renderer.
SHAPES = {"box", "rect", "rectangle", "square", "ellipse", "oval", "circle", "note", "tab",
          "folder", "box3d", "component", "cylinder", "hexagon", "octagon", "diamond",
          "parallelogram", "trapezium", "house", "invhouse", "doublecircle", "star"}
_COLOR = re.compile(r"^(#[0-9A-Fa-f]{6}|[a-z]{3,20})$")


@dataclass(frozen=True, slots=True)
class Runs:
    """What runs did, to draw on the design (``--traces``): for the systems
    the traces hold runs of, each node's visits, each flow's count of times
    taken, and each loop's observed turns and latency in words."""

    systems: frozenset[str]
    visits: dict[str, int]  # node qualified id -> visits
    taken: dict[tuple[str, str], int]  # flow key -> times taken
    loops: dict[str, str]  # "system.loop" -> "observed in 6 runs: turns p50 1, max 2; ..."


@dataclass(slots=True)
class ViewNode:
    id: str  # synthetic: n0, n1, ...
    node: Node
    shape: str
    fill: str
    border: str
    severity: Severity | None = None
    messages: list[str] = field(default_factory=list)
    visits: int | None = None  # with traces: how often runs visited it


@dataclass(slots=True)
class ViewFlow:
    source: str  # synthetic ids
    target: str
    flow: Flow
    colors: list[str]  # one per loop holding it; empty: in no loop
    loops: list[str]
    back: bool  # leaves a feedback node: the way back of a loop
    severity: Severity | None = None
    loop_indexes: list[int] = field(default_factory=list)  # positions in View.loops
    messages: list[str] = field(default_factory=list)
    taken: int | None = None  # with traces: how often runs took it


@dataclass(slots=True)
class ViewCluster:
    id: str  # synthetic: c0, c1, ...
    label: str
    nodes: list[ViewNode]
    system: str = ""  # its id


@dataclass(slots=True)
class View:
    title: str
    clusters: list[ViewCluster]  # one per system; drawn as clusters when several
    flows: list[ViewFlow]
    loops: list[tuple[str, str, str]]  # (name, colour, severity colour or "")
    roles: list[Role]  # roles present, for the legend
    severities: list[Severity] = field(default_factory=list)  # marked, for the legend
    traced: bool = False  # drawn with what runs did: the legend says how


def _worst(current: Severity | None, new: Severity) -> Severity:
    return new if current is None or new.rank > current.rank else current


def _kind_style(kinds: dict[str, Kind], node: Node) -> RoleStyle:
    base = ROLE_STYLES.get(node.role, UNKNOWN_STYLE) if node.role else UNKNOWN_STYLE
    shape, fill = base.shape, base.fill
    kind, seen = node.kind, set()
    while kind in kinds and kind not in seen:  # the nearest kind that sets it wins
        seen.add(kind)
        attrs = kinds[kind].attributes
        s, c = attrs.get("shape"), attrs.get("color")
        if shape == base.shape and isinstance(s, str) and s in SHAPES:
            shape = s
        if fill == base.fill and isinstance(c, str) and _COLOR.match(c):
            fill = c
        kind = kinds[kind].base
    return RoleStyle(shape, fill, base.border)


class ViewIndex:
    """What every view of one workspace and its findings shares, computed
    once: a page that draws the overview and each loop builds one and passes
    it to each (a loop's view then costs its own nodes and flows, not the
    workspace's)."""

    def __init__(self, workspace: Workspace, findings: list[Diagnostic] | None) -> None:
        self.loops = workspace.loops()
        self.flows = workspace.flows()
        self.flow_order = {f.key: i for i, f in enumerate(self.flows)}
        self.by_element: dict[str, list[Diagnostic]] = {}
        for d in findings or []:
            if d.element:
                self.by_element.setdefault(d.element, []).append(d)
        # A loop's colour (and class) follows from its place among all the
        # workspace's loops: the same in the overview, its own diagram and `--loop`.
        self.position = {(lp.system, lp.id): i for i, lp in enumerate(self.loops)}
        self.colors = {key: LOOP_COLORS[i % len(LOOP_COLORS)]
                       for key, i in self.position.items()}
        self.nodes = {n.qualified_id: (i, n) for i, n in
                      enumerate(n for s in workspace.systems for n in s.nodes)}
        self.labels = {s.id: s.label for s in workspace.systems}
        self.kinds = {k.name: k for k in workspace.kinds}
        self.styles: dict[str, RoleStyle] = {}  # by kind: a node's style follows from it


def build_view(workspace: Workspace, *, loop: str | None = None,
               findings: list[Diagnostic] | None = None, runs: Runs | None = None,
               index: ViewIndex | None = None) -> View:
    """The diagram's content; ``loop`` (``id`` or ``system.id``) keeps one loop;
    ``runs``: what traced runs did, drawn on the systems they were compared
    with; ``index``: the workspace's, built with the same findings, shared by
    several views."""
    ix = index if index is not None else ViewIndex(workspace, findings)
    all_loops, flows = ix.loops, ix.flows
    title = " / ".join(s.label for s in workspace.systems) or "loopdsl"
    if loop is None:
        nodes = [n for _, n in ix.nodes.values()]
    else:
        chosen = [lp for lp in all_loops if loop in (lp.id, f"{lp.system}.{lp.id}")]
        if len(chosen) != 1:
            names = ", ".join(f"{lp.system}.{lp.id}" for lp in all_loops) or "none"
            why = "is ambiguous" if chosen else "does not exist"
            raise ViewError(f"loop '{loop}' {why} (loops: {names})")
        keys = sorted({k for k in chosen[0].flows if k in ix.flow_order},
                      key=ix.flow_order.__getitem__)
        flows = [flows[ix.flow_order[k]] for k in keys]
        all_loops = chosen
        title = chosen[0].label
        touched = {q for f in flows for q in f.key if q in ix.nodes}
        nodes = [n for _, n in sorted(ix.nodes[q] for q in touched)]
    by_element = ix.by_element

    ids: dict[str, str] = {}
    clusters: list[ViewCluster] = []
    for node in nodes:  # in system order, then the order of the nodes in it
        style = ix.styles.get(node.kind)
        if style is None:
            style = ix.styles[node.kind] = _kind_style(ix.kinds, node)
        vn = ViewNode(f"n{len(ids)}", node, style.shape, style.fill, style.border)
        if runs is not None and node.system in runs.systems and not node.external:
            vn.visits = runs.visits.get(node.qualified_id, 0)
        for d in by_element.get(f"node:{node.qualified_id}", []) if by_element else ():
            vn.severity = _worst(vn.severity, d.severity)
            vn.messages.append(f"{d.code} {d.message}")
        ids[node.qualified_id] = vn.id
        if not clusters or clusters[-1].system != node.system:
            clusters.append(ViewCluster(f"c{len(clusters)}", ix.labels[node.system], [],
                                        node.system))
        clusters[-1].nodes.append(vn)

    position, colors = ix.position, ix.colors
    holders: dict[tuple[str, str], list[Loop]] = {}
    for lp in all_loops:
        for key in lp.flows:
            holders.setdefault(key, []).append(lp)
    roles = {n.node.qualified_id: n.node.role for c in clusters for n in c.nodes}
    # the nodes traces can show (an external node's flows are not counted)
    traced = {n.node.qualified_id for c in clusters for n in c.nodes if n.visits is not None}
    view_flows = []
    for f in flows:
        if f.source not in ids or f.target not in ids:
            continue
        held = holders.get(f.key, [])
        vf = ViewFlow(ids[f.source], ids[f.target], f,
                      [colors[(lp.system, lp.id)] for lp in held], [lp.id for lp in held],
                      roles.get(f.source) == Role.FEEDBACK,
                      loop_indexes=[position[(lp.system, lp.id)] for lp in held])
        if runs is not None and f.system in runs.systems and traced.issuperset(f.key):
            vf.taken = runs.taken.get(f.key, 0)
        for d in by_element.get(f"flow:{f.source}->{f.target}", []) if by_element else ():
            vf.severity = _worst(vf.severity, d.severity)
            vf.messages.append(f"{d.code} {d.message}")
        view_flows.append(vf)

    loop_rows = []
    loop_severities: set[Severity] = set()
    for lp in all_loops:
        worst: Severity | None = None
        for d in by_element.get(f"loop:{lp.system}.{lp.id}", []):
            worst = _worst(worst, d.severity)
        name = lp.label if lp.label == lp.id else f"{lp.label} ({lp.id})"
        bound, budget = lp.attributes.get("max_iterations"), lp.attributes.get("budget_ms")
        if is_positive_integer(bound):
            name += f" · at most {bound} turns"
        if is_number(budget):
            name += f" · budget {plain(budget)} ms"
        if runs is not None and f"{lp.system}.{lp.id}" in runs.loops:
            name += f" · {runs.loops[f'{lp.system}.{lp.id}']}"
        loop_rows.append((name, colors[(lp.system, lp.id)],
                          SEVERITY_COLORS[worst] if worst else ""))
        if worst is not None:
            loop_severities.add(worst)
    present = {n.node.role for c in clusters for n in c.nodes if n.node.role}
    # Every severity colour the diagram shows gets a key: on nodes, on flows,
    # and on the loops' rows in the legend.
    marked = sorted({x.severity for c in clusters for x in c.nodes if x.severity}
                    | {f.severity for f in view_flows if f.severity} | loop_severities,
                    key=lambda sev: -sev.rank)
    return View(title, clusters, view_flows, loop_rows, [r for r in Role if r in present],
                marked, traced=runs is not None)


def flow_caption(vf: ViewFlow) -> str | None:
    """A flow's label, and with traces how often runs took it (``TIMES`` 3)."""
    parts = [vf.flow.label] if vf.flow.label else []
    if vf.taken is not None:
        parts.append(f"{TIMES}{vf.taken}")
    return " ".join(parts) or None


def runs_said(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


# --- direction ----------------------------------------------------------------------

PAGE = 4 / 3  # the shape a reader's screen or page has, width over height


def ranks(view: View) -> dict[str, int]:
    """Each node's rank as a layered layout would give it, estimated in
    linear time: breadth-first from the nodes no flow enters, then from those
    no forward flow enters; a way back from feedback ranks only what nothing
    else reaches, as Graphviz lays the rest against the flow."""
    order = [vn.id for cluster in view.clusters for vn in cluster.nodes]
    forward: dict[str, list[str]] = {n: [] for n in order}
    entered: set[str] = set()  # by a forward flow
    reached: set[str] = set()  # by any flow
    for vf in view.flows:
        if vf.source != vf.target:
            reached.add(vf.target)
            if not vf.back:
                forward[vf.source].append(vf.target)
                entered.add(vf.target)
    # A way back from feedback starts no rank of its own, but what only it
    # reaches (an approval's action) is ranked after the feedback, as dot does.
    for vf in view.flows:
        if vf.back and vf.source != vf.target:
            forward[vf.source].append(vf.target)
    # Start where no flow at all enters; then, for closed loops, where no
    # forward flow enters (their ways back are left out).
    rank: dict[str, int] = {}
    for starts in ([n for n in order if n not in reached],
                   [n for n in order if n not in entered], order[:1]):
        queue = [n for n in starts if n not in rank]
        rank.update((n, 0) for n in queue)
        for n in queue:  # grows as it goes: breadth first
            for m in forward[n]:
                if m not in rank:
                    rank[m] = rank[n] + 1
                    queue.append(m)
    last = max(rank.values(), default=-1) + 1
    for n in order:  # only on cycles that no way back breaks: a rank of their own
        rank.setdefault(n, last)
    return rank


def readable_direction(view: View, rank: dict[str, int] | None = None) -> str:
    """``LR`` unless left-to-right would be much wider than tall and top-to-
    bottom comes nearer a page's shape; then ``TB``. The sizes are estimated
    from ``ranks`` (``rank``, when computed already) and the labels' lengths,
    in linear time, without running Graphviz."""
    nodes = {vn.id: vn for cluster in view.clusters for vn in cluster.nodes}
    if not nodes:
        return "LR"
    rank = ranks(view) if rank is None else rank
    widths: dict[int, list[float]] = {}
    for n, r in rank.items():
        node = nodes[n].node
        chars = max(len(node.label), len(node.id) + len(node.kind) + 3)
        widths.setdefault(r, []).append(max(0.75, 0.085 * chars + 0.3))  # inches, 11 pt
    height, rank_gap, node_gap = 0.6, 0.6, 0.4
    # The legend is one more box beside the first rank: as wide as its
    # longest loop row (9 pt), a line per role and per loop.
    if view.loops:
        longest = max(len(name) for name, _, _ in view.loops)
        widths[min(widths)].append(1.2 + 0.065 * longest)
    lr = (sum(max(w) + rank_gap for w in widths.values()),
          max(len(w) * (height + node_gap) for w in widths.values()))
    tb = (max(sum(w) + node_gap * len(w) for w in widths.values()),
          len(widths) * (height + rank_gap))
    lr_aspect, tb_aspect = lr[0] / lr[1], tb[0] / tb[1]
    # Up to three ranks the legend, as tall as the picture, keeps it in shape.
    wide = len(widths) > 3 and lr_aspect > 2 * PAGE
    nearer = abs(math.log(tb_aspect / PAGE)) < abs(math.log(lr_aspect / PAGE))
    return "TB" if wide and nearer else "LR"
