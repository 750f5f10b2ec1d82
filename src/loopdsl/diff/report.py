"""A diff -> text for people, Markdown for a pull request, JSON for programs.

Pure functions of the diff; the JSON is the documented shape (docs/commands.md) field for
field. The Markdown is made for a pull-request comment or
``$GITHUB_STEP_SUMMARY``: a one-line summary, a table per element type, loop
status changes in words, new and fixed findings, and a Mermaid diagram of
the change. User text in it cannot break a table or a code fence.
"""

from __future__ import annotations

import json
from typing import Any

from loopdsl.diff import Changed, Diff, Section, partial_sentences, status_facts
from loopdsl.loops import LoopStatus
from loopdsl.model import Diagnostic, Severity
from loopdsl.printable import json_safe, plain, printable
from loopdsl.report.machine import as_record

_KINDS = (("systems", "system"), ("nodes", "node"), ("flows", "flow"), ("loops", "loop"))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


# --- loop status in words ------------------------------------------------------------------


def status_sentences(diff: Diff, changed: Changed) -> list[str]:
    """"loop `support.answer` no longer closes", "latency 1200 → 2100 ms, now over
    its 1500 ms budget", ...: what changed in a loop's status, in words."""
    if not changed.status:
        return []
    before, after = diff.old_status[changed.id], diff.new_status[changed.id]
    name = f"loop `{changed.id}`"
    out = []
    for key, yes, no in (("closes", "now closes", "no longer closes"),
                         ("learns", "now learns (a cycle passes through feedback)",
                          "no longer learns (no cycle passes through feedback)"),
                         ("bounded", "is now bounded (`max_iterations`)",
                          "is no longer bounded (`max_iterations`)")):
        if key in changed.status:
            out.append(f"{name} {yes if getattr(after, key) else no}")
    if "latency_ms" in changed.status or "over_budget" in changed.status:
        out.append(f"{name}: latency {plain(before.latency_ms)} → {plain(after.latency_ms)} ms"
                   + _budget_words(before, after))
    if "worst_case_usd" in changed.status or "over_cost_budget" in changed.status:
        out.append(f"{name}: worst case {plain(before.worst_usd)} → {plain(after.worst_usd)} USD"
                   + _cost_words(before, after))
    return out


def _cost_words(before: LoopStatus, after: LoopStatus) -> str:
    if after.budget_usd is None:
        return ""
    budget = f"{plain(after.budget_usd)} USD budget"
    if after.over_cost_budget and not before.over_cost_budget:
        return f", now over its {budget}"
    if before.over_cost_budget and not after.over_cost_budget:
        return f", back within its {budget}"
    return f", {'still over' if after.over_cost_budget else 'within'} its {budget}"


def _budget_words(before: LoopStatus, after: LoopStatus) -> str:
    if after.budget_ms is None:
        return ""
    budget = f"{plain(after.budget_ms)} ms budget"
    if after.over_budget and not before.over_budget:
        return f", now over its {budget}"
    if before.over_budget and not after.over_budget:
        return f", back within its {budget}"
    return f", {'still over' if after.over_budget else 'within'} its {budget}"


def summary_line(diff: Diff) -> str:
    """"2 nodes added, 1 loop no longer closes, 1 new error"."""
    parts = []
    for attr, word in _KINDS:
        section: Section = getattr(diff, attr)
        for what, items in (("added", section.added), ("removed", section.removed),
                            ("changed", section.changed)):
            if attr == "loops" and what == "changed":
                items = [c for c in section.changed if c.changes]
            if items:
                parts.append(f"{_plural(len(items), word)} {what}")
    for changed in diff.loops.changed:
        before, after = diff.old_status[changed.id], diff.new_status[changed.id]
        status = changed.status or {}
        if "closes" in status:
            parts.append("1 loop now closes" if after.closes else "1 loop no longer closes")
        if "over_budget" in status:
            parts.append("1 loop over budget" if after.over_budget
                         else "1 loop back within budget")
        elif "learns" in status and not after.learns and before.closes and after.closes:
            parts.append("1 loop no longer learns")
    for label, found in (("new", diff.new), ("fixed", diff.fixed)):
        for sev in Severity:
            n = sum(1 for d in found if d.severity == sev)
            if n:
                parts.append(f"{n} {label} {sev.value}{'s' if n != 1 else ''}")
    return ", ".join(_merge(parts)) if parts else "no change to the design"


def _merge(parts: list[str]) -> list[str]:
    """"1 loop no longer closes" twice reads "2 loops no longer close"."""
    counts: dict[str, int] = {}
    for p in parts:
        counts[p] = counts.get(p, 0) + 1
    out = []
    for p, n in counts.items():
        if n == 1 or not p.startswith("1 loop "):
            out.extend([p] * (1 if n == 1 else n))
            continue
        rest = p[len("1 loop "):]
        rest = rest.replace("now closes", "now close").replace("no longer closes",
                                                                "no longer close")
        rest = rest.replace("no longer learns", "no longer learn")
        out.append(f"{n} loops {rest}")
    return out


# --- json -------------------------------------------------------------------------------


def _record(d: Diagnostic) -> dict[str, object]:
    return as_record(d)


def to_json(diff: Diff) -> str:
    """``diff -f json``'s object: sorted lists, sorted keys inside changes and status."""
    def section(s: Section, loops: bool = False) -> dict[str, Any]:
        changed = []
        for c in s.changed:
            entry: dict[str, Any] = {"id": c.id,
                                     "changes": {k: list(v) for k, v in c.changes.items()}}
            if loops:
                entry["status"] = {k: list(v) for k, v in sorted((c.status or {}).items())}
                entry["worst_case_usd"] = {
                    "old": status_facts(diff.old_status[c.id])["worst_case_usd"],
                    "new": status_facts(diff.new_status[c.id])["worst_case_usd"]}
            changed.append(entry)
        return {"added": s.added, "removed": s.removed, "changed": changed}

    doc = {"base": diff.base, "head": diff.head,
           "systems": section(diff.systems), "nodes": section(diff.nodes),
           "flows": section(diff.flows), "loops": section(diff.loops, loops=True),
           "findings": {"new": [_record(d) for d in diff.new],
                        "fixed": [_record(d) for d in diff.fixed]}}
    return json_safe(json.dumps(doc, indent=2, ensure_ascii=False)) + "\n"


# --- text ---------------------------------------------------------------------------------


def _value(v: Any) -> str:
    return "(not set)" if v is None else json.dumps(v, ensure_ascii=False)


def _set_change(a: Any, b: Any) -> tuple[list[str], list[str]] | None:
    """For lists of ids (a loop's flows, a flow's loops): what was added and
    removed, which reads better than both lists."""
    if not all(v is None or (isinstance(v, list) and all(isinstance(x, str) for x in v))
               for v in (a, b)):
        return None
    before, after = set(a or []), set(b or [])
    return sorted(after - before), sorted(before - after)


def _change_words(key: str, a: Any, b: Any, value: Any, code: Any) -> str:
    sets = _set_change(a, b) if key in ("flows", "loops") else None
    if sets is None:
        return f"{value(a)} → {value(b)}"
    added, removed = sets
    return "; ".join([*(f"+ {code(x)}" for x in added), *(f"- {code(x)}" for x in removed)])


def to_text(diff: Diff) -> str:
    """For a terminal: the summary, then each change on a line of its own."""
    from loopdsl.report.text import clean

    out = [clean(f"{diff.base} → {diff.head}: {summary_line(diff)}")]
    for sentence, errors in zip(partial_sentences(diff), diff.unparsed.values(), strict=True):
        out.append(clean(f"warning: {sentence}:"))
        out += [clean(f"  {d.span.file}:{d.span.line}:{d.span.column}: {d.message}")
                for d in errors]
    for attr, word in _KINDS:
        section: Section = getattr(diff, attr)
        if not section:
            continue
        out.append("")
        out += [clean(f"+ {word} {i}") for i in section.added]
        out += [clean(f"- {word} {i}") for i in section.removed]
        for c in section.changed:
            if c.changes:
                out.append(clean(f"~ {word} {c.id}"))
                out += [clean(f"    {k}: {_change_words(k, a, b, _value, str)}")
                        for k, (a, b) in c.changes.items()]
            out += [clean(f"  ! {s}") for s in status_sentences(diff, c)]
    for title, found in (("new findings", diff.new), ("fixed findings", diff.fixed)):
        if found:
            out += ["", f"{title}:"]
            out += [clean(f"  {d.span.file}:{d.span.line}:{d.span.column}: {d.code} "
                          f"[{d.severity.value}] {d.message}") for d in found]
    return "\n".join(out) + "\n"


# --- markdown -------------------------------------------------------------------------------


def cell(value: str) -> str:
    """User text for a Markdown table cell: no '|' ends it, no newline breaks
    the row, nothing is read as markup or HTML."""
    import html

    out = html.escape(value, quote=False).replace("|", "&#124;").replace("`", "&#96;")
    for ch in "*_[]~\\":
        out = out.replace(ch, f"&#{ord(ch)};")
    return " ".join(out.split("\n")).replace("\r", " ")


def _md_value(v: Any) -> str:
    return "*(not set)*" if v is None else cell(json.dumps(v, ensure_ascii=False))


def to_markdown(diff: Diff, mermaid: str) -> str:
    """A pull-request comment: summary, tables, loop status, findings, diagram."""
    # Ids and attribute keys are names (letters, digits, '_', '.', ' -> '): safe
    # inside a code span, where an entity would show as written.
    out = ["## loopdsl: what this change does to the design", "",
           f"**{cell(summary_line(diff))}** ({cell(diff.base)} → {cell(diff.head)})"]
    for sentence, errors in zip(partial_sentences(diff), diff.unparsed.values(), strict=True):
        out += ["", f"> **Warning:** {cell(sentence)}:"]
        out += [f"> - {cell(d.span.file)}:{d.span.line}:{d.span.column}: {cell(d.message)}"
                for d in errors]
    for attr, word in _KINDS:
        section: Section = getattr(diff, attr)
        rows = [(f"{word} `{i}`", "added", "") for i in section.added]
        rows += [(f"{word} `{i}`", "removed", "") for i in section.removed]
        for c in section.changed:
            if c.changes:
                detail = "<br>".join(
                    f"`{k}`: {_change_words(k, a, b, _md_value, lambda x: f'`{x}`')}"
                    for k, (a, b) in c.changes.items())
                rows.append((f"{word} `{c.id}`", "changed", detail))
        if rows:
            out += ["", f"### {attr.capitalize()}", "", "| | | what changed |", "|---|---|---|"]
            out += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    sentences = [s for c in diff.loops.changed for s in status_sentences(diff, c)]
    if sentences:
        out += ["", "### Loop status", ""] + [f"- {s}" for s in sentences]
    for title, found in (("New findings", diff.new), ("Fixed findings", diff.fixed)):
        if found:
            out += ["", f"### {title}", "", "| severity | code | where | message |",
                    "|---|---|---|---|"]
            out += [f"| {d.severity.value} | {d.code} | {cell(d.span.file)}:{d.span.line} | "
                    f"{cell(d.message)} |" for d in found]
    if not diff.empty:
        out += ["", "### Diagram of the change", "", "```mermaid", mermaid.rstrip("\n"), "```"]
    return printable("\n".join(out) + "\n")
