"""`loopdsl export`, `loopdsl schema` and `loopdsl init`: the model as
data, and a workspace to start from."""

from __future__ import annotations

from pathlib import Path

import click

from loopdsl.cli.options import config_option


@click.command()
@click.argument("file", type=click.Path(path_type=str))
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the JSON here instead of standard output.")
@config_option("Read settings from this file instead of the nearest one.")
def export(file: str, output: Path | None, config_file: Path | None) -> None:
    """Write the resolved workspace of FILE (and its imports) as JSON.

    The JSON follows `loopdsl schema`. When the workspace has errors (LD001 to
    LD006) nothing is written: the errors are printed on stderr, exit code 1.
    """
    from loopdsl.app.workspace import design
    from loopdsl.cli.output import emit
    from loopdsl.printable import json_safe

    found = design(file, config_file)
    emit(json_safe(found.workspace.model_dump_json(indent=2)) + "\n", output,
         announce=output is not None and str(output) != "-", inputs=found.inputs())


@click.command()
@click.option("--graph", "agent_graph", is_flag=True,
              help="The schema of the agent-graph JSON that `loopdsl graph` writes and "
                   "`--graph-json` reads, instead.")
def schema(agent_graph: bool) -> None:
    """Print the JSON Schema of `loopdsl export`'s output (or, with --graph,
    of `loopdsl graph`'s)."""
    import json

    from loopdsl.model import Workspace

    if agent_graph:
        from loopdsl.app.drift import graph_schema

        click.echo(graph_schema(), nl=False)
        return
    doc = {"$schema": "https://json-schema.org/draft/2020-12/schema",
           **Workspace.model_json_schema(mode="serialization")}
    click.echo(json.dumps(doc, indent=2, sort_keys=True))


@click.command()
@click.argument("directory", default=".", type=click.Path(path_type=Path, file_okay=False))
def init(directory: Path) -> None:
    """Write a small example workspace and a loopdsl.toml into DIRECTORY.

    Refuses to overwrite existing files (exit code 2, nothing written).
    """
    from loopdsl.app.workspace import starter
    from loopdsl.cli.output import write

    for path, text in starter(directory):
        write(path, text)
        click.echo(f"wrote {path}")
    click.echo(f"next: cd {directory} && loopdsl check")
