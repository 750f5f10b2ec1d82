"""Diagnostics -> text for people and machines. One function per format,
registered by name and imported only when chosen; none of them prints."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from loopdsl.config import Config
from loopdsl.model import Diagnostic, Workspace


@dataclass(frozen=True, slots=True)
class ReportContext:
    """What a format may need besides the findings."""

    workspace: Workspace
    color: bool = False
    quiet: bool = False
    config: Config | None = None  # the run's settings: which rules were on
    baselined: int = 0  # findings a baseline let pass, for the summary


Formatter = Callable[[list[Diagnostic], ReportContext], str]

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
