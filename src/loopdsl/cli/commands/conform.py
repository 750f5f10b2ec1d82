"""`loopdsl conform`: the design against traces of real runs."""

from __future__ import annotations

from pathlib import Path

import click

from loopdsl.cli.options import findings_options, system_option, traces_option


@click.command()
@click.argument("design", type=click.Path(path_type=str))
@traces_option("Traces of real runs", required=True)
@system_option
@click.option("--report", "report", type=click.Path(path_type=Path, dir_okay=False),
              metavar="OUT", help="Also write the observed figures (per node, flow and loop) "
                                  "to OUT: .md, .json or .html.")
@findings_options
def conform(design: str, traces: tuple[Path, ...], system_id: str | None,
            report: Path | None, fmt: str, select: tuple[str, ...], ignore: tuple[str, ...],
            fail_on: str | None, config_file: Path | None, baseline_file: Path | None,
            write_baseline: Path | None, no_color: bool, quiet: bool) -> None:
    """Compare a system of DESIGN with traces of its real runs.

    A span is a visit of a design node when the first attribute present of
    loopdsl.node, graph.node.id, langgraph_node, gen_ai.agent.name (on an
    invoke_agent span), gen_ai.tool.name (on an execute_tool span),
    agent.name and tool.name names the node's `impl`, else its id; the spans
    of one trace are one run. Reports LD401-LD406 (nodes never run,
    transitions the design does not state, flows never taken, loops over
    their bound or their latency budget, latencies understated) at their
    place in DESIGN, in check's formats, with its selection, suppression,
    baseline and fail-on; and the errors that stop the comparison (LD001 to
    LD006 in DESIGN). Exit codes as check; 2 when the traces cannot be read.
    """
    from loopdsl.app.conform import conform as compare
    from loopdsl.app.conform import report_text
    from loopdsl.cli.output import finish, skipped, write

    if report is not None:
        report_text({"system": "", "runs": 0, "spans": 0, "visits": 0, "unmapped": [],
                     "nodes": [], "flows": [], "loops": []}, report)  # the format, first
    found = compare(design, traces, system_id=system_id, config_file=config_file,
                    select=select, ignore=ignore, fail_on=fail_on)
    skipped(found.checked)
    if report is not None and found.report is not None:
        write(report, report_text(found.report, report), inputs=found.inputs())
    finish(found.checked, found.findings, fmt=fmt, baseline_file=baseline_file,
           write_baseline=write_baseline, no_color=no_color, quiet=quiet,
           inputs=found.inputs())
