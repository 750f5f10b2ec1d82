"""The graph an app builds, read from the app: a LangGraph graph, a Burr
application, or LangGraph's ``get_graph().to_json()`` in a file.

``--langgraph pkg.mod:graph`` and ``--burr pkg.mod:app`` import the user's
module (their code runs, as ``uvicorn app:main`` runs an app), with the
current directory on ``sys.path``. LangGraph and Burr are optional extras;
nothing in a ``.loop`` file is ever executed.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import Any

from loopdsl.diagnostics import did_you_mean
from loopdsl.drift import SPECIAL, CodeEdge, CodeGraph, CodeNode, from_json


class SourceError(ValueError):
    """The app cannot be read: a missing extra, an import error, a wrong object."""


_PRODUCTS = {"langgraph": "LangGraph", "burr": "Burr"}


def _extra(package: str, extra: str) -> Any:
    try:
        return importlib.import_module(package)
    except ImportError:
        raise SourceError(f"--{extra} needs {_PRODUCTS[extra]}, an optional extra: "
                          f"pip install 'loopdsl[{extra}]'") from None


def load_object(spec: str) -> Any:
    """``pkg.mod:attr`` (attr may be dotted) imported from the current directory."""
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise SourceError(f"'{spec}' is not MODULE:ATTR (for example app.graph:graph)")
    if module_name.endswith(".py") or "/" in module_name or "\\" in module_name:
        dotted = module_name.removesuffix(".py").replace("\\", "/").strip("/").replace("/", ".")
        raise SourceError(f"'{module_name}' is a file; name its module: {dotted}:{attr}")
    cwd = str(Path.cwd())
    if cwd not in sys.path:
        sys.path.insert(0, cwd)
    try:
        obj: Any = importlib.import_module(module_name)
    except ModuleNotFoundError as e:
        if e.name is not None and module_name.startswith(e.name):  # the app, not a dependency
            raise SourceError(f"cannot import '{module_name}': no module '{e.name}' in the "
                              f"current directory ({cwd}) or on the import path; run from the "
                              "folder that holds it, or add that folder to PYTHONPATH"
                              ) from None
        raise SourceError(f"cannot import '{module_name}': ModuleNotFoundError: {e}") from None
    except Exception as e:  # the user's code: whatever it raises is reported
        raise SourceError(f"cannot import '{module_name}': {type(e).__name__}: "
                          f"{str(e).splitlines()[0] if str(e) else ''}".rstrip(": ")) from None
    for part in attr.split("."):
        if not hasattr(obj, part):
            hint = did_you_mean(part, {n for n in dir(obj) if not n.startswith("_")})
            raise SourceError(f"'{module_name}' has no attribute '{attr}'"
                              + (f"; {hint}" if hint else ""))
        obj = getattr(obj, part)
    return obj


def module_files(spec: str) -> list[str]:
    """The source files of MODULE in ``MODULE:ATTR`` and of the packages
    holding it, once imported: inputs that no output may replace."""
    module_name = spec.partition(":")[0]
    parts = module_name.split(".")
    files = []
    for i in range(1, len(parts) + 1):
        module = sys.modules.get(".".join(parts[:i]))
        file = getattr(module, "__file__", None)
        if isinstance(file, str):
            files.append(file)
    return files


def _module_name(spec: str) -> str:
    return spec.partition(":")[0].rsplit(".", 1)[-1]


# --- LangGraph ------------------------------------------------------------------------


def from_langgraph(spec: str) -> CodeGraph:
    """A compiled LangGraph graph, or a ``StateGraph`` that is compiled here."""
    _extra("langgraph", "langgraph")
    obj = load_object(spec)
    if not hasattr(obj, "builder") and hasattr(obj, "compile") and hasattr(obj, "branches"):
        try:
            obj = obj.compile()
        except Exception as e:
            raise SourceError(f"'{spec}' does not compile: {type(e).__name__}: {e}") from None
    builder = getattr(obj, "builder", None)
    if builder is None or not hasattr(builder, "nodes") or not hasattr(builder, "branches"):
        raise SourceError(f"'{spec}' is not a LangGraph graph (a StateGraph or its compiled "
                          f"graph) but {type(obj).__name__}")
    graph = CodeGraph(_module_name(spec), sources=module_files(spec))
    _read_builder(builder, graph, prefix="")
    return graph


def _read_builder(builder: Any, graph: CodeGraph, prefix: str) -> None:
    def name(n: str) -> str:
        return n if n in SPECIAL else prefix + n

    for node_name, node in builder.nodes.items():
        meta = getattr(node, "metadata", None) or {}
        loopdsl = meta.get("loopdsl") if isinstance(meta, dict) else None
        role = loopdsl.get("role") if isinstance(loopdsl, dict) else None
        runnable = getattr(node, "runnable", None)
        tool = type(runnable).__name__ == "ToolNode"
        graph.nodes[name(node_name)] = CodeNode(name(node_name), role if isinstance(role, str)
                                                else None, tool)
        inner = getattr(runnable, "builder", None)
        if inner is not None and hasattr(inner, "nodes"):  # a compiled subgraph
            graph.subgraphs.add(name(node_name))  # its nodes are "outer:inner"
            _read_builder(inner, graph, prefix=f"{name(node_name)}:")
        ends = getattr(node, "ends", None)  # Command[Literal[...]] or destinations=
        if ends:
            targets = ends.items() if isinstance(ends, dict) else ((e, None) for e in ends)
            for target, label in targets:
                graph.add_edge(CodeEdge(name(node_name), name(target), True, label))
    for source, target in sorted(builder.edges):
        graph.add_edge(CodeEdge(name(source), name(target)))
    for sources, target in sorted(getattr(builder, "waiting_edges", ()), key=str):
        for source in sources:
            graph.add_edge(CodeEdge(name(source), name(target)))
    for source, branches in builder.branches.items():
        for condition, branch in branches.items():
            ends = getattr(branch, "ends", None)
            if ends is None:
                if source not in SPECIAL:
                    graph.unresolved.append(name(source))
                continue
            for key, target in ends.items():
                label = condition if str(key) == str(target) else f"{condition}: {key}"
                graph.add_edge(CodeEdge(name(source), name(target), True, label))


# --- Burr --------------------------------------------------------------------------------


def from_burr(spec: str) -> CodeGraph:
    """A Burr ``Application`` (or its ``ApplicationGraph``): actions and transitions."""
    _extra("burr", "burr")
    obj = load_object(spec)
    app_graph = getattr(obj, "graph", obj)
    actions = getattr(app_graph, "actions", None)
    transitions = getattr(app_graph, "transitions", None)
    if actions is None or transitions is None:
        raise SourceError(f"'{spec}' is not a Burr Application but {type(obj).__name__}")
    graph = CodeGraph(_module_name(spec), sources=module_files(spec))
    for act in actions:
        tags = getattr(act, "tags", []) or []
        role = next((t.split(":", 1)[1] for t in tags
                     if isinstance(t, str) and t.startswith("loopdsl:")), None)
        graph.nodes[act.name] = CodeNode(act.name, role)
    for t in transitions:
        condition = getattr(getattr(t, "condition", None), "name", None)
        conditional = condition not in (None, "default")
        graph.add_edge(CodeEdge(t.from_.name, t.to.name, conditional,
                                condition if conditional else None))
    return graph


# --- a file ------------------------------------------------------------------------------


def from_graph_json(path: Path) -> CodeGraph:
    """What ``graph.get_graph().to_json()`` writes, read from a file."""
    from loopdsl.files import read_text

    try:
        data = json.loads(read_text(path))
    except OSError as e:
        raise SourceError(f"{path}: cannot read: {e.strerror or e}") from None
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        raise SourceError(f"{path}: not a JSON graph ({type(e).__name__})") from None
    try:
        graph = from_json(data, path.stem)
    except ValueError as e:
        raise SourceError(f"{path}: {e}") from None
    graph.sources.append(str(path))
    return graph
