"""`loopdsl fmt`: every design in one canonical layout."""

from __future__ import annotations

import os
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
    from loopdsl.app.workspace import files_of, runs
    from loopdsl.cli.output import EXIT_FINDINGS, EXIT_OK, UserError, warn, write
    from loopdsl.files import read_bytes
    from loopdsl.formatter import FormatError, format_text

    changed, broken = [], []
    skipped: list[str] = []
    files = files_of(runs(paths, config_file), skipped)
    for line in skipped:
        warn(line)
    for path in files:
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
                write(path, formatted, expect=raw)
            except AppError as e:
                broken.append(path)
                click.echo(str(e), err=True)
                continue
            click.echo(f"reformatted {path}", err=True)
    if check or diff:
        sys.exit(EXIT_FINDINGS if changed or broken else EXIT_OK)
    sys.exit(EXIT_FINDINGS if broken else EXIT_OK)
