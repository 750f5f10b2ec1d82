"""Workspace -> findings: structural diagnostics, then the rules."""

from __future__ import annotations

from loopdsl.config import Config
from loopdsl.model import Diagnostic, Workspace


def lint(workspace: Workspace, config: Config | None = None) -> list[Diagnostic]:
    """Every finding for ``workspace`` under ``config``, in output order.

    A file with a syntax error reports its LD001 findings only: a half-parsed
    file would otherwise produce misleading findings.
    """
    findings = list(workspace.diagnostics)
    broken = {f.path for f in workspace.files if f.syntax_error}
    if broken:
        findings = [d for d in findings if d.code == "LD001" or d.span.file not in broken]
    return sorted(findings, key=lambda d: d.sort_key)
