"""loopdsl: architecture-as-code for AI systems.

Describe a system as loops of context -> model -> interface -> feedback,
then check, draw and document it::

    import loopdsl
    workspace = loopdsl.load(["examples/"])
    for finding in loopdsl.lint(workspace):
        print(finding.code, finding.message)

The names below are imported on first use, so ``import loopdsl`` is cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "Config",
    "Diagnostic",
    "Flow",
    "Kind",
    "LoadError",
    "Loop",
    "Node",
    "Role",
    "Severity",
    "Span",
    "System",
    "Workspace",
    "__version__",
    "lint",
    "load",
    "loads",
]

_LAZY = {
    "load": "loopdsl.loader",
    "loads": "loopdsl.loader",
    "LoadError": "loopdsl.loader",
    "lint": "loopdsl.linter",
    "Config": "loopdsl.config",
    **{name: "loopdsl.model" for name in (
        "Diagnostic", "Flow", "Kind", "Loop", "Node", "Role", "Severity", "Span",
        "System", "Workspace")},
}

if TYPE_CHECKING:
    from loopdsl.config import Config
    from loopdsl.linter import lint
    from loopdsl.loader import LoadError, load, loads
    from loopdsl.model import (
        Diagnostic,
        Flow,
        Kind,
        Loop,
        Node,
        Role,
        Severity,
        Span,
        System,
        Workspace,
    )


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'loopdsl' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
