"""Suppression comments (SPEC §5): ``# loopdsl: ignore[LD108]`` on a line,
``# loopdsl: ignore-file[LD201]`` for a file, a bare ``# loopdsl: ignore``
for everything on its line; LD007 for what suppressed nothing."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from loopdsl.diagnostics import structural
from loopdsl.model import Diagnostic, Span, Workspace

_DIRECTIVE = re.compile(r"loopdsl:\s*(ignore-file|ignore)\b(?:\[([^\]]*)\])?")


@dataclass(slots=True)
class _Directive:
    span: Span
    whole_file: bool
    selectors: list[str]  # empty: everything (bare ignore)
    used: set[str] = field(default_factory=set)


def apply_suppressions(workspace: Workspace, findings: list[Diagnostic],
                       report_unused: bool) -> list[Diagnostic]:
    """Drop suppressed findings; add LD007 for selectors that matched nothing."""
    directives: dict[str, list[_Directive]] = {}
    for f in workspace.files:
        for comment in f.comments:
            m = _DIRECTIVE.search(comment.text)
            if not m:
                continue
            selectors = [s.strip() for s in (m.group(2) or "").split(",") if s.strip()]
            directives.setdefault(f.path, []).append(
                _Directive(comment.span, m.group(1) == "ignore-file", selectors))
    if not directives:
        return findings
    kept = []
    for d in findings:
        hit = False
        for directive in directives.get(d.span.file, []):
            if not directive.whole_file and directive.span.line != d.span.line:
                continue
            if not directive.selectors:
                directive.used.add("")
                hit = True
            for sel in directive.selectors:
                if sel in (d.code, d.name):
                    directive.used.add(sel)
                    hit = True
        if not hit:
            kept.append(d)
    if report_unused:
        for file_directives in directives.values():
            for directive in file_directives:
                kept.extend(_unused(directive))
    return kept


def _unused(directive: _Directive) -> list[Diagnostic]:
    kind = "ignore-file" if directive.whole_file else "ignore"
    if not directive.selectors:
        if directive.used:
            return []
        return [structural("LD007", f"'loopdsl: {kind}' suppressed nothing",
                           directive.span, help="remove the comment")]
    return [structural("LD007", f"'{sel}' in 'loopdsl: {kind}' suppressed nothing",
                       directive.span, help=f"remove '{sel}' from the comment")
            for sel in directive.selectors if sel not in directive.used]
