"""The structural diagnostics (LD001-LD007), produced by the parser, the
resolver and the suppression pass rather than by rule files."""

from __future__ import annotations

from loopdsl.model import Diagnostic, Related, Severity, Span

STRUCTURAL: dict[str, tuple[str, Severity, str]] = {
    "LD001": ("syntax-error", Severity.ERROR, "the text does not parse"),
    "LD002": ("undefined-reference", Severity.ERROR,
              "a flow names an unknown node or system"),
    "LD003": ("duplicate-definition", Severity.ERROR,
              "an id or attribute key defined twice in its scope"),
    "LD004": ("unknown-kind", Severity.ERROR,
              "a node or kind uses a kind that is not declared"),
    "LD005": ("import-error", Severity.ERROR, "missing, absolute or outside-root import"),
    "LD006": ("invalid-attribute", Severity.ERROR,
              "a typed attribute has the wrong type or a negative number"),
    "LD007": ("unused-suppression", Severity.INFO,
              "a suppression comment that suppressed nothing"),
}


def structural(
    code: str,
    message: str,
    span: Span,
    *,
    help: str | None = None,
    related: list[Related] | None = None,
    element: str | None = None,
) -> Diagnostic:
    """A structural diagnostic with its table name and severity."""
    name, severity, _ = STRUCTURAL[code]
    return Diagnostic(
        code=code, name=name, severity=severity, message=message, span=span,
        help=help, related=related or [], element=element,
    )


def did_you_mean(word: str, candidates: list[str] | set[str]) -> str | None:
    """``"did you mean 'drafter'?"`` for the closest candidate, if one is close."""
    import difflib  # only paid for when a reference is wrong

    match = difflib.get_close_matches(word, sorted(candidates), n=1, cutoff=0.6)
    return f"did you mean '{match[0]}'?" if match else None
