"""``drift`` and ``import``: the graph an app builds (from the app, or a
graph JSON file), compared with a system of the design, or written as a
first design."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from loopdsl.app import AppError, UsageProblem
from loopdsl.app.workspace import Checked, check, runs
from loopdsl.drift import CodeGraph
from loopdsl.model import Diagnostic
from loopdsl.vocabulary import make_id


@dataclass(frozen=True, slots=True)
class Source:
    """Where the app's graph comes from: exactly one of these is set."""

    langgraph: str | None = None  # MODULE:ATTR
    burr: str | None = None  # MODULE:ATTR
    graph_json: Path | None = None


def code_graph(source: Source) -> CodeGraph:
    """The app's graph, from exactly one of the sources."""
    from loopdsl.drift.sources import SourceError, from_burr, from_graph_json, from_langgraph

    langgraph, burr, graph_json = source.langgraph, source.burr, source.graph_json
    given = [x for x in (langgraph, burr, graph_json) if x is not None]
    if len(given) != 1:
        raise UsageProblem("name the code with exactly one of --langgraph, --burr or "
                           "--graph-json")
    try:
        if langgraph is not None:
            return from_langgraph(langgraph)
        if burr is not None:
            return from_burr(burr)
        assert graph_json is not None
        return from_graph_json(graph_json)
    except SourceError as e:
        raise AppError(str(e)) from None


@dataclass(frozen=True, slots=True)
class Drifted:
    """The design as checked, and what drift reports: the errors that stop
    the comparison, or its findings (graded, suppressions applied)."""

    checked: Checked
    findings: list[Diagnostic]
    source: Source
    code: CodeGraph | None = None  # None when errors stopped the comparison

    def inputs(self) -> list[Path]:
        """What the run read or names, none of which an output may replace: the
        design, the graph file, the app's modules."""
        read = [Path(s) for s in (self.code.sources if self.code else [])]
        named = [self.source.graph_json] if self.source.graph_json is not None else []
        return [*self.checked.inputs(), *named, *read]


def drift(design: str, source: Source, *, system_id: str | None = None,
          config_file: Path | None = None, select: Sequence[str] = (),
          ignore: Sequence[str] = (), fail_on: str | None = None) -> Drifted:
    """DESIGN's system against the code graph that ``source`` names (the
    ``code_graph``); the code is read only when the
    design has no error that stops the comparison."""
    from loopdsl.drift import DriftError, choose_system, compare
    from loopdsl.linter.suppress import apply_suppressions

    checked = check(runs([design], config_file, fail_on=fail_on), select, ignore)
    registry, workspace = checked.registry, checked.workspace
    if not workspace.files:
        raise AppError(f"no .loop files found in {design}")
    errors = checked.stops()
    if errors:
        return Drifted(checked, errors, source)
    code = code_graph(source)
    try:
        system = choose_system(workspace, system_id)
    except DriftError as e:
        raise AppError(str(e)) from None
    found = [d for d in compare(system, code) if registry.enabled(d.code)]
    found = apply_suppressions(workspace, found, registry, report_unused=False)
    return Drifted(checked, sorted((registry.grade(d) for d in found), key=lambda d: d.sort_key),
                   source, code)


def first_design(code: CodeGraph, system_id: str | None = None) -> str:
    """A first ``.loop`` design of the app, as ``import`` writes it."""
    from loopdsl.drift import to_design

    ident = make_id(system_id or code.name, prefix="app_", empty="app")
    if system_id is not None and ident != system_id:
        raise UsageProblem(f"--system '{system_id}' is not a valid id")
    return to_design(code, ident)
