"""Diagnostics -> text for people and machines. One function per format,
registered by name and imported only when chosen.

A format is a pure function of (findings, registry, options): it prints
nothing and reads no environment variable, current directory or ``.git``;
the CLI gathers those once and puts them in ``ReportOptions``.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from loopdsl.model import Diagnostic, Severity

if TYPE_CHECKING:
    from loopdsl.linter.registry import Registry


@dataclass(frozen=True, slots=True)
class ReportOptions:
    """What a format may need besides the findings and the registry."""

    sources: Mapping[str, str] = field(default_factory=dict)  # file -> text, for source lines
    files: int = 0  # files checked, for the summary
    color: bool = False
    quiet: bool = False
    baselined: int = 0  # findings a baseline let pass, for the summary
    annotate: bool = False  # text: add GitHub annotations (the run is inside GitHub Actions)
    cwd: Path = Path(".")  # what the findings' file names are relative to
    repo_root: Path = Path(".")  # what SARIF and annotation paths are relative to
    notes: tuple[str, ...] = ()  # text: said once before the summary (rules skipped, ...)


def repo_path(file: str, options: ReportOptions) -> str:
    """A finding's file relative to the repository root, in posix form."""
    absolute = Path(os.path.normpath(options.cwd / file))
    try:
        return absolute.relative_to(options.repo_root).as_posix()
    except ValueError:
        return os.path.relpath(absolute, options.repo_root).replace(os.sep, "/")


def summary(diagnostics: list[Diagnostic], files: int, baselined: int = 0) -> str:
    """``3 problems (2 errors, 1 warning) in 4 files``."""
    where = f"in {files} file{'s' if files != 1 else ''}"
    if baselined:
        where += f" ({baselined} more in the baseline)"
    if not diagnostics:
        return f"no problems {where}"
    counts = []
    for sev in Severity:
        n = sum(1 for d in diagnostics if d.severity == sev)
        if n:
            counts.append(f"{n} {sev.value}{'s' if n != 1 else ''}")
    n = len(diagnostics)
    return f"{n} problem{'s' if n != 1 else ''} ({', '.join(counts)}) {where}"


Formatter = Callable[[list[Diagnostic], "Registry", ReportOptions], str]

FORMATS: dict[str, str] = {
    "text": "loopdsl.report.text:format_text",
    "concise": "loopdsl.report.text:format_concise",
    "json": "loopdsl.report.machine:format_json",
    "sarif": "loopdsl.report.sarif:format_sarif",
    "github": "loopdsl.report.github:format_github",
}


def formatter(name: str) -> Formatter:
    """The format function registered as ``name``."""
    try:
        module, func = FORMATS[name].split(":")
    except KeyError:
        raise ValueError(f"unknown format '{name}' (known: {', '.join(FORMATS)})") from None
    fn: Formatter = getattr(importlib.import_module(module), func)
    return fn
