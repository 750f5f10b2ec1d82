"""The ``loopdsl`` command: the only place that reads arguments, writes files,
prints and chooses exit codes.

Exit codes, for every command (SPEC §9): 0 success or nothing at or above
``fail-on``; 1 findings at or above ``fail-on``; 2 usage error, unreadable
file, bad configuration or internal error, with one line on stderr (a
traceback only when ``LOOPDSL_DEBUG=1``).
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from loopdsl import __version__

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class UserError(click.ClickException):
    """A problem the user must fix; printed as one line, exit code 2."""

    exit_code = EXIT_ERROR

    def show(self, file: Any = None) -> None:
        click.echo(f"loopdsl: error: {self.format_message()}", err=True)


class _Group(click.Group):
    """Turns known failures into one-line errors and unknown ones into exit 2."""

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True,
             **extra: Any) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            return super().main(args, prog_name, complete_var, False, **extra)
        except click.UsageError as e:
            # One line, like every other error (click prints usage and a hint).
            where = e.ctx.command_path if e.ctx is not None else "loopdsl"
            click.echo(f"loopdsl: error: {e.format_message()} (see `{where} --help`)", err=True)
            sys.exit(e.exit_code)
        except click.ClickException as e:
            e.show()
            sys.exit(e.exit_code)
        except click.Abort:
            click.echo("loopdsl: interrupted", err=True)
            sys.exit(130)

    def invoke(self, ctx: click.Context) -> Any:
        from loopdsl.config import ConfigError
        from loopdsl.loader import LoadError

        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except (LoadError, ConfigError) as e:
            raise UserError(str(e)) from None
        except KeyboardInterrupt:
            click.echo("loopdsl: interrupted", err=True)
            ctx.exit(130)
        except Exception as e:
            if os.environ.get("LOOPDSL_DEBUG") == "1":
                raise
            _internal_error(e)


def _internal_error(e: BaseException) -> NoReturn:
    detail = str(e).splitlines()[0] if str(e) else ""
    detail = detail if len(detail) <= 200 else detail[:199] + "…"
    click.echo(
        f"loopdsl: internal error: {type(e).__name__}{': ' + detail if detail else ''} "
        "(set LOOPDSL_DEBUG=1 for a traceback, and please report it)",
        err=True,
    )
    sys.exit(EXIT_ERROR)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="loopdsl")
def cli() -> None:
    """Architecture-as-code for AI systems.

    Describe a system as loops of context -> model -> interface -> feedback in
    .loop files; check them for broken loops (check, rules, explain), keep them
    tidy (fmt), draw them (render), write design reviews (doc), generate stub
    code (gen) and export the typed model (export, schema). Exit codes: 0 fine,
    1 findings (or changes for fmt --check), 2 the run itself failed.
    Run `loopdsl COMMAND --help` for a command's options.
    """


# --- shared helpers ----------------------------------------------------------


def _config(config_file: Path | None, **overrides: Any) -> Any:
    """The configuration of a command that names no files (rules, explain)."""
    from loopdsl.config import load_config

    return load_config(config_file, **overrides)


class _Run:
    """Paths checked together: one configuration, one workspace root."""

    def __init__(self, config: Any, root: Path) -> None:
        self.config, self.root = config, root
        self.paths: list[str] = []


def _runs(paths: Sequence[str], config_file: Path | None, *, top: Path | None = None,
          **overrides: Any) -> list[_Run]:
    """Group ``paths`` by the configuration found above each (as ruff does) and
    the workspace root it gives; ``--config`` applies to every path. ``top``
    stands for the work tree's top (a revision read into a temporary folder):
    configurations are not looked for above it."""
    from loopdsl.config import settle

    configs: dict[Path | None, Any] = {}
    runs: dict[tuple[Path | None, Path], _Run] = {}
    for path in paths or ["."]:
        found, config, root = settle(path, config_file, top=top, read=configs, **overrides)
        run = runs.setdefault((found, root), _Run(config, root))
        run.paths.append(path)
    return list(runs.values())


def _split(values: Sequence[str]) -> list[str]:
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


def _with_selection(config: Any, select: Sequence[str], ignore: Sequence[str]) -> Any:
    """Command-line selection over the file's, with ruff's precedence."""
    update: dict[str, Any] = {}
    if select:
        update |= {"select": _split(select), "extend_select": []}
    if ignore:
        update["ignore"] = [*config.ignore, *_split(ignore)]
    return config.model_copy(update=update) if update else config


def _load(run: _Run, *, required: bool = True) -> Any:
    """The workspace of a run; with ``required``, no .loop file is an error."""
    from loopdsl.loader import load

    skipped: list[str] = []
    workspace = load(run.paths, root=run.root, exclude=run.config.exclude, skipped=skipped)
    for line in skipped:
        click.echo(f"loopdsl: warning: {line}", err=True)
    if required and not workspace.files:
        raise UserError(f"no .loop files found in {', '.join(run.paths)}")
    return workspace


def _design(file: str, config_file: Path | None) -> tuple[Any, Any, list[Any]]:
    """FILE's configuration, registry and workspace, for commands that need a
    design without errors; exits 1 after printing them when it has some."""
    from loopdsl.linter.registry import build

    (run,) = _runs([file], config_file)
    workspace = _load(run)
    registry = build(run.config)
    return registry, workspace, _require_clean(workspace, registry)


def write_atomic(path: Path, data: str | bytes, *, inputs: Sequence[Path] = (),
                 expect: bytes | None = None) -> None:
    """Write ``path`` safely (see ``loopdsl.files.write``), refusing a path that
    is one of the run's ``inputs``: an output never replaces the design."""
    from loopdsl.files import same_file, write

    for source in inputs:
        if path.exists() and same_file(path, source):
            raise UserError(f"refusing to write {path}: it is an input of this run "
                            "(choose another output with -o)")
    raw = data.encode("utf-8") if isinstance(data, str) else data
    try:
        write(path, raw, expect=expect)
    except OSError as e:
        raise UserError(f"{path}: cannot write: {e.strerror or e}") from None


def _inputs(workspace: Any, *more: Path | None) -> list[Path]:
    """The files a run read: the workspace's and, say, its configuration."""
    cwd = Path.cwd()
    return [cwd / f.path for f in workspace.files] + [p for p in more if p is not None]


def _emit(data: str | bytes, output: Path | None, announce: bool = False, *,
          inputs: Sequence[Path] = ()) -> None:
    """Write ``data`` to ``output``, or to stdout for None or ``-``."""
    if output is None or str(output) == "-":
        click.echo(data, nl=False)  # bytes go to the binary stream as they are
        return
    write_atomic(output, data, inputs=inputs)
    if announce:
        click.echo(f"wrote {output}", err=True)


def _beside(file: str, suffix: str) -> Path:
    """The default output for FILE: its name with ``suffix``, beside it."""
    path = Path(file)
    if path.is_dir() or not path.name:
        return path / f"workspace{suffix}"
    return path.with_suffix(suffix)


def _use_color(no_color: bool) -> bool:
    if no_color or os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty()


# --- check -------------------------------------------------------------------


_F = TypeVar("_F", bound=Callable[..., Any])


def _options(*options: Callable[[Any], Any]) -> Callable[[_F], _F]:
    """One decorator applying several click options, in the order given."""
    def apply(command: _F) -> _F:
        for option in reversed(options):
            command = option(command)
        return command
    return apply


_FINDINGS_OPTIONS = [
    click.option("--format", "-f", "fmt", default="text", show_default=True,
                 type=click.Choice(["text", "concise", "json", "sarif", "github"]),
                 help="How findings are written: text (source and caret; in GitHub Actions "
                      "also annotations), concise (file:line:col: CODE message), json (an array "
                      "of objects), sarif (SARIF 2.1.0 for code scanning), github (workflow "
                      "annotations and a summary)."),
    click.option("--select", "select", multiple=True, metavar="CODES",
                 help="Check only these rules: codes, names or prefixes, comma-separated "
                      "(replaces select and extend-select of the configuration)."),
    click.option("--ignore", "ignore", multiple=True, metavar="CODES",
                 help="Do not check these rules: codes, names or prefixes, comma-separated "
                      "(added to the configuration's ignore)."),
    click.option("--fail-on", type=click.Choice(["error", "warning", "info"]),
                 help="Lowest severity that makes the exit code 1 [default: warning]."),
    click.option("--config", "config_file", type=click.Path(path_type=Path, dir_okay=False),
                 help="Read settings from this loopdsl.toml or pyproject.toml instead of "
                      "the nearest one above the current directory."),
    click.option("--baseline", "baseline_file", type=click.Path(path_type=Path, dir_okay=False),
                 help="Let the findings recorded in this file pass (matched by code, file and "
                      "element, not line); fail only on new ones, and list recorded findings "
                      "that are gone."),
    click.option("--write-baseline", "write_baseline",
                 type=click.Path(path_type=Path, dir_okay=False),
                 help="Record today's findings in this file and exit 0."),
    click.option("--no-color", is_flag=True, help="Never colour the output (NO_COLOR works too)."),
    click.option("-q", "--quiet", is_flag=True, help="Print findings only, no summary line."),
]


# The options of every command that reports findings (`check`, `drift`).
_findings_options = _options(*_FINDINGS_OPTIONS)


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@_findings_options
def check(paths: tuple[str, ...], fmt: str, select: tuple[str, ...], ignore: tuple[str, ...],
          fail_on: str | None, config_file: Path | None, baseline_file: Path | None,
          write_baseline: Path | None, no_color: bool, quiet: bool) -> None:
    """Parse, resolve and lint .loop files.

    PATHS are files or folders (folders are searched for *.loop files, hidden
    folders skipped); the default is the current directory. Exit code 0 when
    nothing at or above --fail-on is found, 1 when something is, 2 when the
    run itself fails.
    """
    checked = _checked(_runs(paths, config_file, fail_on=fail_on), select, ignore)
    if not checked.workspace.files and not quiet:
        click.echo("loopdsl: warning: no .loop files found", err=True)
    _finish(checked, checked.findings, checked.registry, fmt=fmt, baseline_file=baseline_file,
            write_baseline=write_baseline, no_color=no_color, quiet=quiet)


def _finish(checked: _Checked, findings: list[Any], registry: Any, *, fmt: str,
            baseline_file: Path | None, write_baseline: Path | None, no_color: bool,
            quiet: bool) -> None:
    """What `check` and `drift` do with their findings: record or apply a
    baseline, write the chosen format, exit with the code fail-on gives."""
    sources = {f.path: f.text for f in checked.workspace.files}
    if write_baseline is not None:
        from loopdsl import baseline

        folder = write_baseline.resolve().parent
        write_atomic(write_baseline, baseline.dump(findings, folder, Path.cwd()),
                     inputs=_inputs(checked.workspace, baseline_file))
        click.echo(f"loopdsl: recorded {len(findings)} findings in {write_baseline}", err=True)
        sys.exit(EXIT_OK)
    baselined = 0
    if baseline_file is not None:
        findings, baselined = _apply_baseline(findings, baseline_file, registry, quiet)
    failed = checked.failing(findings)
    options = _report_options(sources, color=_use_color(no_color), quiet=quiet,
                              baselined=baselined)
    click.echo(_formatter(fmt)(findings, registry, options), nl=False, color=options.color)
    sys.exit(EXIT_FINDINGS if failed else EXIT_OK)


class _Checked:
    """The runs of one command, linted: one workspace (the runs' together),
    their findings in output order, their registries' union, and the rank of
    the severity that fails each file (its own configuration's fail-on)."""

    def __init__(self) -> None:
        self.workspaces: list[Any] = []
        self.findings: list[Any] = []
        self.registry: Any = None
        self.fail_rank: dict[str, int] = {}

    @functools.cached_property
    def workspace(self) -> Any:
        from loopdsl.model import Workspace

        if len(self.workspaces) == 1:
            return self.workspaces[0]
        return Workspace(files=[f for w in self.workspaces for f in w.files],
                         kinds=[k for w in self.workspaces for k in w.kinds],
                         systems=[s for w in self.workspaces for s in w.systems])

    def failing(self, findings: list[Any] | None = None) -> bool:
        return any(d.severity.rank >= self.fail_rank.get(d.span.file, 0)
                   for d in (self.findings if findings is None else findings))


def _checked(runs: list[_Run], select: Sequence[str] = (), ignore: Sequence[str] = (),
             fail_on_override: str | None = None) -> _Checked:
    """Load and lint each run with its configuration (and the command line's
    selection and fail-on)."""
    from loopdsl.linter import lint_with
    from loopdsl.linter.registry import build
    from loopdsl.model import Severity

    out = _Checked()
    for run in runs:
        config = _with_selection(run.config, select, ignore)
        workspace = _load(run, required=False)
        registry = build(config)
        out.workspaces.append(workspace)
        out.findings += lint_with(workspace, registry)
        out.registry = registry if out.registry is None else out.registry.union(registry)
        rank = Severity(fail_on_override or config.fail_on).rank
        for f in workspace.files:
            out.fail_rank[f.path] = min(rank, out.fail_rank.get(f.path, rank))
    out.findings.sort(key=lambda d: d.sort_key)
    return out


def _formatter(name: str) -> Any:
    from loopdsl.report import formatter

    return formatter(name)


def _report_options(sources: dict[str, str], **kw: Any) -> Any:
    """What report formats need from the environment, gathered once here."""
    from loopdsl.paths import work_tree_top
    from loopdsl.report import ReportOptions

    cwd = Path.cwd()
    github = os.environ.get("GITHUB_ACTIONS") == "true"
    workspace_env = os.environ.get("GITHUB_WORKSPACE")
    repo_root = (Path(workspace_env).resolve() if workspace_env
                 else work_tree_top(cwd.resolve()) or cwd)
    return ReportOptions(sources=sources, files=len(sources), annotate=github, cwd=cwd,
                         repo_root=repo_root, **kw)


def _apply_baseline(findings: list[Any], path: Path, registry: Any,
                    quiet: bool) -> tuple[list[Any], int]:
    from loopdsl import baseline
    from loopdsl.files import read_text

    try:
        text = read_text(path)
    except OSError as e:
        raise UserError(f"{path}: cannot read baseline: {e.strerror or e}") from None
    except UnicodeDecodeError:
        raise UserError(f"{path}: not a valid baseline file (not UTF-8)") from None
    try:
        recorded = baseline.parse(text, str(path), registry)
    except baseline.BaselineError as e:
        raise UserError(str(e)) from None
    outcome = baseline.apply(findings, recorded, path.resolve().parent, Path.cwd())
    if outcome.fixed and not quiet:
        total = sum(n for _, n in outcome.fixed)
        click.echo(f"loopdsl: {total} baseline entries no longer match "
                   f"(fixed); rewrite {path} with --write-baseline to tidy it:", err=True)
        for (code, file, element), n in outcome.fixed:
            times = f" ({n} times)" if n > 1 else ""
            click.echo(f"  fixed: {code} in {file} ({element}){times}", err=True)
    return outcome.new, outcome.matched


# --- diff ------------------------------------------------------------------------


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option("--base", "base_rev", metavar="REV",
              help="Compare PATHS (default: the current directory) as they are at this git "
                   "revision (a branch, tag, commit or HEAD~1) with the working tree. The "
                   "revision is read from git's objects; nothing is checked out.")
@click.option("--format", "-f", "fmt", default="text", show_default=True,
              type=click.Choice(["text", "markdown", "json"]),
              help="text for a terminal, markdown for a pull-request comment or "
                   "$GITHUB_STEP_SUMMARY (with a Mermaid diagram of the change), json for "
                   "programs (SPEC §13).")
@click.option("--render", "render_fmt", type=click.Choice(["mermaid", "dot", "svg"]),
              help="Also draw the change into -o FILE: added green, removed red and dashed, "
                   "changed amber, the rest grey (svg needs Graphviz's `dot`).")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
              help="The file --render writes (`-` for standard output).")
@click.option("--fail-on-new", is_flag=True,
              help="Exit 1 when the new version has a finding the old one had not, at or "
                   "above --fail-on.")
@click.option("--fail-on", type=click.Choice(["error", "warning", "info"]),
              help="The lowest severity --fail-on-new counts [default: the configuration's "
                   "fail-on, else warning].")
@click.option("--config", "config_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Read settings from this file, for both versions, instead of the nearest "
                   "one above each path.")
def diff(paths: tuple[str, ...], base_rev: str | None, fmt: str, render_fmt: str | None,
         output: Path | None, fail_on_new: bool, fail_on: str | None,
         config_file: Path | None) -> None:
    """What a change does to the design: `diff OLD NEW` compares two files or
    folders; `diff --base REV [PATHS]...` compares PATHS at a git revision with
    the working tree.

    Nodes, flows, loops and systems added, removed and changed (matched by id:
    a rename is a removal and an addition), loops whose status changes (closes,
    learns, bounded, latency against budget), and the findings the change
    brings and fixes (matched by code, file and element, not by line). Exit
    code 0 when the diff is shown; 1 with --fail-on-new when there is a new
    finding at or above --fail-on; 2 for a usage error, an unknown revision,
    --base outside a git work tree, or a path found in neither version.
    """
    import tempfile

    from loopdsl.diff import Side, compare
    from loopdsl.paths import anchor_of, display_path, work_tree_top

    if (render_fmt is None) != (output is None):
        raise click.UsageError("--render and -o go together: --render FORMAT -o FILE")
    cwd = Path.cwd()

    def keyed(base: Path, renames: dict[str, str] | None = None) -> Any:
        def key(file: str) -> str:
            rel = Path(os.path.relpath(os.path.normpath(cwd / file), base)).as_posix()
            return (renames or {}).get(rel, rel)
        return key

    with tempfile.TemporaryDirectory(prefix="loopdsl-diff-") as tmp:
        if base_rev is None:
            if len(paths) != 2:
                raise click.UsageError("give OLD and NEW, or --base REV [PATHS]...")
            for p in paths:
                if not Path(p).exists():
                    raise UserError(f"{p}: no such file or folder")
            old_anchor, new_anchor = anchor_of(paths[0]), anchor_of(paths[1])
            renames = ({Path(paths[0]).name: Path(paths[1]).name}
                       if Path(paths[0]).is_file() and Path(paths[1]).is_file() else None)
            old_runs, new_runs = _runs([paths[0]], config_file), _runs([paths[1]], config_file)
            old_key, new_key = keyed(old_anchor, renames), keyed(new_anchor)
            base_name, head_name, new_base = paths[0], paths[1], new_anchor
        else:
            from loopdsl.revision import RevisionError, extract

            wanted = list(paths) or ["."]
            top = work_tree_top(anchor_of(wanted[0]))
            if top is None:
                raise UserError(f"{wanted[0]}: not in a git work tree (--base needs one)")
            relative = []
            for p in wanted:
                rel = os.path.relpath(Path(p).resolve(), top)
                if rel.startswith(".."):
                    raise UserError(f"{p}: outside the git work tree at {top}")
                relative.append(rel)
            old_top = Path(tmp)
            try:
                extract(top, base_rev, old_top)
            except RevisionError as e:
                raise UserError(str(e)) from None
            old_paths = [str(old_top / rel) for rel in relative if (old_top / rel).exists()]
            new_paths = [p for p in wanted if Path(p).exists()]
            for p, rel in zip(wanted, relative, strict=True):
                if not Path(p).exists() and not (old_top / rel).exists():
                    raise UserError(f"{p}: found neither in {base_rev} nor in the working tree")
            old_runs = _runs(old_paths, config_file, top=old_top) if old_paths else []
            new_runs = _runs(new_paths, config_file) if new_paths else []
            old_key, new_key = keyed(old_top), keyed(top)
            base_name, head_name, new_base = base_rev, "working tree", top
        old, new = _checked(old_runs), _checked(new_runs, fail_on_override=fail_on)
        result = compare(
            Side(old.workspace, old.findings, old_key), Side(new.workspace, new.findings, new_key),
            base=base_name, head=head_name,
            file_name=lambda key: display_path(new_base / key, cwd))
    _show_diff(result, fmt, render_fmt, output)
    failed = fail_on_new and new.failing(result.new)
    sys.exit(EXIT_FINDINGS if failed else EXIT_OK)


def _show_diff(result: Any, fmt: str, render_fmt: str | None, output: Path | None) -> None:
    from loopdsl.diff import diagram, report

    if fmt == "json":
        click.echo(report.to_json(result), nl=False)
    elif fmt == "markdown":
        click.echo(report.to_markdown(result, diagram.to_mermaid(result)), nl=False)
    else:
        click.echo(report.to_text(result), nl=False)
    if render_fmt is not None:
        data: str | bytes
        if render_fmt == "mermaid":
            data = diagram.to_mermaid(result)
        else:
            data = diagram.to_dot(result)
            if render_fmt == "svg":
                from loopdsl.render.dot import GraphvizFailed, GraphvizMissing, to_image

                try:
                    data = to_image(data, "svg")
                except (GraphvizMissing, GraphvizFailed) as e:
                    raise UserError(str(e)) from None
        _emit(data, output, announce=True, inputs=_inputs(result.old) + _inputs(
            result.new_workspace))


# --- drift / import -----------------------------------------------------------------

_SOURCE_OPTIONS = [
    click.option("--langgraph", "langgraph", metavar="MODULE:ATTR",
                 help="A LangGraph graph (compiled, or a StateGraph to compile) in your code, "
                      "e.g. app.graph:graph; the module is imported from the current "
                      "directory, so its code runs (pip install 'loopdsl[langgraph]')."),
    click.option("--burr", "burr", metavar="MODULE:ATTR",
                 help="A Burr Application in your code, e.g. app.main:app (imported, so its "
                      "code runs; pip install 'loopdsl[burr]')."),
    click.option("--graph-json", "graph_json", type=click.Path(path_type=Path, dir_okay=False),
                 help="What LangGraph's graph.get_graph().to_json() wrote to a file: nothing "
                      "of your code runs, so CI needs no import of the app."),
    click.option("--system", "system_id", metavar="ID",
                 help="The design's system to compare (required when DESIGN has several)."),
]


_source_options = _options(*_SOURCE_OPTIONS)


def _code_graph(langgraph: str | None, burr: str | None, graph_json: Path | None) -> Any:
    from loopdsl.drift.sources import SourceError, from_burr, from_graph_json, from_langgraph

    given = [x for x in (langgraph, burr, graph_json) if x is not None]
    if len(given) != 1:
        raise click.UsageError("name the code with exactly one of --langgraph, --burr or "
                               "--graph-json")
    try:
        if langgraph is not None:
            return from_langgraph(langgraph)
        if burr is not None:
            return from_burr(burr)
        assert graph_json is not None
        return from_graph_json(graph_json)
    except SourceError as e:
        raise UserError(str(e)) from None


@cli.command()
@click.argument("design", type=click.Path(path_type=str))
@_source_options
@_findings_options
def drift(design: str, langgraph: str | None, burr: str | None, graph_json: Path | None,
          system_id: str | None, fmt: str, select: tuple[str, ...], ignore: tuple[str, ...],
          fail_on: str | None, config_file: Path | None, baseline_file: Path | None,
          write_baseline: Path | None, no_color: bool, quiet: bool) -> None:
    """Compare a system of DESIGN with the graph its code builds (SPEC §14).

    A design node is implemented by the code node its `impl` attribute names,
    else by the one with its id; nodes with `external: true` are not compared.
    Reports LD301-LD306 (nodes and flows missing on either side, branches
    whose targets the code does not declare, cycles no loop shows) at their
    place in DESIGN, in check's formats, with its selection, suppression,
    baseline and fail-on; and the errors that stop the comparison (LD001 to
    LD006 in DESIGN). Exit codes as check; 2 when the app cannot be read.
    """
    from loopdsl.drift import DriftError, choose_system, compare
    from loopdsl.linter.suppress import apply_suppressions
    from loopdsl.model import Severity

    checked = _checked(_runs([design], config_file, fail_on=fail_on), select, ignore)
    registry, workspace = checked.registry, checked.workspace
    if not workspace.files:
        raise UserError(f"no .loop files found in {design}")
    stops = [d for d in checked.findings
             if d.severity == Severity.ERROR and registry.structural(d.code)]
    if not stops:
        code = _code_graph(langgraph, burr, graph_json)
        try:
            system = choose_system(workspace, system_id)
        except DriftError as e:
            raise UserError(str(e)) from None
        found = [d for d in compare(system, code) if registry.enabled(d.code)]
        found = apply_suppressions(workspace, found, registry, report_unused=False)
        stops = sorted((registry.grade(d) for d in found), key=lambda d: d.sort_key)
    _finish(checked, stops, registry, fmt=fmt, baseline_file=baseline_file,
            write_baseline=write_baseline, no_color=no_color, quiet=quiet)


@cli.command(name="import")
@_source_options
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the design here instead of standard output.")
def import_(langgraph: str | None, burr: str | None, graph_json: Path | None,
            system_id: str | None, output: Path | None) -> None:
    """Write a first .loop design of an app (SPEC §14).

    One system (id from --system, else the module's last name): a node per
    code node, its role from the node's metadata {"loopdsl": {"role": ...}}
    (Burr: an action tag `loopdsl:ROLE`), a LangGraph ToolNode as interface,
    else model; `impl` where the code name is not a valid id; a flow per edge
    (one per possible target of a conditional edge, labelled with the
    condition); a loop per cycle. A comment at the top says which roles were
    guessed. `drift` of the result against the same app reports nothing.
    """
    import re

    from loopdsl.drift import to_design

    code = _code_graph(langgraph, burr, graph_json)
    name = system_id or code.name
    ident = re.sub(r"\W", "_", name) or "app"
    ident = ident if not ident[0].isdigit() else "app_" + ident
    if ident in {"system", "import", "kind", "loop", "true", "false"}:
        ident += "_"
    if system_id is not None and ident != system_id:
        raise click.UsageError(f"--system '{system_id}' is not a valid id")
    _emit(to_design(code, ident), output, announce=output is not None)


# --- lsp ----------------------------------------------------------------------------


@cli.command()
def lsp() -> None:
    """Run a language server on stdin and stdout, for any editor (SPEC §15).

    Diagnostics as `check` gives them (unsaved text included), hover, go to
    definition, references, rename, completion, document symbols, formatting
    and quick fixes. Needs the optional extra: pip install 'loopdsl[lsp]'.
    """
    try:
        from loopdsl.lsp.server import main as serve
    except ImportError as e:
        if e.name not in ("pygls", "lsprotocol") and not str(e.name).startswith(
                ("pygls.", "lsprotocol.")):
            raise
        raise UserError("loopdsl lsp needs pygls: pip install 'loopdsl[lsp]'") from None
    serve()


# --- serve ---------------------------------------------------------------------------


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535),
              help="The port to listen on (0: any free one).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="The address to listen on; the default serves this machine only.")
@click.option("--config", "config_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Read settings from this file instead of the nearest one above each path.")
def serve(paths: tuple[str, ...], port: int, host: str, config_file: Path | None) -> None:
    """Serve the design-review page of PATHS (default: the current directory)
    on localhost, kept current: every save updates the open page in place,
    keeping its zoom and scroll (SPEC §16).

    The diagram pans and zooms, a loop can be picked to highlight its flows;
    while a file does not parse, its syntax errors show above the last good
    page. Everything the page needs comes from this command: no network.
    Ctrl-C stops it (exit code 0).
    """
    import dataclasses

    from loopdsl.loader import discover
    from loopdsl.model import Severity
    from loopdsl.review import build_review
    from loopdsl.review.document import body, to_html
    from loopdsl.serve import Page, Site, run

    runs = _runs(paths, config_file)
    good: list[Any] = []  # the last review of a design without errors
    seen: list[Path] = []  # the files of the last build, imports included

    def build(version: str) -> Page:
        checked = _checked(runs)
        workspace, registry = checked.workspace, checked.registry
        seen[:] = [Path(f.path) for f in workspace.files]
        stops = [d for d in checked.findings
                 if d.severity == Severity.ERROR and registry.structural(d.code)]
        if stops and good:
            review = dataclasses.replace(good[0], version=version, problems=stops)
        else:
            review = build_review(workspace, checked.findings, registry, root=runs[0].root)
            _draw(review, workspace, checked.findings)
            review.version, review.problems = version, stops
            if not stops:
                good[:] = [review]
        page = to_html(review)
        return Page(version, page, body(page))

    def files() -> list[Path]:
        found = [p for run in runs for p in discover(run.paths, root=run.root,
                                                     exclude=run.config.exclude)]
        return list(dict.fromkeys([*found, *seen]))

    try:
        site = Site(build, files)
        run(site, host, port, lambda line: click.echo(line, err=True))
    except OSError as e:
        raise UserError(f"cannot serve on {host}:{port}: {e.strerror or e}") from None


def _draw(review: Any, workspace: Any, findings: list[Any], direction: str = "auto") -> None:
    """The review page's diagrams; without Graphviz, a warning (the page then
    shows the Mermaid source)."""
    from loopdsl.render.dot import GraphvizFailed, GraphvizMissing
    from loopdsl.review import draw

    try:
        draw(review, workspace, findings, direction)
    except (GraphvizMissing, GraphvizFailed) as e:
        click.echo(f"loopdsl: warning: {e}; the page shows the diagram's Mermaid source "
                   "instead", err=True)


# --- rules / explain -------------------------------------------------------------


@cli.command()
@click.option("--format", "-f", "fmt", default="table", show_default=True,
              type=click.Choice(["table", "json", "markdown"]),
              help="table for reading, json for programs, markdown for the rule reference "
                   "(docs/rules.md is this output).")
@click.option("--config", "config_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Read rule-paths from this file instead of the nearest one.")
def rules(fmt: str, config_file: Path | None) -> None:
    """List every rule: code, name, default severity, summary and origin.

    Origin is `builtin` or the path of a team's rule file (from rule-paths).
    Structural diagnostics LD001-LD007 come from the parser and resolver and
    are listed too.
    """
    from loopdsl.linter.catalog import to_json, to_markdown, to_table
    from loopdsl.linter.registry import build
    from loopdsl.printable import printable

    render = {"table": to_table, "json": to_json, "markdown": to_markdown}[fmt]
    click.echo(printable(render(build(_config(config_file)))), nl=False)


@cli.command()
@click.argument("rule")
@click.option("--config", "config_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Read rule-paths from this file instead of the nearest one.")
def explain(rule: str, config_file: Path | None) -> None:
    """Explain RULE (a code such as LD101 or a name such as model-without-context):
    why it exists, what it checks, and an example that triggers it and one that
    does not."""
    from loopdsl.linter.catalog import explain_text
    from loopdsl.linter.registry import build

    registry = build(_config(config_file))
    match = registry.lookup(rule)
    if match is None:
        hint = registry.suggest(rule)
        raise UserError(f"unknown rule '{rule}'" + (f"; {hint}" if hint else "")
                        + " (see `loopdsl rules`)")
    from loopdsl.printable import printable

    click.echo(printable(explain_text(match, registry)), nl=False)


# --- export / schema -----------------------------------------------------------


@cli.command()
@click.argument("file", type=click.Path(path_type=str))
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the JSON here instead of standard output.")
@click.option("--config", "config_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Read settings from this file instead of the nearest one.")
def export(file: str, output: Path | None, config_file: Path | None) -> None:
    """Write the resolved workspace of FILE (and its imports) as JSON.

    The JSON follows `loopdsl schema`. When the workspace has errors (LD001 to
    LD006) nothing is written: the errors are printed on stderr, exit code 1.
    """
    _, workspace, _ = _design(file, config_file)
    from loopdsl.printable import json_safe

    _emit(json_safe(workspace.model_dump_json(indent=2)) + "\n", output,
          inputs=_inputs(workspace))


def _require_clean(workspace: Any, registry: Any) -> list[Any]:
    """All findings; exit 1 after printing them when an error of the parser, the
    loader or the resolver stops the command."""
    from loopdsl.linter import lint_with
    from loopdsl.model import Severity

    findings = lint_with(workspace, registry)
    errors = [d for d in findings if d.severity == Severity.ERROR and registry.structural(d.code)]
    if errors:
        report = _formatter("concise")(errors, registry, _report_options({}))
        click.echo(report, nl=False, err=True)
        sys.exit(EXIT_FINDINGS)
    return findings


_IMAGE_FORMATS = ("svg", "png", "pdf")
_RENDER_SUFFIXES = {".dot": "dot", ".gv": "dot", ".svg": "svg", ".png": "png", ".pdf": "pdf",
                    ".mmd": "mermaid", ".mermaid": "mermaid"}
_DOC_SUFFIXES = {".md": "md", ".markdown": "md", ".html": "html", ".htm": "html"}


def _format_for(fmt: str | None, output: Path | None, suffixes: dict[str, str],
                default: str) -> str:
    """The format: -f, else the one -o's extension names (SPEC §9: `-o map.png`
    writes PNG), else the default. A -f that contradicts a known extension is
    a usage error, never a file whose content does not match its name."""
    named = suffixes.get(output.suffix.lower()) if output is not None and str(output) != "-" \
        else None
    if fmt is not None and named is not None and fmt != named:
        raise click.UsageError(f"-f {fmt} contradicts -o {output}, which names a {named} file")
    return fmt or named or default


@cli.command()
@click.argument("file", type=click.Path(path_type=str))
@click.option("-f", "--format", "fmt",
              type=click.Choice(["dot", "svg", "png", "pdf", "mermaid"]),
              help="dot and mermaid are text and need nothing else; svg, png and pdf need "
                   "Graphviz's `dot` program. Default: the extension of -o (.dot, .gv, .svg, "
                   ".png, .pdf, .mmd), else svg.")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
              help="Where to write; `-` for standard output. Default: FILE's name with the "
                   "format's extension, beside FILE.")
@click.option("--loop", "loop_id", metavar="ID",
              help="Draw only this loop (`id` or `system.id`) and the nodes it touches.")
@click.option("--findings", is_flag=True,
              help="Outline nodes and flows with findings in the colour of their worst "
                   "severity (messages as SVG tooltips).")
@click.option("--direction", type=click.Choice(["auto", "LR", "TB"]), default="auto",
              show_default=True,
              help="Left to right, top to bottom, or auto: top to bottom when left to right "
                   "would be much wider than tall.")
@click.option("--config", "config_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Read settings from this file instead of the nearest one.")
def render(file: str, fmt: str | None, output: Path | None, loop_id: str | None,
           findings: bool, direction: str, config_file: Path | None) -> None:
    """Draw FILE's workspace (or one loop) as a diagram.

    Roles have their own shape and colour, each loop's flows share a colour,
    flows leaving feedback are dashed, and systems become clusters. A
    workspace with errors (LD001 to LD006) is not drawn: exit code 1.
    """
    from loopdsl.render.view import ViewError

    fmt = _format_for(fmt, output, _RENDER_SUFFIXES, "svg")
    _, workspace, found = _design(file, config_file)
    marked = found if findings else None
    try:
        if fmt == "mermaid":
            from loopdsl.render.mermaid import to_mermaid

            data: str | bytes = to_mermaid(workspace, loop=loop_id, findings=marked,
                                           direction=direction)
        else:
            from loopdsl.render.dot import GraphvizFailed, GraphvizMissing, to_dot, to_image

            data = to_dot(workspace, loop=loop_id, findings=marked, direction=direction)
            if fmt in _IMAGE_FORMATS:
                try:
                    data = to_image(data, fmt)
                except (GraphvizMissing, GraphvizFailed) as e:
                    raise UserError(str(e)) from None
    except ViewError as e:
        raise UserError(str(e)) from None
    _emit(data, output or _beside(file, {"mermaid": ".mmd"}.get(fmt, f".{fmt}")),
          announce=True, inputs=_inputs(workspace))


@cli.command()
@click.argument("file", type=click.Path(path_type=str))
@click.option("-f", "--format", "fmt", type=click.Choice(["md", "html"]),
              help="md: GitHub-flavoured Markdown with the diagram as a Mermaid block; html: "
                   "one self-contained file with the diagram as inline SVG (Mermaid source "
                   "when Graphviz's `dot` is missing). Default: the extension of -o (.md, "
                   ".html), else md.")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
              help="Where to write; `-` for standard output. Default: FILE's name with .md "
                   "or .html, beside FILE.")
@click.option("--direction", type=click.Choice(["auto", "LR", "TB"]), default="auto",
              show_default=True,
              help="The diagrams left to right, top to bottom, or auto: top to bottom when "
                   "left to right would be much wider than tall.")
@click.option("--config", "config_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Read settings from this file instead of the nearest one.")
def doc(file: str, fmt: str | None, output: Path | None, direction: str,
        config_file: Path | None) -> None:
    """Write a design-review document for FILE's workspace.

    It holds the systems and owners, the diagram, each loop (its cycle, whether
    it closes and learns, latency against budget), nodes by role, flows,
    findings by severity and a review checklist drawn from the rules. A
    workspace with errors (LD001 to LD006) gets no document: exit code 1.
    """
    from loopdsl.config import settle
    from loopdsl.review import build_review
    from loopdsl.review.document import to_html, to_markdown

    fmt = _format_for(fmt, output, _DOC_SUFFIXES, "md")
    registry, workspace, found = _design(file, config_file)
    review = build_review(workspace, found, registry, direction=direction,
                          root=settle(file, config_file)[2])
    if fmt == "html":
        _draw(review, workspace, found, direction)
        text = to_html(review)
    else:
        text = to_markdown(review)
    _emit(text, output or _beside(file, f".{fmt}"), announce=True, inputs=_inputs(workspace))


@cli.command()
@click.argument("file", type=click.Path(path_type=str))
@click.option("--target", type=click.Choice(["python"]), default="python", show_default=True,
              help="The language of the stubs.")
@click.option("-o", "--output", "out_dir", required=True,
              type=click.Path(path_type=Path, file_okay=False),
              help="The folder to write the package into.")
@click.option("--package", "package",
              help="The package's name (default: FILE's name, made an ASCII identifier that "
                   "shadows no module of the standard library).")
@click.option("--force", is_flag=True,
              help="Also overwrite the files that are yours (nodes.py, the __init__.py files, "
                   "the tests).")
@click.option("--check", is_flag=True,
              help="Write nothing; exit 1 if a regenerated module on disk is missing or "
                   "differs from what would be generated, or if a nodes.py of yours lacks a "
                   "node's or loop's implementation, implements one the design no longer has, "
                   "or misses a method or has its old signature (for CI).")
@click.option("--config", "config_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Read settings from this file instead of the nearest one.")
def gen(file: str, target: str, out_dir: Path, package: str | None, force: bool, check: bool,
        config_file: Path | None) -> None:
    """Generate stub code for FILE's workspace: one package, a subpackage per
    system.

    The package has `generated.py` (the messages and the loop runners' base)
    and, per system, `generated.py` (typed node interfaces and one runner per
    loop, taking the loop's inputs from outside it; regenerated every time, do
    not edit), `nodes.py` (your implementations of the nodes and of each
    loop's done(); created once) and a test module (created once). When the
    design has moved on from a nodes.py of yours, gen writes the stubs as they
    would be now beside it as nodes.py.new and lists what to change. A
    workspace with errors (LD001 to LD006) generates nothing: exit code 1.
    """
    from loopdsl.codegen import USER_NODES, audit, generate, package_name, package_problem
    from loopdsl.files import FileProblem, read_text

    if package is None:
        path = Path(file)
        package = package_name(path.resolve().name if path.is_dir() else path.stem)
    elif (why := package_problem(package)) is not None:
        raise UserError(why)

    def read(name: str) -> str | None:
        path = out_dir / name
        if not path.is_file():
            return None
        try:
            return read_text(path)
        except (OSError, UnicodeDecodeError, FileProblem) as e:
            raise UserError(f"cannot read {path}: {e}") from None

    _, workspace, _ = _design(file, config_file)
    files = generate(workspace, package)
    if check:
        stale = [name for name, (text, regenerated) in files.items()
                 if regenerated and read(name) != text]
        for name in stale:
            click.echo(f"stale: {out_dir / name}", err=True)
        problems = audit(workspace, package, read)
        for problem in problems:
            click.echo(f"yours: {out_dir}/{problem}", err=True)
        if stale or problems:
            click.echo("loopdsl: the code is out of step with the design: run `loopdsl gen` "
                       "again and update your modules as listed", err=True)
        sys.exit(EXIT_FINDINGS if stale or problems else EXIT_OK)
    problems = audit(workspace, package, read)
    # the folders of systems whose nodes.py the design has moved on from
    behind = {Path(p.path).parent for p in problems}
    for name in files:  # refuse before writing anything: no half-written package
        if (out_dir / name).is_dir():
            raise UserError(f"cannot write {out_dir / name}: it is a folder")
        for folder in [out_dir, *(out_dir / f for f in list(Path(name).parents)[:-1])]:
            if folder.exists() and not folder.is_dir():
                raise UserError(f"cannot write {out_dir / name}: {folder} is not a folder")
    written: set[str] = set()
    for name, (text, regenerated) in files.items():
        path = out_dir / name
        kept = path.exists() and not (regenerated or force)
        if kept and (Path(name).parent not in behind or Path(name).name == "__init__.py"):
            click.echo(f"kept {path} (yours; --force replaces it)", err=True)
            continue
        dest = path.with_name(path.name + ".new") if kept else path
        write_atomic(dest, text, inputs=_inputs(workspace))
        written.add(dest.relative_to(out_dir).as_posix())
        click.echo(f"kept {path} (yours) and wrote {dest}: the stubs as the design has them "
                   f"now" if kept else f"wrote {path}", err=True)
    for problem in problems:  # what a freshly written nodes.py settles is not repeated
        if problem.path not in written:
            click.echo(f"loopdsl: warning: {out_dir}/{problem}", err=True)
    for name in files:  # an earlier loopdsl wrote DIR/<system>/nodes.py
        old = out_dir / Path(name).relative_to(package)
        if name.endswith(f"/{USER_NODES}") and old.is_file():
            click.echo(f"loopdsl: note: {old} is where an earlier loopdsl put your nodes; "
                       f"the package is now {out_dir / package}: move your code into "
                       f"{out_dir / name}", err=True)


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option("--check", is_flag=True,
              help="Write nothing; list the files that would change and exit 1 if any would.")
@click.option("--diff", is_flag=True,
              help="Write nothing; print a unified diff of the changes and exit 1 if any.")
@click.option("--config", "config_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Read exclude from this file instead of the nearest one.")
def fmt(paths: tuple[str, ...], check: bool, diff: bool, config_file: Path | None) -> None:
    """Rewrite .loop files in canonical form, keeping every comment.

    PATHS are files or folders (default: the current directory). A file with
    a syntax error is left untouched and reported (exit code 1); the others
    are still formatted. Files are only written when they change.
    """
    import difflib

    from loopdsl.files import read_bytes
    from loopdsl.formatter import FormatError, format_text
    from loopdsl.loader import discover

    changed, broken = [], []
    skipped: list[str] = []
    files = [path for run in _runs(paths, config_file)
             for path in discover(run.paths, root=run.root, exclude=run.config.exclude,
                                  skipped=skipped)]
    for line in skipped:
        click.echo(f"loopdsl: warning: {line}", err=True)
    for path in dict.fromkeys(files):
        try:
            raw = read_bytes(path)
            original = raw.decode("utf-8")
        except OSError as e:
            raise UserError(f"{path}: {e.strerror or e}") from None
        except UnicodeDecodeError:
            broken.append(path)
            click.echo(f"{path}: not UTF-8 text; left as it is", err=True)
            continue
        try:
            formatted = format_text(original)
        except FormatError as e:
            broken.append(path)
            click.echo(f"{path}: {e}; left as it is", err=True)
            continue
        if formatted == original:
            continue
        changed.append(path)
        if diff:
            click.echo("".join(difflib.unified_diff(
                original.splitlines(keepends=True), formatted.splitlines(keepends=True),
                fromfile=f"{path} (original)", tofile=f"{path} (formatted)")), nl=False)
        elif check:
            click.echo(f"would reformat {path}")
        elif not os.stat(path).st_mode & 0o222:
            broken.append(path)  # even root: the user marked it read-only
            click.echo(f"{path}: read-only; left as it is", err=True)
        else:
            try:
                write_atomic(path, formatted, expect=raw)
            except UserError as e:
                broken.append(path)
                click.echo(str(e.message), err=True)
                continue
            click.echo(f"reformatted {path}", err=True)
    if check or diff:
        sys.exit(EXIT_FINDINGS if changed or broken else EXIT_OK)
    sys.exit(EXIT_FINDINGS if broken else EXIT_OK)


@cli.command()
def schema() -> None:
    """Print the JSON Schema of `loopdsl export`'s output."""
    import json

    from loopdsl.model import Workspace

    doc = {"$schema": "https://json-schema.org/draft/2020-12/schema",
           **Workspace.model_json_schema(mode="serialization")}
    click.echo(json.dumps(doc, indent=2, sort_keys=True))


# --- init ----------------------------------------------------------------------


@cli.command()
@click.argument("directory", default=".", type=click.Path(path_type=Path, file_okay=False))
def init(directory: Path) -> None:
    """Write a small example workspace and a loopdsl.toml into DIRECTORY.

    Refuses to overwrite existing files (exit code 2, nothing written).
    """
    from loopdsl.resources import data_dir

    starter = data_dir("starter")
    files = sorted((f.name, f.read_text(encoding="utf-8")) for f in starter.iterdir()
                   if f.name.endswith((".loop", ".toml")))
    clashes = [name for name, _ in files if (directory / name).exists()]
    if clashes:
        raise UserError(f"refusing to overwrite {', '.join(str(directory / n) for n in clashes)}")
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UserError(f"{directory}: cannot create: {e.strerror or e}") from None
    for name, text in files:
        write_atomic(directory / name, text)
        click.echo(f"wrote {directory / name}")
    click.echo(f"next: cd {directory} && loopdsl check")


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the console script."""
    import gc

    # A short-lived process whose objects form no cycles worth collecting; the
    # collector's rescans of the model cost more than anything it could free.
    gc.disable()
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
    code: int | str | None = 0
    try:
        cli.main(args=list(argv) if argv is not None else None, prog_name="loopdsl")
    except SystemExit as e:  # click ends every run this way
        code = e.code
    if not isinstance(code, int):
        raise SystemExit(code)
    # Everything is written and closed: end the process without the interpreter's
    # teardown, which frees every module and model object one by one (a tenth of
    # a small `check`; mypy ends the same way).
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # a closed pipe (`loopdsl rules | head -1`), or stdout
        pass  # closed by the language server's exit: nothing left to say
    os._exit(code)
