"""``drift``, ``import`` and ``graph``: the graph an app builds (from the app,
or a graph JSON file), compared with a system of the design, written as a
first design, or written as agent-graph JSON."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from loopdsl.app import AppError, UsageProblem
from loopdsl.app.workspace import Checked, check, runs
from loopdsl.drift import CodeGraph
from loopdsl.model import Diagnostic
from loopdsl.vocabulary import make_id

# What to do next about each finding `check` reports on a first design,
# as `import`'s header says it.
_NEXT_STEP = {
    "LD101": "nothing feeds these models context: add what they read, or mark the input "
             "`external: true`",
    "LD102": "nothing observes what these interfaces do: add the feedback that records it "
             "(a person's rating, a test result), or mark it `external: true`",
    "LD103": "this feedback reaches no context or model: add the flow to what it should "
             "improve",
    "LD104": "these loops do not close: add the flow that leads back",
    "LD105": "these loops pass through no feedback: set the role of the node that judges the "
             "result to feedback, or declare `max_iterations` on an iteration loop",
    "LD106": "these models' output reaches no interface: set the role of the node that shows "
             "or acts on it to interface",
    "LD107": "this context reaches no model: add the flow, or remove the node",
    "LD108": "these nodes are in no flow: connect them, or remove them",
    "LD109": "a node repeats itself: hold the retry in a loop with `max_iterations`",
    "LD111": "the flows form no loop: group the flows that should close a cycle in a `loop`",
    "LD112": "these cycles have no feedback and no bound: declare `max_iterations` (LangGraph's "
             "`recursion_limit`, ADK's `max_iterations`) or route them through feedback",
    "LD201": "add `owner: \"team-name\"` to the system",
    "LD204": "give these nodes a label or a `description`",
}


@dataclass(frozen=True, slots=True)
class Source:
    """Where the app's graph comes from: an app (``MODULE:ATTR``, with the
    framework its option names, if any), or a graph JSON file."""

    app: str | None = None
    framework: str | None = None  # None: the object's type says
    graph_json: Path | None = None

    @classmethod
    def chosen(cls, given: Mapping[str, str | Path | None]) -> Source:
        """The one source given among ``--app``, the framework options and
        ``--graph-json`` (option name -> value)."""
        named = [(key, value) for key, value in given.items() if value is not None]
        if len(named) != 1:
            listed = ", ".join(f"--{k.replace('_', '-')}" for k in given)
            raise UsageProblem(f"name the app's graph with exactly one of {listed}")
        key, value = named[0]
        if key == "graph_json":
            return cls(graph_json=Path(value))
        return cls(app=str(value), framework=None if key == "app" else key)


def code_graph(source: Source) -> CodeGraph:
    """The app's graph, from its source."""
    from loopdsl.drift.sources import SourceError, from_app, from_graph_json

    try:
        if source.graph_json is not None:
            return from_graph_json(source.graph_json)
        assert source.app is not None
        return from_app(source.app, source.framework)
    except SourceError as e:
        raise AppError(str(e)) from None


def graph_json(code: CodeGraph) -> str:
    """The agent-graph JSON of ``code``, as ``loopdsl graph`` writes it."""
    from loopdsl.printable import json_safe

    return json_safe(json.dumps(code.to_json(), indent=2, ensure_ascii=False)) + "\n"


def graph_schema() -> str:
    """The agent-graph JSON's JSON Schema, as ``loopdsl schema --graph`` prints it."""
    from loopdsl.drift.graph import schema

    return json.dumps(schema(), indent=2, sort_keys=True) + "\n"


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
    """A first ``.loop`` design of the app, as ``import`` writes it: its
    header says what ``check`` reports on it and what to do about each."""
    from loopdsl.drift import to_design

    ident = make_id(system_id or code.name, prefix="app_", empty="app")
    if system_id is not None and ident != system_id:
        raise UsageProblem(f"--system '{system_id}' is not a valid id")
    text = to_design(code, ident)
    return to_design(code, ident, _summary(text, ident))


def _summary(text: str, system: str) -> list[str]:
    """What ``check`` (default settings) reports on ``text``, grouped by code,
    each with its next step."""
    from loopdsl.linter import lint
    from loopdsl.loader import loads

    found: dict[str, list[Diagnostic]] = {}
    for d in lint(loads(text, "imported.loop")):
        found.setdefault(d.code, []).append(d)
    if not found:
        return ["`loopdsl check` reports nothing on this design."]
    total = sum(len(v) for v in found.values())
    lines = ["", f"`loopdsl check` reports {total} finding{'s' * (total != 1)} on it; "
                 "what to do next:"]
    for code in sorted(found):
        ds = found[code]
        where = sorted({(d.element or system).rpartition(":")[2].replace(f"{system}.", "")
                        for d in ds})
        shown = ", ".join(where[:6]) + (", ..." if len(where) > 6 else "")
        step = _NEXT_STEP.get(code) or (ds[0].help or ds[0].message)
        lines.append(f"  {code} \u00d7{len(ds)} ({ds[0].name}: {shown}): {step}.")
    return lines
