"""`loopdsl fmt`: every design in one canonical layout."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from loopdsl.cli.options import config_option


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option("--check", is_flag=True,
              help="Write nothing; list the files that would change and exit 1 if any would.")
@click.option("--diff", is_flag=True,
              help="Write nothing; print a unified diff of the changes and exit 1 if any.")
@config_option("Read exclude from this file instead of the nearest one.")
def fmt(paths: tuple[str, ...], check: bool, diff: bool, config_file: Path | None) -> None:
    """Rewrite .loop files in canonical form, keeping every comment.

    PATHS are files or folders (default: the current directory). A file with
    a syntax error is left untouched and reported (exit code 1); the others
    are still formatted. Files are only written when they change.
    """
    import difflib

    from loopdsl.app import AppError
    from loopdsl.app.fmt import format_files
    from loopdsl.cli.output import EXIT_FINDINGS, EXIT_OK, warn, write

    skipped: list[str] = []
    files = format_files(paths, config_file, skipped)
    for line in skipped:
        warn(line)
    changed, broken = 0, 0
    for f in files:
        if f.problem is not None and (f.formatted is None or not (check or diff)):
            broken += 1
            click.echo(f"{f.path}: {f.problem}; left as it is", err=True)
            continue
        if not f.changed:
            continue
        assert f.formatted is not None
        changed += 1
        if diff:
            click.echo("".join(difflib.unified_diff(
                f.original.splitlines(keepends=True), f.formatted.splitlines(keepends=True),
                fromfile=f"{f.path} (original)", tofile=f"{f.path} (formatted)")), nl=False)
        elif check:
            click.echo(f"would reformat {f.path}")
        else:
            try:
                write(f.path, f.formatted, expect=f.raw)
            except AppError as e:
                broken += 1
                click.echo(str(e), err=True)
                continue
            click.echo(f"reformatted {f.path}", err=True)
    if check or diff:
        sys.exit(EXIT_FINDINGS if changed or broken else EXIT_OK)
    sys.exit(EXIT_FINDINGS if broken else EXIT_OK)
