"""`loopdsl render` and `loopdsl doc`: diagrams and review documents."""

from __future__ import annotations

from pathlib import Path

import click

from loopdsl.cli.options import DIRECTION, config_option, traces_option

_RENDER_SUFFIXES = {".dot": "dot", ".gv": "dot", ".svg": "svg", ".png": "png", ".pdf": "pdf",
                    ".mmd": "mermaid", ".mermaid": "mermaid"}
_DOC_SUFFIXES = {".md": "md", ".markdown": "md", ".html": "html", ".htm": "html"}
_SETTINGS = "Read settings from this file instead of the nearest one."
_DRAWN = ("Draw what the runs in these traces did: each flow labelled with how often runs "
          "took it, nodes and flows no run reached faded, each loop's observed turns and "
          "latency in the legend. Traces")


@click.command()
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
@DIRECTION
@traces_option(_DRAWN)
@config_option(_SETTINGS)
def render(file: str, fmt: str | None, output: Path | None, loop_id: str | None,
           findings: bool, direction: str, traces: tuple[Path, ...],
           config_file: Path | None) -> None:
    """Draw FILE's workspace (or one loop) as a diagram.

    Roles have their own shape and colour, each loop's flows share a colour,
    flows leaving feedback are dashed, and systems become clusters. A
    workspace with errors (LD001 to LD006) is not drawn: the errors are
    printed on stderr, exit code 1.
    """
    from loopdsl.app.diagrams import drawing
    from loopdsl.cli.output import beside, emit, format_for

    fmt = format_for(fmt, output, _RENDER_SUFFIXES, "svg")
    drawn = drawing(file, fmt, loop_id=loop_id, findings=findings, direction=direction,
                    config_file=config_file, traces=traces)
    emit(drawn.data, output or beside(file, {"mermaid": ".mmd"}.get(fmt, f".{fmt}")),
         announce=True, inputs=drawn.inputs)


@click.command()
@click.argument("file", type=click.Path(path_type=str))
@click.option("-f", "--format", "fmt", type=click.Choice(["md", "html"]),
              help="md: GitHub-flavoured Markdown with the diagram as a Mermaid block; html: "
                   "one self-contained file with the diagram as inline SVG (Mermaid source "
                   "when Graphviz's `dot` is missing). Default: the extension of -o (.md, "
                   ".html), else md.")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
              help="Where to write; `-` for standard output. Default: FILE's name with .md "
                   "or .html, beside FILE.")
@DIRECTION
@traces_option(_DRAWN)
@config_option(_SETTINGS)
def doc(file: str, fmt: str | None, output: Path | None, direction: str,
        traces: tuple[Path, ...], config_file: Path | None) -> None:
    """Write a design-review document for FILE's workspace.

    It holds the systems and owners, the diagram, each loop (its cycle, whether
    it closes and learns, latency against budget), nodes by role, flows,
    findings by severity and a review checklist drawn from the rules. A
    workspace with errors (LD001 to LD006) gets no document: the errors are
    printed on stderr, exit code 1.
    """
    from loopdsl.app.review import document
    from loopdsl.cli.output import beside, emit, format_for, warn

    fmt = format_for(fmt, output, _DOC_SUFFIXES, "md")
    written = document(file, fmt, direction=direction, config_file=config_file,
                       traces=traces)
    for line in written.warnings:
        warn(line)
    emit(written.text, output or beside(file, f".{fmt}"), announce=True, inputs=written.inputs)
