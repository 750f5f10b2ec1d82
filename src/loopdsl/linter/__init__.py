"""Workspace -> findings: structural diagnostics, the rules, configuration
and suppression comments, in output order."""

from __future__ import annotations

from typing import TYPE_CHECKING

from loopdsl.config import Config
from loopdsl.model import Diagnostic, Workspace

if TYPE_CHECKING:
    from loopdsl.linter.registry import Registry


def lint(workspace: Workspace, config: Config | None = None) -> list[Diagnostic]:
    """Every finding for ``workspace`` under ``config`` (default settings when
    None), sorted by file, line, column and code."""
    from loopdsl.linter.registry import build

    return lint_with(workspace, build(config))


def lint_with(workspace: Workspace, registry: Registry) -> list[Diagnostic]:
    """``lint`` with the run's registry already built.

    A file with a syntax error reports its LD001 findings only: a half-parsed
    file would otherwise produce misleading findings.
    """
    from loopdsl.linter.engine import run_rules
    from loopdsl.linter.suppress import apply_suppressions
    from loopdsl.loader import paused_gc

    findings = [d for d in workspace.diagnostics if registry.enabled(d.code)]
    with paused_gc():
        findings += run_rules(workspace, registry)
    findings = apply_suppressions(workspace, findings, registry)
    broken = {f.path for f in workspace.files if f.syntax_error}
    if broken:
        findings = [d for d in findings if d.code == "LD001" or d.span.file not in broken]
    findings = [registry.grade(d) for d in findings]
    return sorted(findings, key=lambda d: d.sort_key)
