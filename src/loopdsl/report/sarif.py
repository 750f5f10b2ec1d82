"""SARIF 2.1.0 for GitHub code scanning and other SARIF consumers.

One run; the driver lists every rule enabled in this run (the codes of the
parser and resolver and the rules, team rules included) with the
documentation from its rule file. Locations are relative to the repository
root the CLI found, and each result carries a fingerprint built from its
code, file and element, so it stays the same when unrelated lines move.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from typing import Any
from urllib.parse import quote

from loopdsl import __version__
from loopdsl.linter.registry import Registry, filled
from loopdsl.model import Diagnostic, Severity, Span
from loopdsl.printable import json_safe
from loopdsl.report import ReportOptions, repo_path

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
INFORMATION_URI = "https://pypi.org/project/loopdsl/"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def artifact_uri(file: str, options: ReportOptions) -> str:
    """A file's URI reference relative to the repository root."""
    return quote(repo_path(file, options), safe="/")


def _region(s: Span) -> dict[str, int]:
    return {"startLine": s.line, "startColumn": s.column,
            "endLine": s.end_line, "endColumn": s.end_column}


def _location(s: Span, options: ReportOptions) -> dict[str, Any]:
    return {"physicalLocation": {
        "artifactLocation": {"uri": artifact_uri(s.file, options), "uriBaseId": "%SRCROOT%"},
        "region": _region(s),
    }}


def rule_descriptors(registry: Registry) -> list[dict[str, Any]]:
    """``tool.driver.rules``: every rule enabled in this run."""
    out = []
    for rule in registry.rules:
        if not registry.enabled(rule.code):
            continue
        spec = rule.spec
        rationale = " ".join(spec.rationale.split()) if spec.rationale else ""
        fix = filled(spec.help) if spec.help else ""
        refs = spec.references
        cited = "References: " + "; ".join(f"{r.id} <{r.url}>" for r in refs) if refs else ""
        text = "\n\n".join(x for x in (rationale or rule.summary, fix and f"Fix: {fix}",
                                        cited) if x)
        markdown = f"**{rule.code} {rule.name}**: {rule.summary}."
        if rationale:
            markdown += f"\n\n{rationale}"
        if fix:
            markdown += f"\n\n**Fix:** {fix}"
        if refs:
            markdown += "\n\n**References:** " + "; ".join(f"[{r.id}]({r.url})" for r in refs)
        for ex in spec.examples:
            title = "Triggers it" if ex.expect == "finding" else "Does not trigger it"
            markdown += f"\n\n{title}:\n\n```\n{ex.source.strip()}\n```"
        out.append({
            "id": rule.code,
            "name": rule.name,
            "shortDescription": {"text": rule.summary},
            "fullDescription": {"text": rationale or rule.summary},
            "help": {"text": text, "markdown": markdown},
            "defaultConfiguration": {"level": _LEVEL[registry.severity[rule.code]]},
            "properties": {"origin": rule.origin,
                           **({"tags": [r.id for r in refs]} if refs else {})},
        })
    return out


def fingerprints(diagnostics: list[Diagnostic], options: ReportOptions) -> list[str]:
    """A stable identity per finding: code, file and element (its message
    when it has no element), numbered among equals; no line numbers."""
    seen: Counter[tuple[str, str, str]] = Counter()
    out = []
    for d in diagnostics:
        key = (d.code, artifact_uri(d.span.file, options), d.element or d.message)
        seen[key] += 1
        raw = "\0".join([*key, str(seen[key])])
        out.append(hashlib.sha256(raw.encode()).hexdigest()[:32])
    return out


def format_sarif(diagnostics: list[Diagnostic], registry: Registry,
                 options: ReportOptions) -> str:
    """A SARIF 2.1.0 log with one run."""
    rules = rule_descriptors(registry)
    index = {r["id"]: i for i, r in enumerate(rules)}
    results = []
    for d, fp in zip(diagnostics, fingerprints(diagnostics, options), strict=True):
        result: dict[str, Any] = {
            "ruleId": d.code,
            "level": _LEVEL[d.severity],
            "message": {"text": d.message + (f"\n{d.help}" if d.help and d.help not in d.message
                                             else "")},
            "locations": [_location(d.span, options)],
            "partialFingerprints": {"loopdslFindingHash/v1": fp},
        }
        if d.code in index:
            result["ruleIndex"] = index[d.code]
        if d.related:
            result["relatedLocations"] = [
                {"id": i, **_location(r.span, options), "message": {"text": r.message}}
                for i, r in enumerate(d.related)]
        results.append(result)
    log = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "loopdsl",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": INFORMATION_URI,
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }
    return json_safe(json.dumps(log, indent=2, ensure_ascii=False)) + "\n"
