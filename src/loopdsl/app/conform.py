"""``conform``: a system of the design against traces of real runs."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from loopdsl.app import AppError, UsageProblem
from loopdsl.app.workspace import Checked, check, runs
from loopdsl.model import Diagnostic, Workspace
from loopdsl.printable import plain

if TYPE_CHECKING:
    from loopdsl.render.view import Runs


@dataclass(frozen=True, slots=True)
class Conformed:
    """The design as checked, what conform reports (the errors that stop it,
    or its findings, graded and suppressions applied), and the report's
    figures (None when errors stopped it)."""

    checked: Checked
    findings: list[Diagnostic]
    traces: tuple[Path, ...]
    report: dict[str, Any] | None = None

    def inputs(self) -> list[Path]:
        return [*self.checked.inputs(), *self.traces]


def conform(design: str, traces: Sequence[Path], *, system_id: str | None = None,
            config_file: Path | None = None, select: Sequence[str] = (),
            ignore: Sequence[str] = (), fail_on: str | None = None) -> Conformed:
    """DESIGN's system against the runs in ``traces`` (OTLP/JSON files)."""
    from loopdsl.conform import conform as compare
    from loopdsl.conform.traces import TraceError, read_runs
    from loopdsl.drift import DriftError, choose_system
    from loopdsl.linter.suppress import apply_suppressions

    if not traces:
        raise UsageProblem("name the traces to compare with --traces FILE (OTLP/JSON)")
    checked = check(runs([design], config_file, fail_on=fail_on), select, ignore)
    registry, workspace = checked.registry, checked.workspace
    if not workspace.files:
        raise AppError(f"no .loop files found in {design}")
    errors = checked.stops()
    if errors:
        return Conformed(checked, errors, tuple(traces))
    try:
        system = choose_system(workspace, system_id)
    except DriftError as e:
        raise AppError(str(e)) from None
    try:
        result = compare(system, read_runs(traces))
    except TraceError as e:
        raise AppError(str(e)) from None
    found = [d for d in result.findings if registry.enabled(d.code)]
    found = apply_suppressions(workspace, found, registry, report_unused=False)
    return Conformed(checked, sorted((registry.grade(d) for d in found),
                                     key=lambda d: d.sort_key), tuple(traces), result.report)


def report_text(report: dict[str, Any], path: Path) -> str:
    """The report in the format ``path``'s extension names."""
    from loopdsl.conform.report import FORMATS, render

    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise UsageProblem(f"--report {path}: name a .md, .json or .html file")
    return render(report, fmt)


def drawn_runs(workspace: Workspace, traces: Sequence[Path]) -> Runs | None:
    """What the runs in ``traces`` did, to draw on each system of the
    workspace that has runs in them (``render``, ``doc`` and ``serve`` with
    ``--traces``); None without traces."""
    if not traces:  # conform's reading of traces is imported only for traces
        return None
    from loopdsl.conform import conform as compare
    from loopdsl.conform.traces import Span, TraceError, read_runs
    from loopdsl.render.view import Runs

    visits: dict[str, int] = {}
    taken: dict[tuple[str, str], int] = {}
    loops: dict[str, str] = {}
    traced: set[str] = set()
    try:
        # read once (a pipe can be read only once); held when several systems
        # are compared with the same runs
        read: Iterable[list[Span]] = read_runs(traces)
        if len(workspace.systems) > 1:
            read = list(read)
        results = [(system, compare(system, read)) for system in workspace.systems]
    except TraceError as e:
        raise AppError(str(e)) from None
    for system, result in results:
        seen = result.observed
        if not seen.runs:  # traces of other systems: this one is drawn as it is
            continue
        traced.add(system.id)
        visits |= {n.qualified_id: len(seen.durations.get(n.qualified_id, ()))
                   for n in system.nodes}
        taken |= {f.key: seen.transitions.get(f.key, 0) for f in system.flows}
        loops |= {f"{system.id}.{lp['id']}": _observed(lp) for lp in result.report["loops"]}
    return Runs(frozenset(traced), visits, taken, loops)


def _observed(loop: dict[str, Any]) -> str:
    """A loop's observed figures, for its legend row."""
    if not loop["runs"]:
        return "observed: no run"
    turns = loop["turns"]
    said = (f"observed in {loop['runs']} run{'s' if loop['runs'] != 1 else ''}: "
            f"turns p50 {plain(turns['p50'])}, max {turns['max']}")
    p95 = loop["turn_latency_ms"]["p95"]
    return said + (f"; {plain(p95)} ms per turn (p95)" if p95 is not None else "")
