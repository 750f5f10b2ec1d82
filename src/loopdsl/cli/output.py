"""What the commands print and write: the exit codes, one-line errors,
findings in the chosen format, files through the application's output gate
(announced on stderr), and what report formats need from the environment,
gathered once here."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

if TYPE_CHECKING:
    from loopdsl.app.workspace import Checked
    from loopdsl.linter.registry import Registry
    from loopdsl.model import Diagnostic
    from loopdsl.report import ReportOptions

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
EXIT_READER_LEFT = 141  # 128 + SIGPIPE, as a Unix tool whose reader stopped reading


class UserError(click.ClickException):
    """A problem the user must fix; printed as one line, exit code 2."""

    exit_code = EXIT_ERROR

    def show(self, file: Any = None) -> None:
        click.echo(f"loopdsl: error: {self.format_message()}", err=True)


def warn(line: str) -> None:
    click.echo(f"loopdsl: warning: {line}", err=True)


def write(path: Path, data: str | bytes, *, inputs: Sequence[Path] = (),
          expect: bytes | None = None, within: Path | None = None) -> None:
    """Write a file through the application's output gate."""
    from loopdsl.app.outputs import write_output

    write_output(path, data, inputs=inputs, expect=expect, within=within)


def emit(data: str | bytes, output: Path | None, announce: bool = False, *,
         inputs: Sequence[Path] = ()) -> None:
    """Write ``data`` to ``output``, or to stdout for None or ``-``."""
    if output is None or str(output) == "-":
        click.echo(data, nl=False)  # bytes go to the binary stream as they are
        return
    write(output, data, inputs=inputs)
    if announce:
        click.echo(f"wrote {output}", err=True)


def beside(file: str, suffix: str) -> Path:
    """The default output for FILE: its name with ``suffix``, beside it."""
    path = Path(file)
    if path.is_dir() or not path.name:
        return path / f"workspace{suffix}"
    return path.with_suffix(suffix)


def format_for(fmt: str | None, output: Path | None, suffixes: dict[str, str],
               default: str) -> str:
    """The format: -f, else the one -o's extension names (`-o map.png` writes
    PNG), else the default. A -f that contradicts a known extension is a
    usage error, never a file whose content does not match its name."""
    named = suffixes.get(output.suffix.lower()) if output is not None and str(output) != "-" \
        else None
    if fmt is not None and named is not None and fmt != named:
        raise click.UsageError(f"-f {fmt} contradicts -o {output}, which names a {named} file")
    return fmt or named or default


def use_color(no_color: bool) -> bool:
    if no_color or os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty()


def report_options(sources: dict[str, str], **kw: Any) -> ReportOptions:
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


def formatted(fmt: str, findings: list[Diagnostic], registry: Registry,
              options: ReportOptions) -> str:
    from loopdsl.report import formatter

    return formatter(fmt)(findings, registry, options)


def show_errors(errors: list[Diagnostic]) -> None:
    """The errors that stop a command, one line each on stderr."""
    from loopdsl.app.workspace import catalog

    click.echo(formatted("concise", errors, catalog(), report_options({})), nl=False, err=True)


def skipped(checked: Checked) -> None:
    """What the folder searches passed over."""
    for line in checked.skipped:
        warn(line)


def finish(checked: Checked, findings: list[Diagnostic], *, fmt: str,
           baseline_file: Path | None, write_baseline: Path | None, no_color: bool,
           quiet: bool, inputs: Sequence[Path] = (), notes: Sequence[str] = ()) -> NoReturn:
    """What `check` and `drift` do with their findings: record or apply a
    baseline, write the chosen format, exit with the code fail-on gives.
    ``inputs``: what else the run read (a baseline never replaces it);
    ``notes``: what the text format says once before its summary."""
    from loopdsl.app.workspace import apply_baseline, baseline_text

    if write_baseline is not None:
        write(write_baseline, baseline_text(findings, write_baseline),
              inputs=[*checked.inputs(baseline_file), *inputs])
        click.echo(f"loopdsl: recorded {len(findings)} findings in {write_baseline}", err=True)
        sys.exit(EXIT_OK)
    baselined = 0
    if baseline_file is not None:
        outcome = apply_baseline(findings, baseline_file, checked.registry)
        if outcome.fixed and not quiet:
            total = sum(n for _, n in outcome.fixed)
            click.echo(f"loopdsl: {total} baseline entries no longer match "
                       f"(fixed); rewrite {baseline_file} with --write-baseline to tidy it:",
                       err=True)
            for (code, file, element), n in outcome.fixed:
                times = f" ({n} times)" if n > 1 else ""
                click.echo(f"  fixed: {code} in {file} ({element}){times}", err=True)
        findings, baselined = outcome.new, outcome.matched
    options = report_options(checked.sources(), color=use_color(no_color), quiet=quiet,
                             baselined=baselined, notes=tuple(notes))
    click.echo(formatted(fmt, findings, checked.registry, options), nl=False,
               color=options.color)
    sys.exit(EXIT_FINDINGS if checked.failing(findings) else EXIT_OK)
