"""Formats for programs: json (the ten documented keys, nothing more)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from loopdsl.model import Diagnostic
from loopdsl.printable import json_safe
from loopdsl.report import ReportOptions

if TYPE_CHECKING:
    from loopdsl.linter.registry import Registry


def as_record(d: Diagnostic) -> dict[str, object]:
    """A finding as the documented JSON object (docs/commands.md)."""
    s = d.span
    return {
        "code": d.code,
        "name": d.name,
        "severity": d.severity.value,
        "message": d.message,
        "file": s.file,
        "line": s.line,
        "column": s.column,
        "end_line": s.end_line,
        "end_column": s.end_column,
        "help": d.help,
    }


def format_json(diagnostics: list[Diagnostic], registry: Registry,
                options: ReportOptions) -> str:
    """A JSON array, one object per finding, in output order."""
    return json_safe(json.dumps([as_record(d) for d in diagnostics], indent=2,
                                ensure_ascii=False)) + "\n"
