"""SARIF 2.1.0 for GitHub code scanning and other SARIF consumers.

One run; the driver lists every rule that could fire in this run (the
structural diagnostics and the enabled rules, team rules included) with the
documentation from its rule file. Locations are relative to the repository
root (the folder holding ``.git`` above the current directory, else the
current directory), and each result carries a fingerprint built from its
code, file and element, so it stays the same when unrelated lines move.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import quote

from loopdsl import __version__
from loopdsl.config import Config
from loopdsl.model import Diagnostic, Severity, Span
from loopdsl.report import ReportContext

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
INFORMATION_URI = "https://pypi.org/project/loopdsl/"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def repository_root(start: Path) -> Path:
    """The nearest folder with a ``.git`` entry, else ``start`` itself."""
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return start


def artifact_uri(file: str, cwd: Path, root: Path) -> str:
    """A file's URI reference relative to the repository root."""
    absolute = Path(os.path.normpath(cwd / file))
    try:
        relative = absolute.relative_to(root).as_posix()
    except ValueError:
        relative = os.path.relpath(absolute, root).replace(os.sep, "/")
    return quote(relative, safe="/")


def _region(s: Span) -> dict[str, int]:
    return {"startLine": s.line, "startColumn": s.column,
            "endLine": s.end_line, "endColumn": s.end_column}


def _location(s: Span, cwd: Path, root: Path) -> dict[str, Any]:
    return {"physicalLocation": {
        "artifactLocation": {"uri": artifact_uri(s.file, cwd, root), "uriBaseId": "%SRCROOT%"},
        "region": _region(s),
    }}


def rule_descriptors(config: Config) -> list[dict[str, Any]]:
    """``tool.driver.rules``: every rule this configuration lets fire."""
    from loopdsl.linter.catalog import catalog
    from loopdsl.linter.ruleset import active_rules

    severity = active_rules(config).severity
    out = []
    for entry in catalog(config):
        if entry.code not in severity:
            continue
        spec = entry.rule.spec if entry.rule else None
        rationale = " ".join(spec.rationale.split()) if spec and spec.rationale else ""
        fix = spec.help.replace("{{", "{").replace("}}", "}") if spec and spec.help else ""
        text = "\n\n".join(x for x in (rationale or entry.summary, fix and f"Fix: {fix}") if x)
        markdown = f"**{entry.code} {entry.name}**: {entry.summary}."
        if rationale:
            markdown += f"\n\n{rationale}"
        if fix:
            markdown += f"\n\n**Fix:** {fix}"
        if spec:
            for ex in spec.examples:
                title = "Triggers it" if ex.expect == "finding" else "Does not trigger it"
                markdown += f"\n\n{title}:\n\n```\n{ex.source.strip()}\n```"
        out.append({
            "id": entry.code,
            "name": entry.name,
            "shortDescription": {"text": entry.summary},
            "fullDescription": {"text": rationale or entry.summary},
            "help": {"text": text, "markdown": markdown},
            "defaultConfiguration": {"level": _LEVEL[severity[entry.code]]},
            "properties": {"origin": entry.origin},
        })
    return out


def fingerprints(diagnostics: list[Diagnostic], cwd: Path, root: Path) -> list[str]:
    """A stable identity per finding: code, file and element (its message
    when it has no element), numbered among equals; no line numbers."""
    seen: Counter[tuple[str, str, str]] = Counter()
    out = []
    for d in diagnostics:
        key = (d.code, artifact_uri(d.span.file, cwd, root), d.element or d.message)
        seen[key] += 1
        raw = "\0".join([*key, str(seen[key])])
        out.append(hashlib.sha256(raw.encode()).hexdigest()[:32])
    return out


def format_sarif(diagnostics: list[Diagnostic], ctx: ReportContext) -> str:
    """A SARIF 2.1.0 log with one run."""
    cwd = Path.cwd()
    root = repository_root(cwd)
    rules = rule_descriptors(ctx.config or Config.defaults())
    index = {r["id"]: i for i, r in enumerate(rules)}
    results = []
    for d, fp in zip(diagnostics, fingerprints(diagnostics, cwd, root), strict=True):
        result: dict[str, Any] = {
            "ruleId": d.code,
            "level": _LEVEL[d.severity],
            "message": {"text": d.message + (f"\n{d.help}" if d.help and d.help not in d.message
                                             else "")},
            "locations": [_location(d.span, cwd, root)],
            "partialFingerprints": {"loopdslFindingHash/v1": fp},
        }
        if d.code in index:
            result["ruleIndex"] = index[d.code]
        if d.related:
            result["relatedLocations"] = [
                {"id": i, **_location(r.span, cwd, root), "message": {"text": r.message}}
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
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"
