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

from loopdsl.model import Diagnostic

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


def repo_path(file: str, options: ReportOptions) -> str:
    """A finding's file relative to the repository root, in posix form."""
    absolute = Path(os.path.normpath(options.cwd / file))
    try:
        return absolute.relative_to(options.repo_root).as_posix()
    except ValueError:
        return os.path.relpath(absolute, options.repo_root).replace(os.sep, "/")


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
