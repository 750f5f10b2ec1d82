"""Diagnostics reported by the stages before the rule engine (the parser,
the loader, the resolver, the suppression pass): built with the name and
default severity their code has in the rule registry."""

from __future__ import annotations

from loopdsl.model import Diagnostic, Related, Severity, Span


def structural(
    code: str,
    message: str,
    span: Span,
    *,
    help: str | None = None,
    related: list[Related] | None = None,
    element: str | None = None,
) -> Diagnostic:
    """A diagnostic of a built-in code, named and graded as its rule file says."""
    # Imported here: most files have no problem, and loading needs no registry.
    from loopdsl.linter.registry import describe

    rule = describe(code)
    return Diagnostic(
        code=code, name=rule.name, severity=Severity(rule.default_severity), message=message,
        span=span, help=help, related=related or [], element=element,
    )


def did_you_mean(word: str, candidates: list[str] | set[str]) -> str | None:
    """``"did you mean 'drafter'?"`` for the closest candidate, if one is close."""
    import difflib  # only paid for when a reference is wrong

    match = difflib.get_close_matches(word, sorted(candidates), n=1, cutoff=0.6)
    return f"did you mean '{match[0]}'?" if match else None
