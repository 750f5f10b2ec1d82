"""GitHub Actions workflow commands: one ``::error``/``::warning``/``::notice``
annotation per finding, then a plain summary (GitHub shows only the first
few annotations of a step). Files are named relative to the repository root,
as GitHub needs to place them whatever folder the step runs in."""

from __future__ import annotations

from typing import TYPE_CHECKING

from loopdsl.model import Diagnostic, Severity
from loopdsl.printable import printable
from loopdsl.report import ReportOptions, repo_path, summary

if TYPE_CHECKING:
    from loopdsl.linter.registry import Registry

_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(text: str) -> str:
    """A message: '%', CR and LF are encoded (the runner decodes them)."""
    return printable(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A property value: as data, plus ':' and ','."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(d: Diagnostic, options: ReportOptions) -> str:
    """The workflow command for one finding."""
    s = d.span
    props = {
        "file": repo_path(s.file, options), "line": s.line, "col": s.column,
        "endLine": s.end_line, "endColumn": s.end_column, "title": f"{d.code} {d.name}",
    }
    head = ",".join(f"{k}={escape_property(str(v))}" for k, v in props.items())
    message = d.message + (f"\nhelp: {d.help}" if d.help and d.help not in d.message else "")
    return f"::{_COMMAND[d.severity]} {head}::{escape_data(message)}"


def annotation_lines(diagnostics: list[Diagnostic], options: ReportOptions) -> str:
    """Every finding as an annotation line."""
    return "".join(annotation(d, options) + "\n" for d in diagnostics)


def format_github(diagnostics: list[Diagnostic], registry: Registry,
                  options: ReportOptions) -> str:
    """Annotations, then the summary line."""
    return annotation_lines(diagnostics, options) + summary(
        diagnostics, options.files, options.baselined) + "\n"
