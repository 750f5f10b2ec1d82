"""The registry as documentation: the `rules` listing, `explain`, and the
generated reference docs/rules.md. Every word comes from the rule files."""

from __future__ import annotations

import json
import textwrap
from typing import Any

from loopdsl.linter.registry import Registry, Rule, filled

_REPORTERS = {
    "parser": "the parser, while reading a file",
    "loader": "the loader, while following imports",
    "resolver": "the resolver, while naming nodes, kinds and attributes",
    "suppression": "the suppression pass, after the rules",
    "drift": "`loopdsl drift`, comparing the design with the graph its code builds",
    "conform": "`loopdsl conform`, comparing the design with traces of real runs",
}


def _status(rule: Rule) -> str:
    return "" if rule.spec.status == "stable" else f" ({rule.spec.status})"


def to_table(registry: Registry) -> str:
    """Aligned columns for a terminal."""
    rows = [("CODE", "NAME", "SEVERITY", "SUMMARY", "ORIGIN")]
    rows += [(r.code, r.name, r.default_severity, r.summary + _status(r), r.origin)
             for r in registry.rules]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    return "".join(
        "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(r[:4])) + "  " + r[4] + "\n"
        for r in rows)


def to_json(registry: Registry) -> str:
    """A JSON array of {code, name, severity, summary, status, origin}."""
    return json.dumps([{"code": r.code, "name": r.name, "severity": r.default_severity,
                        "summary": r.summary, "status": r.spec.status, "origin": r.origin}
                       for r in registry.rules], indent=2, ensure_ascii=False) + "\n"


def _examples(rule: Rule, registry: Registry) -> list[tuple[str, str, str]]:
    """(expect, source, what loopdsl reports) for each example of a rule."""
    from loopdsl.linter import lint_with
    from loopdsl.loader import loads

    only = registry.only(rule.code)
    out: list[tuple[str, str, str]] = []
    for ex in rule.spec.examples:
        source = textwrap.dedent(ex.source).strip("\n")
        workspace = loads(source, filename="example.loop")
        if ex.graph is not None:  # a drift code: the design against the code's graph
            found = [d for d in drift_example(workspace, ex.graph) if d.code == rule.code]
        elif ex.traces is not None:  # a conform code: the design against runs
            found = [d for d in conform_example(workspace, ex.traces) if d.code == rule.code]
        else:
            found = [d for d in lint_with(workspace, only) if d.code == rule.code]
        report = "\n".join(f"line {d.span.line}: {d.message}" for d in found)
        out.append((ex.expect, source, report))
    return out


def _against(example: Any) -> list[tuple[str, str]]:
    """What a drift or conform example's design is compared with, as shown."""
    if example.graph:
        return [("against the code's graph", textwrap.dedent(example.graph).strip())]
    if example.traces:
        return [("against these runs (OTLP/JSON, one object per line)",
                 textwrap.dedent(example.traces).strip())]
    return []


def conform_example(workspace: Any, traces: str) -> list[Any]:
    """The conform findings of an example's design against its traces."""
    import json

    from loopdsl.conform import conform
    from loopdsl.conform.traces import runs_of_documents
    from loopdsl.drift import choose_system

    documents = [json.loads(line) for line in textwrap.dedent(traces).splitlines()
                 if line.strip()]
    return conform(choose_system(workspace, None), runs_of_documents(documents)).findings


def drift_example(workspace: Any, graph: str) -> list[Any]:
    """The drift findings of an example's design against its graph (JSON)."""
    import json

    from loopdsl.drift import choose_system, compare, from_json

    return compare(choose_system(workspace, None), from_json(json.loads(graph)))


def _what_it_checks(rule: Rule, bold: bool = False) -> str:
    """``Checks every node with role = "model": `reachable-from` must hold.``, or
    for another stage's code, who reports it."""
    check, select = rule.spec.check, rule.spec.select
    if check is None or select is None:
        return f"{'**Reported by**' if bold else 'Reported by'} " \
               f"{_REPORTERS[rule.spec.reported_by]}."
    sel = select.model_dump(exclude_defaults=True, by_alias=True)
    element = sel.pop("element")
    extra = ", ".join(f"{k} = {json.dumps(v)}" for k, v in sel.items())
    options = ", ".join(f"{k} = {json.dumps(v)}" for k, v in check.options.items())
    return (f"{'**Checks**' if bold else 'Checks'} every {element}"
            + (f" with {extra}" if extra else "") + f": `{check.function}`"
            + (f" ({options})" if options else "") + " must hold.")


def explain_text(rule: Rule, registry: Registry) -> str:
    """What `loopdsl explain` prints."""
    spec = rule.spec
    lines = [f"{rule.code} {rule.name} (default: {rule.default_severity}){_status(rule)}",
             "", rule.summary + "."]
    if spec.aliases:
        lines.append(f"Formerly: {', '.join(spec.aliases)}.")
    if spec.rationale:
        lines += ["", textwrap.fill(" ".join(spec.rationale.split()), 79)]
    lines += ["", _what_it_checks(rule)]
    if spec.message:
        lines.append(f"Message: {filled(spec.message)}")
    if spec.help:
        lines.append(f"Help: {filled(spec.help)}")
    if spec.references:
        lines += ["", "References:"]
        lines += [f"  {ref.id}" + (f" ({ref.title})" if ref.title else "") + f": {ref.url}"
                  for ref in spec.references]
    for (expect, source, report), ex in zip(_examples(rule, registry), spec.examples,
                                            strict=True):
        title = "Triggers it:" if expect == "finding" else "Does not trigger it:"
        lines += ["", title, "", textwrap.indent(source, "    ")]
        for against, data in _against(ex):
            lines += ["", f"  {against}:", "", textwrap.indent(data, "    ")]
        if report:
            lines += ["", textwrap.indent(report, "  → ")]
    return "\n".join(lines) + "\n"


def to_markdown(registry: Registry) -> str:
    """The rule reference, docs/rules.md."""
    out = ["# Rule reference", "",
           "<!-- Generated by `loopdsl rules --format markdown` from the rule files in "
           "rules/. Do not edit; a test fails when this file is out of date. -->", "",
           "| code | name | default | summary |", "|---|---|---|---|"]
    out += [f"| [{r.code}](#{r.code.lower()}-{r.name}) | `{r.name}` | {r.default_severity} | "
            f"{r.summary}{_status(r)} |" for r in registry.rules]
    out += ["", "LD001-LD007 are reported by the parser, the loader, the resolver and the "
                "suppression pass; the rules from LD101 on are run by the rule engine. Every "
                "code is described by a TOML file in `rules/`, and every example below is a "
                "test. Configure the rules with `select`, `ignore`, `extend-select` and "
                "`severity` (codes and names in any case; see the README), or suppress a "
                "finding with `# loopdsl: ignore[CODE]` at the end of its line."]
    for r in registry.rules:
        spec = r.spec
        out += ["", f"## {r.code} {r.name}", "",
                f"*Default severity: {r.default_severity}.* {r.summary}.{_status(r)}"]
        if spec.aliases:
            out += ["", f"Formerly {', '.join(f'`{a}`' for a in spec.aliases)}."]
        if spec.rationale:
            out += ["", "**Why.** " + " ".join(spec.rationale.split())]
        out += ["", _what_it_checks(r, bold=True)]
        if spec.message:
            out += ["", f"**Message:** {filled(spec.message)}"]
        if spec.help:
            out += ["", f"**Help:** {filled(spec.help)}"]
        if spec.references:
            out += ["", "**References:** " + "; ".join(
                f"[{ref.id}]({ref.url})" + (f" ({ref.title})" if ref.title else "")
                for ref in spec.references)]
        for (expect, source, report), ex in zip(_examples(r, registry), spec.examples,
                                                strict=True):
            title = "Triggers it" if expect == "finding" else "Does not trigger it"
            out += ["", f"{title}:", "", "```", source, "```"]
            for against, data in _against(ex):
                out += ["", f"{against}:", "", "```json", data, "```"]
            if report:
                out += ["", "reports " + "; ".join(f"`{x}`" for x in report.splitlines())]
    return "\n".join(out) + "\n"
