"""Design-review documents: what a review meeting reads, as Markdown (the
diagram as a Mermaid block) or one self-contained HTML file (inline SVG and
CSS, no script, no network). ``build_review`` gathers the facts; the
templates beside this module lay them out; nothing here writes files."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from loopdsl.graph import FlowGraph
from loopdsl.loops import loop_status
from loopdsl.model import Diagnostic, Loop, Role, Severity, System, Workspace
from loopdsl.paths import from_root
from loopdsl.printable import plain
from loopdsl.vocabulary import number

if TYPE_CHECKING:
    from loopdsl.linter.registry import Registry
    from loopdsl.render.view import Runs


LOOP_DIAGRAMS = 24  # loops drawn on their own; more would make the page the size of
# the workspace times its loops


@dataclass(slots=True)
class LoopFacts:
    id: str
    label: str
    cycle: str  # a -> b -> c -> a, or "" when the loop does not close
    closes: bool
    learns: bool  # a cycle passes through feedback
    bound: str  # max_iterations, or ""
    latency: str  # "1270 ms", or ""
    budget: str  # "2000 ms", or ""
    over_budget: bool
    cost: str  # "0.004 USD per turn", or ""
    worst: str = ""  # latency x max_iterations: "255000 ms", or ""
    worst_over_budget: bool = False
    mermaid: str = ""  # the loop's own diagram (the first LOOP_DIAGRAMS loops)
    svg: str | None = None  # and as Graphviz SVG, for HTML


@dataclass(slots=True)
class NodeFacts:
    id: str
    label: str
    kind: str
    attributes: list[tuple[str, str]]


@dataclass(slots=True)
class SystemFacts:
    id: str
    label: str
    owner: str
    description: str
    file: str
    loops: list[LoopFacts]
    roles: list[tuple[str, list[NodeFacts]]]  # role name -> nodes
    flows: list[tuple[str, str, str, str]]  # source, target, label, loops


@dataclass(slots=True)
class CheckItem:
    code: str
    name: str
    summary: str
    findings: int
    references: list[tuple[str, str]] = field(default_factory=list)  # (id, url)


@dataclass(slots=True)
class LoopCost:
    """One loop at its bound: what it costs and how long it takes."""

    id: str
    label: str
    per_turn: str  # "0.03 USD"
    turns: str  # "10", or "1 (no bound)"
    worst: str  # "0.3 USD"
    latency: str  # worst latency at the bound, "" when not stated
    budget: str  # "", or "0.25 USD"
    over: bool


@dataclass(slots=True)
class SystemCost:
    id: str
    label: str
    loops: list[LoopCost]
    daily: str  # "", or "60 USD a day at 200 runs"
    budget: str  # "", or "50 USD a day"
    over: bool


@dataclass(slots=True)
class Risk:
    """A risk finding and the paths that break its rule, node by node."""

    finding: Diagnostic
    paths: list[list[str]]


@dataclass(slots=True)
class Review:
    title: str
    systems: list[SystemFacts]
    findings: dict[str, list[Diagnostic]]  # severity -> findings, worst first
    checklist: list[CheckItem]
    files: list[str]
    mermaid: str
    svg: str | None = None  # Graphviz SVG for HTML, when dot is available
    notes: list[str] = field(default_factory=list)
    loop_menu: list[tuple[str, str]] = field(default_factory=list)  # (SVG class, name)
    version: str | None = None  # set by `loopdsl serve`: the page then follows saves
    problems: list[Diagnostic] = field(default_factory=list)  # LD001s over the last good page
    costs: list[SystemCost] = field(default_factory=list)  # systems that state a cost
    risks: list[Risk] = field(default_factory=list)  # LD501-LD506 findings


# The risk and cost rules, whose findings the "Risks and cost" section lists.
RISK_CODES = frozenset(f"LD50{n}" for n in range(1, 7))


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    return str(v)


def _loop_facts(loop: Loop, graph: FlowGraph) -> LoopFacts:
    status = loop_status(loop, graph)
    cycle = " → ".join(q.split(".", 1)[1] if q.startswith(loop.system + ".") else q
                       for q in status.cycle)
    bound = loop.attributes.get("max_iterations")
    return LoopFacts(
        id=loop.id, label=loop.label, cycle=cycle, closes=status.closes,
        learns=status.learns, bound=_value(bound) if bound is not None else "",
        latency=f"{plain(status.latency_ms)} ms" if status.latency_ms else "",
        budget=f"{plain(status.budget_ms)} ms" if status.budget_ms is not None else "",
        over_budget=status.over_budget,
        cost=f"{plain(status.cost_usd)} USD per turn" if status.cost_usd else "",
        worst=f"{plain(status.worst_ms)} ms" if status.worst_ms is not None else "",
        worst_over_budget=status.worst_over_budget,
    )


def _system_facts(system: System, graph: FlowGraph, file: str) -> SystemFacts:
    roles = []
    for role in [*Role, None]:
        nodes = [NodeFacts(n.id, n.label, n.kind,
                           [(k, _value(v)) for k, v in n.attributes.items()])
                 for n in system.nodes if n.role == role]
        if nodes:
            roles.append((role.value if role else "unknown kind", nodes))
    holders: dict[tuple[str, str], list[str]] = {}
    for loop in system.loops:
        for key in loop.flows:
            holders.setdefault(key, []).append(loop.id)

    def short(q: str) -> str:
        return q.split(".", 1)[1] if q.startswith(system.id + ".") else q

    flows = [(short(f.source), short(f.target), f.label or "",
              ", ".join(holders.get(f.key, []))) for f in system.flows]
    return SystemFacts(
        id=system.id, label=system.label, owner=_value(system.attributes.get("owner", "")),
        description=_value(system.attributes.get("description", "")), file=file,
        loops=[_loop_facts(lp, graph) for lp in system.loops], roles=roles, flows=flows,
    )


def _costs(system: System, graph: FlowGraph) -> SystemCost | None:
    """What the system's loops cost at their bounds, and a day of runs; None
    when nothing in it states a cost or a budget."""
    loops, total = [], Decimal(0)
    for lp in system.loops:
        status = loop_status(lp, graph)
        total += status.worst_usd
        if not status.cost_usd and status.budget_usd is None:
            continue
        loops.append(LoopCost(
            id=lp.id, label=lp.label, per_turn=f"{plain(status.cost_usd)} USD",
            turns=str(status.bound) if status.bound else "1 (no bound)",
            worst=f"{plain(status.worst_usd)} USD",
            latency=f"{plain(status.worst_ms)} ms" if status.worst_ms is not None else "",
            budget=f"{plain(status.budget_usd)} USD" if status.budget_usd is not None else "",
            over=status.over_cost_budget))
    runs, budget = (number(system.attributes.get(k)) for k in ("runs_per_day", "budget_usd"))
    if not loops and runs is None and budget is None:
        return None
    daily = Decimal(str(runs)) * total if runs is not None else None
    return SystemCost(
        id=system.id, label=system.label, loops=loops,
        daily=f"{plain(daily)} USD a day at {plain(runs)} runs" if daily is not None
        and runs is not None else "",
        budget=f"{plain(budget)} USD a day" if budget is not None else "",
        over=daily is not None and budget is not None and daily > Decimal(str(budget)))


def _risk(d: Diagnostic) -> Risk:
    """The finding, with its paths read from its related locations."""
    from loopdsl.linter.checks.risks import PATH_STEP

    paths: dict[str, list[str]] = {}
    for rel in d.related:
        if rel.message.startswith(PATH_STEP):
            n, _, node = rel.message.removeprefix(PATH_STEP).partition(": ")
            paths.setdefault(n, []).append(node)
    return Risk(d, list(paths.values()))


def _drawn_loops(systems: list[SystemFacts]) -> list[tuple[str, LoopFacts]]:
    return [(s.id, lp) for s in systems for lp in s.loops][:LOOP_DIAGRAMS]


def draw(review: Review, workspace: Workspace, findings: list[Diagnostic],
         direction: str = "auto", runs: Runs | None = None,
         drawn: dict[str, str] | None = None) -> None:
    """Graphviz SVGs for the HTML page, by one run of ``dot``: the workspace's
    and each drawn loop's (the page's first diagram has the legend), nodes
    linked to their rows. ``drawn`` maps DOT sources drawn before to their
    SVGs: only the others are drawn, and it is left holding this page's.
    Raises ``GraphvizMissing`` or ``GraphvizFailed``."""
    from loopdsl.render.dot import to_dot, to_svgs
    from loopdsl.render.view import ViewIndex

    loops = _drawn_loops(review.systems)
    index = ViewIndex(workspace, findings)
    sources = [to_dot(workspace, findings=findings, direction=direction, links=True, runs=runs,
                      index=index)]
    sources += [to_dot(workspace, loop=f"{system}.{lp.id}", findings=findings,
                       direction=direction, links=True, legend=False, runs=runs, index=index)
                for system, lp in loops]
    known = drawn if drawn is not None else {}
    new = list(dict.fromkeys(src for src in sources if src not in known))
    fresh = dict(zip(new, to_svgs(new), strict=True))
    svgs = [known[src] if src in known else fresh[src] for src in sources]
    if drawn is not None:
        drawn.clear()
        drawn.update(zip(sources, svgs, strict=True))
    review.svg = svgs[0]
    for (_, lp), svg in zip(loops, svgs[1:], strict=True):
        lp.svg = svg


def build_review(workspace: Workspace, findings: list[Diagnostic],
                 registry: Registry | None = None, *, direction: str = "auto",
                 root: Path | None = None, runs: Runs | None = None,
                 mermaid: bool = True) -> Review:
    """Everything the document says, computed once for both formats; the
    checklist holds the rules the registry runs (default: the default ones);
    ``runs``: what traced runs did, drawn on the diagrams; without
    ``mermaid``, no Mermaid source (an HTML page draws SVGs, and
    ``add_mermaid`` gives its overview when Graphviz is missing)."""
    from loopdsl.linter.registry import build

    graph = FlowGraph(workspace)
    by_severity = {sev.value: [d for d in findings if d.severity == sev] for sev in Severity}
    counts: dict[str, int] = {}
    for d in findings:
        counts[d.code] = counts.get(d.code, 0) + 1
    checklist = [CheckItem(r.code, r.name, r.summary, counts.get(r.code, 0),
                           [(ref.id, ref.url) for ref in r.spec.references])
                 for r in (registry or build()).running()]
    title = " / ".join(s.label for s in workspace.systems) or "Empty workspace"
    systems = [_system_facts(s, graph, from_root(s.file, root)) for s in workspace.systems]
    review = Review(
        title=f"Design review: {title}",
        systems=systems,
        findings={k: v for k, v in by_severity.items() if v},
        checklist=checklist,
        files=[from_root(f.path, root) for f in workspace.files],
        mermaid="",
        loop_menu=[(f"loop-{i}", f"{lp.system}.{lp.id}: {lp.label}")
                   for i, lp in enumerate(workspace.loops())],
        costs=[c for s in workspace.systems if (c := _costs(s, graph)) is not None],
        risks=[_risk(d) for d in sorted(findings, key=lambda d: d.sort_key)
               if d.code in RISK_CODES],
    )
    if mermaid:
        add_mermaid(review, workspace, findings, direction, runs)
    return review


def add_mermaid(review: Review, workspace: Workspace, findings: list[Diagnostic],
                direction: str = "auto", runs: Runs | None = None, *,
                loops: bool = True) -> None:
    """The Mermaid source of the overview and (with ``loops``) of each
    drawn loop's own diagram."""
    from loopdsl.render.mermaid import to_mermaid
    from loopdsl.render.view import ViewIndex

    index = ViewIndex(workspace, findings)
    review.mermaid = to_mermaid(workspace, findings=findings, direction=direction, runs=runs,
                                index=index)
    for system, facts in _drawn_loops(review.systems) if loops else ():
        facts.mermaid = to_mermaid(workspace, loop=f"{system}.{facts.id}", findings=findings,
                                   direction=direction, legend=False, runs=runs, index=index)
