"""Formats for people: ``text`` (source line, caret, help, summary) and
``concise`` (one line per finding)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from loopdsl.model import Diagnostic, Severity
from loopdsl.printable import printable
from loopdsl.report import ReportOptions, summary

if TYPE_CHECKING:
    from loopdsl.linter.registry import Registry

_COLORS = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "blue"}


def clean(text: str) -> str:
    """User text made safe to print on a terminal."""
    return printable(text)


def format_concise(diagnostics: list[Diagnostic], registry: Registry,
                   options: ReportOptions) -> str:
    """``file:line:col: CODE message``, one per line."""
    return "".join(
        f"{clean(d.span.file)}:{d.span.line}:{d.span.column}: {d.code} {clean(d.message)}\n"
        for d in diagnostics
    )


def format_text(diagnostics: list[Diagnostic], registry: Registry,
                options: ReportOptions) -> str:
    """Each finding with its source line and a caret, then a summary line."""
    style = _Style(options.color)
    lines_of: dict[str, list[str]] = {}
    out: list[str] = []
    for d in diagnostics:
        file = d.span.file
        if file not in lines_of and file in options.sources:
            lines_of[file] = options.sources[file].split("\n")
        out.append(_one(d, lines_of.get(file), style))
    if options.annotate:
        # As yamllint's `auto` format: in a workflow, annotate the pull request too.
        from loopdsl.report.github import annotation_lines

        out.append(annotation_lines(diagnostics, options))
    if not options.quiet:
        out += [f"note: {clean(note)}\n" for note in options.notes]
        out.append(summary(diagnostics, options.files, options.baselined) + "\n")
    return "\n".join(x for x in out if x)


class _Style:
    def __init__(self, color: bool) -> None:
        self.color = color

    def __call__(self, text: str, **kw: object) -> str:
        return click.style(text, **kw) if self.color else text  # type: ignore[arg-type]


def _one(d: Diagnostic, lines: list[str] | None, style: _Style) -> str:
    s = d.span
    head = (
        f"{style(clean(s.file), bold=True)}:{s.line}:{s.column}: "
        f"{style(d.code, fg=_COLORS[d.severity], bold=True)} "
        f"[{style(d.severity.value, fg=_COLORS[d.severity])}] {clean(d.message)}"
    )
    out = [head]
    if lines is not None and 1 <= s.line <= len(lines):
        number = str(s.line)
        pad = " " * len(number)
        source = lines[s.line - 1]
        first = s.column - 1
        last = s.end_column - 1 if s.end_line == s.line else len(source)
        source, first, last = _window(source, first, max(last, first + 1))
        shown, start = _expand(source, first)
        _, stop = _expand(source, last)
        marks = "^" * max(stop - start, 1)
        out.append(f" {pad} |")
        out.append(f" {number} | {clean(shown)}")
        out.append(f" {pad} | {' ' * start}{style(marks, fg=_COLORS[d.severity])} {d.name}")
    else:
        out.append(f"  = {d.name}")
    for r in d.related:
        rs = r.span
        out.append(f"  = note: {clean(r.message)} at {clean(rs.file)}:{rs.line}:{rs.column}")
    if d.help and d.help not in d.message:
        out.append(f"  = help: {clean(d.help)}")
    return "\n".join(out) + "\n"


WINDOW = 160  # characters of a long source line shown around a finding


def _window(line: str, first: int, last: int) -> tuple[str, int, int]:
    """A long line cut to the part around columns ``first:last`` (as ruff
    does), each cut marked with '…'; the columns moved to match. A design on
    one line of a megabyte is shown in a few hundred characters per finding."""
    if len(line) <= WINDOW:
        return line, first, last
    last = min(last, first + WINDOW - 40)  # a span too long to show whole is cut too
    begin = max(0, min(first - 40, len(line) - WINDOW))
    end = min(len(line), begin + WINDOW)
    head = "…" if begin > 0 else ""
    tail = "…" if end < len(line) else ""
    shift = len(head) - begin
    return head + line[begin:end] + tail, first + shift, last + shift


def _expand(line: str, index: int) -> tuple[str, int]:
    """The line with tabs expanded, and where character ``index`` lands."""
    prefix = line[:index].expandtabs(4)
    return line.expandtabs(4), len(prefix)
