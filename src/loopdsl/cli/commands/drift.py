"""`loopdsl drift`, `loopdsl import` and `loopdsl graph`: the design against
the app's code."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from loopdsl.cli.options import findings_options, source_options, system_option


@click.command()
@click.argument("design", type=click.Path(path_type=str))
@source_options
@system_option
@findings_options
def drift(design: str, sources: dict[str, Any], system_id: str | None, fmt: str,
          select: tuple[str, ...], ignore: tuple[str, ...], fail_on: str | None,
          config_file: Path | None, baseline_file: Path | None,
          write_baseline: Path | None, no_color: bool, quiet: bool) -> None:
    """Compare a system of DESIGN with the graph its code builds.

    The code is LangGraph, Burr, the OpenAI Agents SDK, pydantic-graph,
    LlamaIndex Workflows or Google ADK (--app, or the framework's option), or
    a graph JSON file. A design node is implemented by the code node its
    `impl` attribute names, else by the one with its id; nodes with
    `external: true` are not compared. Reports LD301-LD309 (nodes and flows
    missing on either side, branches whose targets the code does not
    declare, cycles no loop shows, an entry that moved, router values the
    path map lacks or never sees) at their place in DESIGN, in check's
    formats, with its selection, suppression, baseline and fail-on; and the
    errors that stop the comparison (LD001 to LD006 in DESIGN). Exit codes as
    check; 2 when the app cannot be read.
    """
    from loopdsl.app.drift import Source
    from loopdsl.app.drift import drift as compare
    from loopdsl.cli.output import finish, skipped

    found = compare(design, Source.chosen(sources), system_id=system_id,
                    config_file=config_file, select=select, ignore=ignore, fail_on=fail_on)
    skipped(found.checked)
    finish(found.checked, found.findings, fmt=fmt, baseline_file=baseline_file,
           write_baseline=write_baseline, no_color=no_color, quiet=quiet,
           inputs=found.inputs())


@click.command(name="import")
@source_options
@click.option("--system", "system_id", metavar="ID",
              help="The written system's id [default: the app's own name, else its "
                   "module's].")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the design here instead of standard output.")
def import_(sources: dict[str, Any], system_id: str | None, output: Path | None) -> None:
    """Write a first .loop design of an app.

    One system, named after the app (the graph's or root agent's own name,
    else the module's): a node per code node, its role from the node's
    metadata {"loopdsl": {"role": ...}} (Burr: an action tag `loopdsl:ROLE`),
    else from what the framework says (a tool, ToolNode or MCP server is an
    interface; a node that calls LangGraph's interrupt() is feedback; an LLM
    agent is a model), else model, marked as guessed; `impl` where the code
    name is not a valid id; the code's entry as `entry`; a flow per edge (one
    per possible target of a conditional edge, labelled with the condition;
    self-edges too); a loop per cycle, named after its entry node, with the
    bound the app states. The header lists the guessed roles and what
    `check` reports on the design, with the next step for each code. `drift`
    of the result against the same app reports nothing.
    """
    from loopdsl.app.drift import Source, code_graph, first_design
    from loopdsl.cli.output import emit

    code = code_graph(Source.chosen(sources))
    emit(first_design(code, system_id), output, announce=output is not None,
         inputs=[Path(s) for s in code.sources])


@click.command()
@source_options
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the JSON here instead of standard output.")
def graph(sources: dict[str, Any], output: Path | None) -> None:
    """Write the graph an app builds as agent-graph JSON.

    The graph `drift` compares: nodes (id, kind, role, subgraph), edges
    (source, target, conditional, label), the nodes whose branch targets are
    unknown, the bounds the app states, its entry and its routers' literal
    returns. `loopdsl schema --graph` prints its JSON Schema. Commit it, or
    write it in CI, and `drift --graph-json FILE` compares it with no import
    of the app; given --graph-json (LangGraph's own JSON), it converts it.
    """
    from loopdsl.app.drift import Source, code_graph, graph_json
    from loopdsl.cli.output import emit

    code = code_graph(Source.chosen(sources))
    emit(graph_json(code), output, announce=output is not None,
         inputs=[Path(s) for s in code.sources])
