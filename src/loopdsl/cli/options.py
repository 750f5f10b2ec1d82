"""Options several commands share, each defined once."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

_F = TypeVar("_F", bound=Callable[..., Any])


def options(*chosen: Callable[[Any], Any]) -> Callable[[_F], _F]:
    """One decorator applying several click options, in the order given."""
    def apply(command: _F) -> _F:
        for option in reversed(chosen):
            command = option(command)
        return command
    return apply


def config_option(help: str = "Read settings from this loopdsl.toml or pyproject.toml "
                              "instead of the nearest one above each path."
                  ) -> Callable[[_F], _F]:
    return click.option("--config", "config_file",
                        type=click.Path(path_type=Path, dir_okay=False), help=help)


FAIL_ON = click.Choice(["error", "warning", "info"])

# The options of every command that reports findings (`check`, `drift`).
findings_options = options(
    click.option("--format", "-f", "fmt", default="text", show_default=True,
                 type=click.Choice(["text", "concise", "json", "sarif", "github"]),
                 help="How findings are written: text (source and caret; in GitHub Actions "
                      "also annotations), concise (file:line:col: CODE message), json (an array "
                      "of objects), sarif (SARIF 2.1.0 for code scanning), github (workflow "
                      "annotations and a summary)."),
    click.option("--select", "select", multiple=True, metavar="CODES",
                 help="Check only these rules: codes, names or prefixes, comma-separated "
                      "(replaces select and extend-select of the configuration)."),
    click.option("--ignore", "ignore", multiple=True, metavar="CODES",
                 help="Do not check these rules: codes, names or prefixes, comma-separated "
                      "(added to the configuration's ignore)."),
    click.option("--fail-on", type=FAIL_ON,
                 help="Lowest severity that makes the exit code 1 [default: warning]."),
    config_option("Read settings from this loopdsl.toml or pyproject.toml instead of the "
                  "nearest one above the current directory."),
    click.option("--baseline", "baseline_file", type=click.Path(path_type=Path, dir_okay=False),
                 help="Let the findings recorded in this file pass (matched by code, file and "
                      "element, not line); fail only on new ones, and list recorded findings "
                      "that are gone."),
    click.option("--write-baseline", "write_baseline",
                 type=click.Path(path_type=Path, dir_okay=False),
                 help="Record today's findings in this file and exit 0."),
    click.option("--no-color", is_flag=True, help="Never colour the output (NO_COLOR works too)."),
    click.option("-q", "--quiet", is_flag=True, help="Print findings only, no summary line."),
)

# Where `drift`, `import` and `graph` read the app's graph: --app, a
# framework's own option (the same, with its type checked), or --graph-json.
_FRAMEWORK_OPTIONS = (
    ("langgraph", "LangGraph: a StateGraph or its compiled graph"),
    ("burr", "Burr: an Application or Graph"),
    ("openai-agents", "the OpenAI Agents SDK: the root Agent"),
    ("pydantic-graph", "pydantic-graph: a Graph or GraphBuilder"),
    ("llama-index", "LlamaIndex Workflows: a Workflow instance or class"),
    ("adk", "Google ADK: the root agent or a Workflow"),
)
SOURCE_KEYS = ("app", *(extra for extra, _ in _FRAMEWORK_OPTIONS), "graph_json")


def source_options(command: _F) -> _F:
    """The app's graph, by one of --app, --langgraph... or --graph-json:
    the command receives them as ``sources`` (option name -> value)."""
    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        sources = {key: kwargs.pop(key.replace("-", "_")) for key in SOURCE_KEYS}
        return command(*args, sources=sources, **kwargs)

    chosen = [
        click.option("--app", "app", metavar="MODULE:ATTR",
                     help="The graph, agent or application in your code, or a function taking "
                          "no arguments that builds it (app.graph:build_graph); its type says "
                          "which framework. The module is imported from the current "
                          "directory, so its code runs (install the framework's extra, e.g. "
                          "pip install 'loopdsl[langgraph]')."),
        *(click.option(f"--{extra}", extra.replace("-", "_"), metavar="MODULE:ATTR",
                       help=f"As --app, for {what} (pip install 'loopdsl[{extra}]').")
          for extra, what in _FRAMEWORK_OPTIONS),
        click.option("--graph-json", "graph_json",
                     type=click.Path(path_type=Path, dir_okay=False),
                     help="A graph in a file: what `loopdsl graph` writes, or LangGraph's "
                          "graph.get_graph().to_json() (plain or xray=True). Nothing of your "
                          "code runs, so CI needs no import of the app."),
    ]
    return options(*chosen)(run)  # type: ignore[return-value]


system_option = click.option(
    "--system", "system_id", metavar="ID",
    help="The design's system to compare (required when DESIGN has several).")

_TRACES_FORMAT = ("as OTLP/JSON, as the OpenTelemetry Collector's file exporter writes them "
                  "(one object per line, or one per file; .gz too). Repeat for more files; a "
                  "run may span several.")


def traces_option(help: str, *, required: bool = False) -> Callable[[_F], _F]:
    """``--traces FILE`` (repeatable): traces of real runs, OTLP/JSON."""
    return click.option("--traces", "traces", multiple=True, required=required,
                        type=click.Path(path_type=Path, dir_okay=False), metavar="FILE",
                        help=f"{help} {_TRACES_FORMAT}")


DIRECTION = click.option(
    "--direction", type=click.Choice(["auto", "LR", "TB"]), default="auto", show_default=True,
    help="Left to right, top to bottom, or auto: top to bottom when left to right would be "
         "much wider than tall.")
