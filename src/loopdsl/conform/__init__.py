"""A system of the design against traces of real runs: LD401-LD406, and the
observed figures the report shows.

Pure once the spans are read (``loopdsl.conform.traces``); what the runs did
is counted by ``loopdsl.conform.observe``. Findings point into the design:
LD401 and LD406 at a node's id, LD402 at the system's id, LD403 at a flow's
source reference, LD404 and LD405 at a loop's id.
"""

from __future__ import annotations

import math
from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from loopdsl.conform.observe import Observed, observe
from loopdsl.conform.traces import Span
from loopdsl.diagnostics import reported
from loopdsl.model import Diagnostic, Role, System
from loopdsl.printable import plain
from loopdsl.vocabulary import is_positive_integer, number


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True, slots=True)
class Conformed:
    findings: list[Diagnostic]
    observed: Observed
    report: dict[str, Any]


def conform(system: System, runs: Iterable[list[Span]]) -> Conformed:
    """LD401-LD406 of ``system`` against ``runs`` (each the spans of one trace
    id), at their default severities, in source order, and the report's
    figures."""
    code_names = {n.code_name: n.qualified_id for n in system.nodes}
    entries = {lp.id: lp.flows[0][0] for lp in system.loops if lp.flows}
    bounds = {lp.id: b for lp in system.loops
              if is_positive_integer(b := lp.attributes.get("max_iterations"))}
    obs = observe(runs, code_names, system.id, entries, bounds)
    findings: list[Diagnostic] = []
    if obs.runs:
        findings = _findings(system, obs, bounds)
    return Conformed(sorted(findings, key=lambda d: d.sort_key), obs,
                     _report(system, obs, bounds))


def _short(qid: str, system: System) -> str:
    return qid.split(".", 1)[1] if qid.startswith(system.id + ".") else qid


def _findings(system: System, obs: Observed, bounds: dict[str, int]) -> list[Diagnostic]:
    out = []
    nodes = {n.qualified_id: n for n in system.nodes}
    visited = set(obs.durations)
    for node in system.nodes:
        q = node.qualified_id
        if q in visited or node.external:
            continue
        closing = ""
        if node.role == Role.FEEDBACK:
            loops = [lp.id for lp in system.loops if any(q in key for key in lp.flows)]
            if loops:
                closing = (f"; so loop{'s' if len(loops) > 1 else ''} "
                           f"{', '.join(loops)} never close{'s' if len(loops) == 1 else ''} "
                           "in practice")
        out.append(reported("LD401", node.span, element=q, id=node.id,
                            what=node.role or node.kind, closing=closing))
    flows = {f.key for f in system.flows}
    out_of: dict[str, list[str]] = defaultdict(list)
    for s, t in flows:
        out_of[s].append(t)
    for a, b in sorted(obs.transitions):
        if a == b or a not in nodes or b not in nodes or (a, b) in flows:
            continue
        if _unvisited_path(a, b, out_of, visited):
            continue
        runs = obs.runs_with[(a, b)]
        out.append(reported(
            "LD402", system.span, element=f"{system.id}:{_short(a, system)}->"
            f"{_short(b, system)}", source=_short(a, system), target=_short(b, system),
            runs=runs, plural="s" if runs != 1 else "", trace=obs.example[(a, b)],
            system=system.id))
    for f in system.flows:
        if f.source in visited and f.target in visited and not obs.transitions.get(f.key):
            out.append(reported("LD403", f.span, element=f"{f.source}->{f.target}",
                                flow=f"{_short(f.source, system)} -> "
                                     f"{_short(f.target, system)}"))
    for lp in system.loops:
        figures = obs.loops.get(lp.id)
        if figures is None or not figures.runs:
            continue
        bound = bounds.get(lp.id)
        if bound is not None and figures.over_bound:
            most, trace = figures.worst
            out.append(reported("LD404", lp.span, element=f"loop:{lp.system}.{lp.id}",
                                id=lp.id, bound=bound, turns=most, trace=trace,
                                runs=figures.over_bound,
                                plural="s" if figures.over_bound != 1 else ""))
        budget = number(lp.attributes.get("budget_ms"))
        if budget is not None and figures.latencies:
            p95 = percentile(figures.latencies, 95)
            if p95 > budget:
                out.append(reported("LD405", lp.span, element=f"loop:{lp.system}.{lp.id}",
                                    id=lp.id, p95=plain(round(p95, 3)), budget=plain(budget)))
    for node in system.nodes:
        declared = number(node.attributes.get("latency_ms"))
        durations = obs.durations.get(node.qualified_id)
        if declared is None or not durations:
            continue
        median = percentile(durations, 50)
        if median > 2 * declared:
            out.append(reported("LD406", node.span, element=node.qualified_id, id=node.id,
                                median=plain(round(median, 3)), declared=plain(declared)))
    return out


def _unvisited_path(a: str, b: str, out_of: dict[str, list[str]], visited: set[str]) -> bool:
    """A design path a -> ... -> b whose inner nodes no run visits."""
    queue, seen = deque(out_of.get(a, [])), set()
    while queue:
        n = queue.popleft()
        if n == b:
            return True
        if n in seen or n in visited:
            continue
        seen.add(n)
        queue.extend(out_of.get(n, []))
    return False


def _ms(values: list[float], p: float) -> float | None:
    return round(percentile(values, p), 3) if values else None


def _report(system: System, obs: Observed, bounds: dict[str, int]) -> dict[str, Any]:
    """The observed figures, as ``--report`` writes them (JSON's shape)."""
    nodes = []
    for n in system.nodes:
        d = obs.durations.get(n.qualified_id, [])
        nodes.append({"id": n.id, "visits": len(d), "median_ms": _ms(d, 50),
                      "p95_ms": _ms(d, 95), "latency_ms": number(n.attributes.get(
                          "latency_ms"))})
    flows = [{"source": _short(f.source, system), "target": _short(f.target, system),
              "taken": obs.transitions.get(f.key, 0)} for f in system.flows]
    loops = []
    for lp in system.loops:
        fig = obs.loops.get(lp.id)
        turns = [float(t) for t in fig.turns] if fig else []
        lat = fig.latencies if fig else []
        tokens = [float(t) for t in fig.tokens] if fig else []
        loops.append({
            "id": lp.id, "runs": fig.runs if fig else 0,
            "turns": {"p50": _ms(turns, 50), "p95": _ms(turns, 95),
                      "max": max(fig.turns) if fig and fig.turns else None},
            "max_iterations": bounds.get(lp.id),
            "runs_at_bound": fig.at_bound if fig else 0,
            "turn_latency_ms": {"p50": _ms(lat, 50), "p95": _ms(lat, 95)},
            "budget_ms": number(lp.attributes.get("budget_ms")),
            "tokens_per_turn": {"p50": _ms(tokens, 50), "p95": _ms(tokens, 95)}
            if tokens else None,
        })
    return {"system": system.id, "runs": obs.runs, "spans": obs.spans, "visits": obs.visits,
            "unmapped": [{"name": name, "spans": count}
                         for name, count in sorted(obs.unmapped.items(),
                                                   key=lambda kv: (-kv[1], kv[0]))[:10]],
            "nodes": nodes, "flows": flows, "loops": loops}
