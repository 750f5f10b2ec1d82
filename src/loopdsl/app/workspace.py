"""Paths a user names -> linted workspaces: grouped by the configuration
found above each (as ruff does), each group loaded with its own settings
and root, linted with its own registry, and merged into one result for one
report. Also the decisions every command that reports findings shares:
which errors stop it, whether a run fails, what a baseline lets pass."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loopdsl.app import AppError, DesignErrors
from loopdsl.config import Config, load_config, settle
from loopdsl.linter import lint_with
from loopdsl.linter.registry import Registry, build
from loopdsl.loader import load
from loopdsl.model import Diagnostic, Severity, Workspace


@dataclass(slots=True)
class Run:
    """Paths checked together: one configuration, one workspace root."""

    config: Config
    root: Path
    paths: list[str] = field(default_factory=list)


def runs(paths: Sequence[str], config_file: Path | None = None, *, top: Path | None = None,
         **overrides: Any) -> list[Run]:
    """Group ``paths`` (default: the current directory) by the configuration
    found above each and the workspace root it gives; ``config_file`` applies
    to every path. ``top`` stands for the work tree's top (a revision read
    into a temporary folder): configurations are not looked for above it."""
    read: dict[Path | None, Config] = {}
    grouped: dict[tuple[Path | None, Path], Run] = {}
    for path in paths or ["."]:
        found, config, root = settle(path, config_file, top=top, read=read, **overrides)
        grouped.setdefault((found, root), Run(config, root)).paths.append(path)
    return list(grouped.values())


def catalog(config_file: Path | None = None) -> Registry:
    """Every rule, built-in and the team's, under the configuration found above
    the current directory (or ``config_file``): for commands that name no
    files (``rules``, ``explain``)."""
    return build(load_config(config_file))


def _split(values: Sequence[str]) -> list[str]:
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


def with_selection(config: Config, select: Sequence[str] = (),
                   ignore: Sequence[str] = ()) -> Config:
    """Command-line selection over the file's, with ruff's precedence: a
    ``select`` replaces select and extend-select, an ``ignore`` adds."""
    update: dict[str, Any] = {}
    if select:
        update |= {"select": _split(select), "extend_select": []}
    if ignore:
        update["ignore"] = [*config.ignore, *_split(ignore)]
    return config.model_copy(update=update) if update else config


@dataclass
class Checked:
    """The runs of one command, linted: the workspaces (one per run), their
    findings in output order, their registries' union, the rank of the
    severity that fails each file (its own configuration's fail-on), and
    what the folder searches passed over (``skipped``, one line each)."""

    runs: list[Run]
    workspaces: list[Workspace]
    findings: list[Diagnostic]
    registry: Registry
    fail_rank: dict[str, int]
    skipped: list[str]

    @functools.cached_property
    def workspace(self) -> Workspace:
        """The runs' workspaces as one."""
        if len(self.workspaces) == 1:
            return self.workspaces[0]
        return Workspace(files=[f for w in self.workspaces for f in w.files],
                         kinds=[k for w in self.workspaces for k in w.kinds],
                         systems=[s for w in self.workspaces for s in w.systems])

    def failing(self, findings: Sequence[Diagnostic] | None = None) -> bool:
        """Is any of ``findings`` (default: all) at or above its file's fail-on?"""
        return any(d.severity.rank >= self.fail_rank.get(d.span.file, 0)
                   for d in (self.findings if findings is None else findings))

    def stops(self) -> list[Diagnostic]:
        """The errors that stop a command needing a sound design."""
        return stops(self.findings, self.registry)

    def notes(self) -> list[str]:
        """What a reader of the findings must know besides them: the systems
        whose loop rules did not run, because their graph is incomplete or
        ambiguous until their errors are fixed (else fixing those errors would
        bring an unannounced second batch)."""
        if not any(rule.graph for rule in self.registry.running()):
            return []
        return [f"loop rules skipped for system '{s.id}' until its errors are fixed"
                for w in self.workspaces for s in w.systems if not s.complete]

    def sources(self) -> dict[str, str]:
        """Each file's text, by the name findings give it."""
        return {f.path: f.text for f in self.workspace.files}

    def inputs(self, *more: Path | None) -> list[Path]:
        """The files the run read (for the output gate), and ``more``."""
        cwd = Path.cwd()
        return [cwd / f.path for f in self.workspace.files] + [p for p in more if p is not None]

    def watched(self) -> list[Path]:
        """The configuration and team rule files of the runs."""
        return watched(self.runs)


def watched(groups: Sequence[Run]) -> list[Path]:
    """What a long-running front end watches besides the designs: the
    configuration files and the team's rule files."""
    out = []
    for run in groups:
        if run.config.source is not None:
            out.append(run.config.source)
        for folder in run.config.rule_paths:
            out += sorted(folder.glob("*.toml")) if folder.is_dir() else []
    return list(dict.fromkeys(out))


def check(groups: Sequence[Run], select: Sequence[str] = (), ignore: Sequence[str] = (),
          fail_on: str | None = None, *, required: bool = False,
          overlay: Mapping[str, str] | None = None) -> Checked:
    """Load and lint each run with its configuration (and the command line's
    selection and fail-on). With ``required``, a run that finds no ``.loop``
    file is an ``AppError``. ``overlay`` maps real paths to unsaved texts."""
    workspaces: list[Workspace] = []
    findings: list[Diagnostic] = []
    registries: list[Registry] = []
    fail_rank: dict[str, int] = {}
    skipped: list[str] = []
    for run in groups:
        config = with_selection(run.config, select, ignore)
        workspace = load(run.paths, root=run.root, exclude=config.exclude, skipped=skipped,
                         overlay=overlay)
        if required and not workspace.files:
            raise AppError(f"no .loop files found in {', '.join(run.paths)}")
        registry = build(config)
        registries.append(registry)
        workspaces.append(workspace)
        findings += lint_with(workspace, registry)
        rank = Severity(fail_on or config.fail_on).rank
        for f in workspace.files:
            fail_rank[f.path] = min(rank, fail_rank.get(f.path, rank))
    findings.sort(key=lambda d: d.sort_key)
    registry = functools.reduce(Registry.union, registries) if registries else build()
    return Checked(list(groups), workspaces, findings, registry, fail_rank, skipped)


def stops(findings: Sequence[Diagnostic], registry: Registry) -> list[Diagnostic]:
    """The errors of reading the design (parser, loader, resolver): a design
    with one cannot be drawn, generated, exported or compared."""
    return [d for d in findings if d.severity == Severity.ERROR and registry.structural(d.code)]


@dataclass(frozen=True, slots=True)
class Design:
    """A design without errors, for the commands that need one."""

    workspace: Workspace
    registry: Registry
    findings: list[Diagnostic]
    root: Path

    def inputs(self) -> list[Path]:
        cwd = Path.cwd()
        return [cwd / f.path for f in self.workspace.files]


def design(file: str, config_file: Path | None = None) -> Design:
    """FILE's workspace with its configuration, registry and findings;
    ``DesignErrors`` when errors stop the command, ``AppError`` when FILE
    holds no design."""
    checked = check(runs([file], config_file), required=True)
    errors = checked.stops()
    if errors:
        raise DesignErrors(errors)
    return Design(checked.workspace, checked.registry, checked.findings, checked.runs[0].root)


# --- baselines --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Baselined:
    """Findings after a baseline: the new ones, how many it let pass, and
    its entries nothing matched any more ((code, file, element), times)."""

    new: list[Diagnostic]
    matched: int
    fixed: list[tuple[tuple[str, str, str], int]]


def apply_baseline(findings: list[Diagnostic], path: Path, registry: Registry) -> Baselined:
    """``findings`` less those recorded in the baseline at ``path``."""
    from loopdsl import baseline
    from loopdsl.files import FileProblem, read_text

    try:
        text = read_text(path)
    except (OSError, FileProblem) as e:
        raise AppError(f"{path}: cannot read baseline: {e.strerror or e}") from None
    except UnicodeDecodeError:
        raise AppError(f"{path}: not a valid baseline file (not UTF-8)") from None
    try:
        recorded = baseline.parse(text, str(path), registry)
    except baseline.BaselineError as e:
        raise AppError(str(e)) from None
    outcome = baseline.apply(findings, recorded, path.resolve().parent, Path.cwd())
    return Baselined(outcome.new, outcome.matched, outcome.fixed)


def baseline_text(findings: list[Diagnostic], path: Path) -> str:
    """What ``--write-baseline PATH`` records."""
    from loopdsl import baseline

    return baseline.dump(findings, path.resolve().parent, Path.cwd())


def files_of(groups: Sequence[Run], skipped: list[str] | None = None) -> list[Path]:
    """The ``.loop`` files the runs name (folders searched), each once."""
    from loopdsl.loader import discover

    found = [p for run in groups
             for p in discover(run.paths, root=run.root, exclude=run.config.exclude,
                               skipped=skipped)]
    return list(dict.fromkeys(found))


def starter(directory: Path) -> list[tuple[Path, str]]:
    """The files ``init`` writes into ``directory`` (created), each with its
    text; none of them may exist yet."""
    from loopdsl.resources import data_dir

    shipped = data_dir("starter")
    files = sorted((f.name, f.read_text(encoding="utf-8")) for f in shipped.iterdir()
                   if f.name.endswith((".loop", ".toml")))
    clashes = [name for name, _ in files if (directory / name).exists()]
    if clashes:
        raise AppError(f"refusing to overwrite {', '.join(str(directory / n) for n in clashes)}")
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise AppError(f"{directory}: cannot create: {e.strerror or e}") from None
    return [(directory / name, text) for name, text in files]
