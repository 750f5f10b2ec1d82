"""Workspace -> findings: structural diagnostics, the rules, configuration
and suppression comments, in output order."""

from __future__ import annotations

from collections.abc import Mapping

from loopdsl.config import Config
from loopdsl.model import Diagnostic, Severity, Workspace


def lint(workspace: Workspace, config: Config | None = None) -> list[Diagnostic]:
    """Every finding for ``workspace`` under ``config`` (default settings when
    None), sorted by file, line, column and code.

    A file with a syntax error reports its LD001 findings only: a half-parsed
    file would otherwise produce misleading findings.
    """
    from loopdsl.linter.engine import run_rules
    from loopdsl.linter.ruleset import active_rules
    from loopdsl.linter.suppress import apply_suppressions
    from loopdsl.loader import paused_gc

    active = active_rules(config if config is not None else Config.defaults())
    findings = [d for d in workspace.diagnostics if d.code in active.severity]
    with paused_gc():
        findings += run_rules(workspace, active.rules, active.severity)
    findings = apply_suppressions(workspace, findings, report_unused="LD007" in active.severity)
    broken = {f.path for f in workspace.files if f.syntax_error}
    if broken:
        findings = [d for d in findings if d.code == "LD001" or d.span.file not in broken]
    findings = [_graded(d, active.severity) for d in findings]
    return sorted(findings, key=lambda d: d.sort_key)


def _graded(d: Diagnostic, severity: Mapping[str, Severity]) -> Diagnostic:
    sev = severity.get(d.code)
    return d if sev is None or sev == d.severity else d.model_copy(update={"severity": sev})
