"""`loopdsl drift` and `loopdsl import`: the design against the app's code."""

from __future__ import annotations

from pathlib import Path

import click

from loopdsl.cli.options import findings_options, source_options


@click.command()
@click.argument("design", type=click.Path(path_type=str))
@source_options
@findings_options
def drift(design: str, langgraph: str | None, burr: str | None, graph_json: Path | None,
          system_id: str | None, fmt: str, select: tuple[str, ...], ignore: tuple[str, ...],
          fail_on: str | None, config_file: Path | None, baseline_file: Path | None,
          write_baseline: Path | None, no_color: bool, quiet: bool) -> None:
    """Compare a system of DESIGN with the graph its code builds.

    A design node is implemented by the code node its `impl` attribute names,
    else by the one with its id; nodes with `external: true` are not compared.
    Reports LD301-LD306 (nodes and flows missing on either side, branches
    whose targets the code does not declare, cycles no loop shows) at their
    place in DESIGN, in check's formats, with its selection, suppression,
    baseline and fail-on; and the errors that stop the comparison (LD001 to
    LD006 in DESIGN). Exit codes as check; 2 when the app cannot be read.
    """
    from loopdsl.app.drift import Source
    from loopdsl.app.drift import drift as compare
    from loopdsl.cli.output import finish, skipped

    found = compare(design, Source(langgraph, burr, graph_json), system_id=system_id,
                    config_file=config_file, select=select, ignore=ignore, fail_on=fail_on)
    skipped(found.checked)
    finish(found.checked, found.findings, fmt=fmt, baseline_file=baseline_file,
           write_baseline=write_baseline, no_color=no_color, quiet=quiet,
           inputs=found.inputs())


@click.command(name="import")
@source_options
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the design here instead of standard output.")
def import_(langgraph: str | None, burr: str | None, graph_json: Path | None,
            system_id: str | None, output: Path | None) -> None:
    """Write a first .loop design of an app.

    One system (id from --system, else the module's last name): a node per
    code node, its role from the node's metadata {"loopdsl": {"role": ...}}
    (Burr: an action tag `loopdsl:ROLE`), a LangGraph ToolNode as interface,
    else model; `impl` where the code name is not a valid id; a flow per edge
    (one per possible target of a conditional edge, labelled with the
    condition); a loop per cycle. A comment at the top says which roles were
    guessed. `drift` of the result against the same app reports nothing.
    """
    from loopdsl.app.drift import Source, code_graph, first_design
    from loopdsl.cli.output import emit

    code = code_graph(Source(langgraph, burr, graph_json))
    emit(first_design(code, system_id), output, announce=output is not None,
         inputs=[Path(s) for s in code.sources])
