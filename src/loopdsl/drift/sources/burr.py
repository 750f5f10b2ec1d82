"""Burr: an ``Application`` (its ``graph``) or a ``Graph``: actions and
transitions, the application's ``entrypoint``; a role from an action tag
``loopdsl:ROLE``."""

from __future__ import annotations

from typing import Any

from loopdsl.drift.graph import ROLES, CodeEdge, CodeGraph, CodeNode


def read(obj: Any, module: str) -> CodeGraph:
    app_graph = getattr(obj, "graph", obj)
    graph = CodeGraph(module)
    for act in app_graph.actions:
        tags = getattr(act, "tags", []) or []
        role = next((t.split(":", 1)[1] for t in tags
                     if isinstance(t, str) and t.startswith("loopdsl:")), None)
        graph.add_node(CodeNode(act.name, role if role in ROLES else None, "action"))
    for t in app_graph.transitions:
        condition = getattr(getattr(t, "condition", None), "name", None)
        conditional = condition not in (None, "default")
        graph.add_edge(CodeEdge(t.from_.name, t.to.name, conditional,
                                condition if conditional else None))
    entry = getattr(obj, "entrypoint", None)
    if isinstance(entry, str):
        graph.entry = [entry]
    return graph
