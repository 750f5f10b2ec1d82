"""Workspace -> diagrams. ``to_dot`` and ``to_mermaid`` return text;
``to_image`` runs Graphviz's ``dot``. None of them writes files."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from loopdsl.render.dot import GraphvizMissing, to_dot, to_image
    from loopdsl.render.mermaid import to_mermaid

__all__ = ["GraphvizMissing", "to_dot", "to_image", "to_mermaid"]


def __getattr__(name: str) -> object:
    import importlib

    module = {"to_mermaid": "loopdsl.render.mermaid"}.get(name, "loopdsl.render.dot")
    if name not in __all__:
        raise AttributeError(name)
    return getattr(importlib.import_module(module), name)
