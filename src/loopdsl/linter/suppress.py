"""Suppression comments: ``# loopdsl: ignore[LD108]`` on a line,
``# loopdsl: ignore-file[LD201]`` for a file, a bare ``# loopdsl: ignore``
for everything on its line; LD007 for what suppressed nothing.

A directive is a comment of its own: ``loopdsl:`` right after a ``#`` and
spaces (``# why: see  # loopdsl: ignore[LD108]`` has one; prose that
mentions "loopdsl: ignore" has none). Codes and names are looked up in the
registry, so case and former names do not matter. Nothing suppresses LD001.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from loopdsl.diagnostics import structural
from loopdsl.linter.registry import Registry
from loopdsl.model import Diagnostic, Span, Workspace

# Where a directive starts, and what a well-formed one is: a verb, then a
# list of codes in brackets, or nothing more (a bare `ignore`).
_START = re.compile(r"#\s*loopdsl:", re.IGNORECASE)
_DIRECTIVE = re.compile(r"#\s*loopdsl:\s*(ignore-file|ignore)(?:\s*\[([^\]]*)\]|\s*(?=$|#))",
                        re.IGNORECASE)
_VERB = re.compile(r"\s*([\w-]*)\s*(.*)", re.DOTALL)
_NEVER = "LD001"  # a file that does not parse fails the run, whatever it says


@dataclass(slots=True)
class _Directive:
    span: Span
    whole_file: bool
    selectors: list[str] | None  # None: bare, everything on the line
    codes: dict[str, str] = field(default_factory=dict)  # code -> selector naming it
    used: set[str] = field(default_factory=set)  # selectors (or "" for bare) that hit

    @property
    def kind(self) -> str:
        return "ignore-file" if self.whole_file else "ignore"


def apply_suppressions(workspace: Workspace, findings: list[Diagnostic],
                       registry: Registry, *, report_unused: bool = True) -> list[Diagnostic]:
    """Drop suppressed findings; add LD007 for what suppressed nothing (unless
    ``report_unused`` is off: `drift` sees only its own findings, so the
    directives meant for `check`'s rules suppress nothing there)."""
    on_line: dict[tuple[str, int], list[_Directive]] = {}
    on_file: dict[str, list[_Directive]] = {}
    every: list[_Directive] = []
    malformed: list[Diagnostic] = []
    for f in workspace.files:
        for comment in f.comments:
            m = None
            for start in _START.finditer(comment.text):
                m = _DIRECTIVE.match(comment.text, start.start())
                if m:
                    break
                malformed.append(structural(
                    "LD007", _what_is_wrong(comment.text[start.end():]), comment.span,
                    help="write `# loopdsl: ignore[CODE, ...]` for this line, "
                         "`# loopdsl: ignore-file[CODE, ...]` for the file"))
            if not m:
                continue
            listed = m.group(2)
            selectors = None if listed is None else [
                s.strip() for s in listed.split(",") if s.strip()]
            directive = _Directive(comment.span, m.group(1).lower() == "ignore-file", selectors)
            for sel in selectors or []:
                rule = registry.lookup(sel)
                if rule is not None and rule.spec.status != "removed":
                    directive.codes.setdefault(rule.code, sel)
            every.append(directive)
            if directive.whole_file:
                on_file.setdefault(f.path, []).append(directive)
            else:
                on_line.setdefault((f.path, comment.span.line), []).append(directive)
    if not every:
        return findings + malformed if report_unused and registry.enabled("LD007") \
            else findings
    kept = []
    for d in findings:
        hit = False
        if d.code != _NEVER:
            for directive in (*on_line.get((d.span.file, d.span.line), ()),
                              *on_file.get(d.span.file, ())):
                if directive.selectors is None:
                    directive.used.add("")
                    hit = True
                elif d.code in directive.codes:
                    directive.used.add(directive.codes[d.code])
                    hit = True
        if not hit:
            kept.append(d)
    if report_unused and registry.enabled("LD007"):
        for directive in every:
            kept.extend(_unused(directive, registry))
        kept += malformed
    return kept


def _what_is_wrong(rest: str) -> str:
    """Why a comment that starts like a directive (``# loopdsl:``) is none;
    ``rest`` is what follows ``loopdsl:``."""
    verb, after = _VERB.match(rest).groups()  # type: ignore[union-attr]
    if not verb:
        return "'# loopdsl:' names no directive, so it suppresses nothing"
    if verb.lower() not in ("ignore", "ignore-file"):
        return (f"unknown directive '{verb}' (loopdsl knows `ignore` and `ignore-file`), "
                "so it suppresses nothing")
    if after.startswith("[") and "]" not in after:
        return f"the list after '{verb}' has no closing ']', so it suppresses nothing"
    return f"the codes after '{verb}' must be in brackets, `{verb}[...]`, so it suppresses nothing"


def _unused(directive: _Directive, registry: Registry) -> list[Diagnostic]:
    where = f"'loopdsl: {directive.kind}'"
    if directive.selectors is None:
        if directive.used:
            return []
        return [structural("LD007", f"{where} suppressed nothing", directive.span,
                           help="remove the comment")]
    if not directive.selectors:
        return [structural("LD007", f"{where} with an empty list suppresses nothing",
                           directive.span,
                           help=f"name the codes to suppress, e.g. `{directive.kind}[LD108]`, "
                                "or remove the comment")]
    out = []
    for sel in dict.fromkeys(directive.selectors):
        if sel in directive.used:
            continue
        rule = registry.lookup(sel)
        if rule is None:
            hint = registry.suggest(sel)
            message = f"'{sel}' in {where} is not a rule code or name" + (
                f"; {hint}" if hint else "")
            help = hint or "see `loopdsl rules` for the codes and names"
        elif rule.spec.status == "removed":
            message = f"'{sel}' in {where} names a removed rule ({rule.code} {rule.name})"
            help = f"remove '{sel}' from the comment"
        elif rule.code == _NEVER:
            message = f"'{sel}' in {where}: a syntax error cannot be suppressed"
            help = f"remove '{sel}' from the comment and fix the text"
        else:
            message = f"'{sel}' in {where} suppressed nothing"
            help = f"remove '{sel}' from the comment"
        out.append(structural("LD007", message, directive.span, help=help))
    return out
