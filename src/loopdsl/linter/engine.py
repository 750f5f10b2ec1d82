"""Run rules over a workspace: select elements, apply the check function,
turn what fails into diagnostics with rendered messages."""

from __future__ import annotations

from typing import Any

from loopdsl.config import ConfigError
from loopdsl.linter.functions import (
    Element,
    Finding,
    RuleContext,
    attributes_match,
    elements_of,
    memo_key,
    narrows_beyond_role,
)
from loopdsl.linter.registry import Registry, Rule
from loopdsl.model import Diagnostic, Flow, Node, Role, Severity, Workspace

_BUILTIN_MODULES = "loopdsl.linter.checks."


def run_rules(workspace: Workspace, registry: Registry) -> list[Diagnostic]:
    """Every finding of the registry's enabled rules on ``workspace``.

    Rules that follow flows skip a system whose graph is incomplete (a
    reference or a kind the resolver could not resolve): their findings
    there would only echo that one mistake.
    """
    rules = registry.running()
    if not rules:
        return []
    ctx = RuleContext(workspace)
    incomplete = {s.id for s in workspace.systems if not s.complete}
    by_type: dict[tuple[str, bool], list[Element]] = {}
    by_role: dict[tuple[tuple[str, bool], tuple[Role, ...]], list[Element]] = {}
    chosen: dict[tuple[str, bool], list[Element]] = {}  # same [select]: one pass
    out: list[Diagnostic] = []
    for rule in rules:
        select = rule.spec.select
        assert select is not None and rule.function is not None
        key = (memo_key(select), rule.graph)
        if key not in chosen:
            # With every system complete, graph rules and the others see the same elements.
            kind = (select.element, rule.graph and bool(incomplete))
            if kind not in by_type:
                # A node of an unknown kind already has its LD004; rules would only echo it.
                by_type[kind] = [
                    e for e in elements_of(workspace, select.element)
                    if (not isinstance(e.obj, Node) or e.obj.role is not None)
                    and not (kind[1] and e.system in incomplete)]
            candidates = by_type[kind]
            if select.role:  # most rules select by role: one pass per set of roles
                roles = (kind, tuple(select.role))
                if roles not in by_role:
                    by_role[roles] = [e for e in candidates
                                      if isinstance(e.obj, Node) and e.obj.role in select.role]
                candidates = by_role[roles]
            if select.element == "node" and narrows_beyond_role(select):
                # the same test, on the nodes the index of attribute keys gives
                passing = set(ctx.nodes_matching(select))
                candidates = [e for e in candidates
                              if isinstance(e.obj, Node) and e.obj.qualified_id in passing]
            elif narrows_beyond_role(select) or select.source or select.target:
                candidates = [e for e in candidates if _selected(ctx, rule, e)]
            chosen[key] = candidates
        try:
            for finding in rule.function.run(ctx, chosen[key], rule.options):
                if not (rule.graph and finding.element.system in incomplete):
                    out.append(_diagnostic(rule, finding, registry.severity[rule.code]))
        except Exception as e:
            if getattr(rule.function.run, "__module__", "").startswith(_BUILTIN_MODULES):
                raise  # a built-in function failing is loopdsl's bug
            raise ConfigError(f"check function '{rule.function.name}' of rule {rule.code} "
                              f"({rule.origin}) failed: {type(e).__name__}: {e}") from None
    return out


def _selected(ctx: RuleContext, rule: Rule, e: Element) -> bool:
    """Does a flow, loop or system pass the rule's ``[select]``? (Nodes are
    selected through ``RuleContext.nodes_matching``.)"""
    sel = rule.spec.select
    assert sel is not None
    if not attributes_match(e.attributes, e.written, sel):
        return False
    if isinstance(e.obj, Flow):
        for end, f in ((e.obj.source, sel.source), (e.obj.target, sel.target)):
            if f is not None and not (end in ctx.graph.nodes
                                      and ctx.node_matches(ctx.graph.nodes[end], f)):
                return False
    return True


class _Values(dict[str, Any]):
    """Message values; a placeholder with no value stays visible, never fails."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _diagnostic(rule: Rule, finding: Finding, severity: Severity) -> Diagnostic:
    values = _Values(finding.element.placeholders())
    values.update(finding.values)
    spec = rule.spec
    assert spec.message is not None
    return Diagnostic(
        code=spec.code,
        name=spec.name,
        severity=severity,
        message=spec.message.format_map(values),
        span=finding.span or finding.element.span,
        help=spec.help.format_map(values) if spec.help else None,
        related=finding.related,
        element=finding.element.key,
    )
