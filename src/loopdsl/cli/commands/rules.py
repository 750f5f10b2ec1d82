"""`loopdsl rules` and `loopdsl explain`: the rule catalog."""

from __future__ import annotations

from pathlib import Path

import click

from loopdsl.cli.options import config_option

_RULE_PATHS = "Read rule-paths from this file instead of the nearest one."


@click.command()
@click.option("--format", "-f", "fmt", default="table", show_default=True,
              type=click.Choice(["table", "json", "markdown"]),
              help="table for reading, json for programs, markdown for the rule reference "
                   "(docs/rules.md is this output).")
@config_option(_RULE_PATHS)
def rules(fmt: str, config_file: Path | None) -> None:
    """List every rule: code, name, default severity, summary and origin.

    Origin is `builtin` or the path of a team's rule file (from rule-paths).
    Structural diagnostics LD001-LD007 come from the parser and resolver and
    are listed too, as are drift's LD301-LD309 and conform's LD401-LD406.
    """
    from loopdsl.app.workspace import catalog
    from loopdsl.linter.catalog import to_json, to_markdown, to_table
    from loopdsl.printable import printable

    render = {"table": to_table, "json": to_json, "markdown": to_markdown}[fmt]
    click.echo(printable(render(catalog(config_file))), nl=False)


@click.command()
@click.argument("rule")
@config_option(_RULE_PATHS)
def explain(rule: str, config_file: Path | None) -> None:
    """Explain RULE (a code such as LD101 or a name such as model-without-context):
    why it exists, what it checks, and an example that triggers it and one that
    does not."""
    from loopdsl.app.workspace import catalog
    from loopdsl.cli.output import UserError
    from loopdsl.linter.catalog import explain_text
    from loopdsl.printable import printable

    registry = catalog(config_file)
    match = registry.lookup(rule)
    if match is None:
        hint = registry.suggest(rule)
        raise UserError(f"unknown rule '{rule}'" + (f"; {hint}" if hint else "")
                        + " (see `loopdsl rules`)")
    click.echo(printable(explain_text(match, registry)), nl=False)
