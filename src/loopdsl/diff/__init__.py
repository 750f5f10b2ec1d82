"""Two versions of a design -> what the change does to it.

Pure: both workspaces are loaded and linted already. Elements are matched by
identity (a system by its id, a node as ``system.node``, a flow as
``system.source -> system.target``, a loop as ``system.loop``) through maps,
never by a pairwise search; a rename is one removal and one addition.
Findings are matched as a baseline matches them: by code, file and element,
not by line.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from loopdsl.loops import LoopStatus, loop_statuses
from loopdsl.model import Diagnostic, Flow, Loop, Node, Role, System, Workspace

Values = dict[str, tuple[Any, Any]]  # key -> (old, new)


@dataclass(frozen=True, slots=True)
class Side:
    """One version: its workspace, its findings, and how its files are matched
    with the other version's (display path -> a key both versions share)."""

    workspace: Workspace
    findings: list[Diagnostic]
    file_key: Callable[[str], str]


@dataclass(frozen=True, slots=True)
class Changed:
    """An element in both versions that differs: each field with both values;
    for a loop, also the status that changed."""

    id: str
    changes: Values
    status: Values | None = None


@dataclass(frozen=True, slots=True)
class Section:
    """What happened to the elements of one type; ids sorted."""

    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[Changed] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed)


def status_facts(status: LoopStatus) -> dict[str, Any]:
    """The status keys a loop's change reports (``diff -f json``'s ``status``)."""
    return {"closes": status.closes, "learns": status.learns, "bounded": status.bounded,
            "over_budget": status.over_budget, "latency_ms": _json_number(status.latency_ms),
            "worst_case_usd": _json_number(status.worst_usd),
            "over_cost_budget": status.over_cost_budget}


@dataclass(frozen=True, slots=True)
class Diff:
    """Everything ``loopdsl diff`` reports, computed once for every format."""

    base: str
    head: str
    systems: Section
    nodes: Section
    flows: Section
    loops: Section
    new: list[Diagnostic]  # findings NEW has and OLD had not
    fixed: list[Diagnostic]  # findings OLD had and NEW has not, named as NEW names files
    old: Workspace
    new_workspace: Workspace
    old_status: dict[str, LoopStatus]
    new_status: dict[str, LoopStatus]
    # The syntax errors of each side: where a side does not parse, the
    # comparison covers only what it resolved.
    unparsed: dict[str, list[Diagnostic]] = field(default_factory=dict)  # "old"/"new" -> LD001s

    @property
    def empty(self) -> bool:
        return not (self.systems or self.nodes or self.flows or self.loops or self.new
                    or self.fixed)


def flow_id(flow: Flow) -> str:
    """``system.source -> system.target``."""
    return f"{flow.source} -> {flow.target}"


def loop_id(loop: Loop) -> str:
    return f"{loop.system}.{loop.id}"


def compare(old: Side, new: Side, *, base: str, head: str,
            file_name: Callable[[str], str]) -> Diff:
    """What changed from ``old`` to ``new``; ``file_name`` turns a file key into
    the name the new version (the working tree) gives that file."""
    old_loops = _loops_holding(old.workspace)
    new_loops = _loops_holding(new.workspace)
    old_status = loop_statuses(old.workspace)
    new_status = loop_statuses(new.workspace)
    loops = _section(
        {loop_id(lp): _loop_facts(lp) for lp in old.workspace.loops()},
        {loop_id(lp): _loop_facts(lp) for lp in new.workspace.loops()})
    # A loop whose definition is the same may still change status (a node's
    # latency, a flow elsewhere): it is a changed loop with no changes.
    changed = {c.id: c for c in loops.changed}
    for lid in sorted(set(old_status) & set(new_status)):
        status = _changes(status_facts(old_status[lid]), status_facts(new_status[lid]))
        if status:
            changed[lid] = Changed(lid, changed[lid].changes if lid in changed else {}, status)
        elif lid in changed:
            changed[lid] = Changed(lid, changed[lid].changes, {})
    loops = Section(loops.added, loops.removed, [changed[k] for k in sorted(changed)])
    new_findings, fixed = _findings(old, new, file_name)
    return Diff(
        base=base, head=head,
        systems=_section({s.id: _system_facts(s) for s in old.workspace.systems},
                         {s.id: _system_facts(s) for s in new.workspace.systems}),
        nodes=_section({n.qualified_id: _node_facts(n) for n in old.workspace.nodes()},
                       {n.qualified_id: _node_facts(n) for n in new.workspace.nodes()}),
        flows=_section({flow_id(f): _flow_facts(f, old_loops) for f in old.workspace.flows()},
                       {flow_id(f): _flow_facts(f, new_loops) for f in new.workspace.flows()}),
        loops=loops, new=new_findings, fixed=fixed, old=old.workspace,
        new_workspace=new.workspace, old_status=old_status, new_status=new_status,
        unparsed={side: errors for side, errors in
                  (("old", _syntax_errors(old)), ("new", _syntax_errors(new))) if errors})


def _syntax_errors(side: Side) -> list[Diagnostic]:
    return [d for d in side.findings if d.code == "LD001"]


def partial_sentences(diff: Diff) -> list[str]:
    """Which side does not parse, in words: the comparison is partial there."""
    names = {"old": diff.base, "new": diff.head}
    out = []
    for side, errors in diff.unparsed.items():
        count = f"{len(errors)} syntax error{'s' if len(errors) != 1 else ''}"
        out.append(f"{names[side]} does not parse ({count}): the comparison covers only "
                   "what it resolved")
    return out


# --- facts and their changes ----------------------------------------------------------


def _json_number(n: float | Decimal) -> float | int:
    """A number for JSON: an integer when whole; a decimal as the float that
    prints as it (0.3, not 0.30000000000000004)."""
    return int(n) if n == int(n) else float(n)


def _node_facts(node: Node) -> dict[str, Any]:
    role = node.role.value if isinstance(node.role, Role) else None
    return {**node.attributes, "kind": node.kind, "role": role, "label": node.label}


def _flow_facts(flow: Flow, holding: Mapping[tuple[str, str], list[str]]) -> dict[str, Any]:
    return {**flow.attributes, "label": flow.label, "loops": holding.get(flow.key, [])}


def _loop_facts(loop: Loop) -> dict[str, Any]:
    return {**loop.attributes, "label": loop.label,
            "flows": sorted(f"{s} -> {t}" for s, t in loop.flows)}


def _system_facts(system: System) -> dict[str, Any]:
    return {**system.attributes, "label": system.label}


def _loops_holding(workspace: Workspace) -> dict[tuple[str, str], list[str]]:
    holding: dict[tuple[str, str], list[str]] = {}
    for lp in workspace.loops():
        for key in lp.flows:
            holding.setdefault(key, []).append(loop_id(lp))
    return {key: sorted(ids) for key, ids in holding.items()}


def _changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> Values:
    """Each key whose value differs, with (old, new); a missing key is None."""
    return {key: (old.get(key), new.get(key)) for key in sorted(set(old) | set(new))
            if not _same(old.get(key), new.get(key))}


def _same(a: Any, b: Any) -> bool:
    # 1 and true, 1 and 1.0 are different values in a design.
    return type(a) is type(b) and a == b


def _section(old: dict[str, dict[str, Any]], new: dict[str, dict[str, Any]]) -> Section:
    changed = []
    for key in sorted(set(old) & set(new)):
        changes = _changes(old[key], new[key])
        if changes:
            changed.append(Changed(key, changes))
    return Section(added=sorted(set(new) - set(old)), removed=sorted(set(old) - set(new)),
                   changed=changed)


# --- findings -----------------------------------------------------------------------------


def _findings(old: Side, new: Side,
              file_name: Callable[[str], str]) -> tuple[list[Diagnostic], list[Diagnostic]]:
    def key(d: Diagnostic, side: Side) -> tuple[str, str, str]:
        return (d.code, side.file_key(d.span.file), d.element or d.message)

    before = Counter(key(d, old) for d in old.findings)
    after = Counter(key(d, new) for d in new.findings)
    added, fixed = [], []
    seen: Counter[tuple[str, str, str]] = Counter()
    for d in new.findings:
        k = key(d, new)
        seen[k] += 1
        if seen[k] > before[k]:
            added.append(d)
    seen.clear()
    for d in old.findings:
        k = key(d, old)
        seen[k] += 1
        if seen[k] > after[k]:
            renamed = replace(d.span, file=file_name(k[1]))
            fixed.append(d.model_copy(update={"span": renamed}))
    return (sorted(added, key=lambda d: d.sort_key), sorted(fixed, key=lambda d: d.sort_key))
