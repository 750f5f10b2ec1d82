"""`loopdsl gen`: stub code for a design."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from loopdsl.cli.options import config_option


@click.command()
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
@config_option("Read settings from this file instead of the nearest one.")
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
    from loopdsl.app.gen import plan, staleness
    from loopdsl.cli.output import EXIT_FINDINGS, EXIT_OK, warn, write

    if check:
        found = staleness(file, out_dir, package, config_file=config_file)
        for path in found.stale:
            click.echo(f"stale: {path}", err=True)
        for problem in found.problems:
            click.echo(f"yours: {problem}", err=True)
        if found:
            click.echo("loopdsl: the code is out of step with the design: run `loopdsl gen` "
                       "again and update your modules as listed", err=True)
        sys.exit(EXIT_FINDINGS if found else EXIT_OK)
    steps = plan(file, out_dir, package, force=force, config_file=config_file)
    for action in steps.actions:
        if action.text is not None:
            write(action.path, action.text, inputs=steps.design.inputs(), within=out_dir)
        click.echo(action.message, err=True)
    for line in steps.warnings:
        warn(line)
    for line in steps.notes:
        click.echo(f"loopdsl: note: {line}", err=True)
