"""Diagnostics reported by the stages before the rule engine (the parser,
the loader, the resolver, the suppression pass, drift): built with the name
and default severity their code's rule file gives it; and the "did you
mean" hint every stage offers for a misspelt name."""

from __future__ import annotations

from loopdsl.codes import describe
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
    rule = describe(code)
    return Diagnostic(
        code=code, name=rule.name, severity=Severity(rule.severity), message=message,
        span=span, help=help, related=related or [], element=element,
    )


def reported(code: str, span: Span, *, element: str | None = None,
             related: list[Related] | None = None, **values: object) -> Diagnostic:
    """A diagnostic of a built-in code whose message and help are its rule
    file's templates, filled with ``values``: the words live in the rule file
    only, where ``explain`` and docs/rules.md show them too."""
    rule = describe(code)
    assert rule.message is not None, f"{code} has no message template"
    return structural(code, rule.message.format(**values), span,
                      help=rule.help.format(**values) if rule.help else None,
                      related=related, element=element)


def did_you_mean(word: str, candidates: list[str] | set[str]) -> str | None:
    """``"did you mean 'drafter'?"`` for the closest candidate, if one is close."""
    import difflib  # only paid for when a reference is wrong

    match = difflib.get_close_matches(word, sorted(candidates), n=1, cutoff=0.6)
    return f"did you mean '{match[0]}'?" if match else None
