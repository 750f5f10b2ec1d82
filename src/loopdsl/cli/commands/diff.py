"""`loopdsl diff`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from loopdsl.cli.options import FAIL_ON, config_option


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option("--base", "base_rev", metavar="REV",
              help="Compare PATHS (default: the current directory) as they are at this git "
                   "revision (a branch, tag, commit or HEAD~1) with the working tree. The "
                   "revision is read from git's objects; nothing is checked out.")
@click.option("--format", "-f", "fmt", default="text", show_default=True,
              type=click.Choice(["text", "markdown", "json"]),
              help="text for a terminal, markdown for a pull-request comment or "
                   "$GITHUB_STEP_SUMMARY (with a Mermaid diagram of the change), json for "
                   "programs (its keys are listed in docs/commands.md).")
@click.option("--render", "render_fmt", type=click.Choice(["mermaid", "dot", "svg"]),
              help="Also draw the change into -o FILE: added green, removed red and dashed, "
                   "changed amber, the rest grey (svg needs Graphviz's `dot`).")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
              help="The file --render writes (`-` for standard output).")
@click.option("--fail-on-new", is_flag=True,
              help="Exit 1 when the new version has a finding the old one had not, at or "
                   "above --fail-on.")
@click.option("--fail-on", type=FAIL_ON,
              help="The lowest severity --fail-on-new counts [default: the configuration's "
                   "fail-on, else warning].")
@config_option("Read settings from this file, for both versions, instead of the nearest "
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
    from loopdsl.app.diagrams import change_drawing
    from loopdsl.app.diff import diff as compare_versions
    from loopdsl.cli.output import EXIT_FINDINGS, EXIT_OK, emit
    from loopdsl.diff import diagram, report

    if (render_fmt is None) != (output is None):
        raise click.UsageError("--render and -o go together: --render FORMAT -o FILE")
    compared = compare_versions(paths, base_rev, config_file=config_file, fail_on=fail_on)
    result = compared.result
    if fmt == "json":
        click.echo(report.to_json(result), nl=False)
    elif fmt == "markdown":
        click.echo(report.to_markdown(result, diagram.to_mermaid(result)), nl=False)
    else:
        click.echo(report.to_text(result), nl=False)
    if render_fmt is not None:
        drawn = change_drawing(result, render_fmt)
        emit(drawn.data, output, announce=True, inputs=drawn.inputs)
    failed = fail_on_new and compared.new.failing(result.new)
    sys.exit(EXIT_FINDINGS if failed else EXIT_OK)
