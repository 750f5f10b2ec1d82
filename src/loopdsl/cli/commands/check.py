"""`loopdsl check`."""

from __future__ import annotations

from pathlib import Path

import click

from loopdsl.cli.options import findings_options


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@findings_options
def check(paths: tuple[str, ...], fmt: str, select: tuple[str, ...], ignore: tuple[str, ...],
          fail_on: str | None, config_file: Path | None, baseline_file: Path | None,
          write_baseline: Path | None, no_color: bool, quiet: bool) -> None:
    """Parse, resolve and lint .loop files.

    PATHS are files or folders (folders are searched for *.loop files, hidden
    folders skipped); the default is the current directory. Exit code 0 when
    nothing at or above --fail-on is found, 1 when something is, 2 when the
    run itself fails (a path holding no .loop file among them).
    """
    from loopdsl.app.workspace import check as check_runs
    from loopdsl.app.workspace import runs
    from loopdsl.cli.output import finish, skipped

    checked = check_runs(runs(paths, config_file, fail_on=fail_on), select, ignore,
                         required=True)
    skipped(checked)
    finish(checked, checked.findings, fmt=fmt, baseline_file=baseline_file,
           write_baseline=write_baseline, no_color=no_color, quiet=quiet,
           notes=checked.notes())
