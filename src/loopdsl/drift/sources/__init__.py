"""The graph an app builds, read from the app's own objects, or from a JSON
file (loopdsl's agent-graph JSON, LangGraph's ``get_graph().to_json()``).

``--app pkg.mod:attr`` imports the user's module (their code runs, as
``uvicorn app:main`` runs an app) with the current directory on
``sys.path``; the object's type says which framework built it; a callable
taking no arguments is called once for it. Each framework is an optional
extra, read without running a model or touching the network; nothing in a
``.loop`` file is ever executed.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from loopdsl.diagnostics import did_you_mean
from loopdsl.drift.graph import CodeGraph, from_json


class SourceError(ValueError):
    """The app cannot be read: a missing extra, an import error, a wrong object."""


@dataclass(frozen=True, slots=True)
class Framework:
    """One framework drift reads: its extra, what it reads, how to know its objects."""

    extra: str  # the option and the extra: --langgraph, loopdsl[langgraph]
    product: str  # LangGraph
    package: str  # the module that tells it is installed
    objects: str  # what --app may name, in words
    reader: str  # the module of loopdsl.drift.sources that reads it
    # The classes it reads, as "module:QualName": an object is the framework's
    # when one of them is in its class's MRO (a user's own module named like
    # the framework's package is not mistaken for it, nothing is imported).
    classes: frozenset[str]

    def owns(self, obj: Any) -> bool:
        """The object (or, for classes the framework reads, the class) is one it reads."""
        cls = obj if isinstance(obj, type) else type(obj)
        return any(f"{c.__module__}:{c.__qualname__}" in self.classes
                   for c in getattr(cls, "__mro__", ()))

    def read(self, obj: Any, name: str) -> CodeGraph:
        module = importlib.import_module(f"loopdsl.drift.sources.{self.reader}")
        graph: CodeGraph = module.read(obj, name)
        graph.framework = self.extra
        return graph


FRAMEWORKS = (
    Framework("langgraph", "LangGraph", "langgraph",
              "a LangGraph graph (a StateGraph or its compiled graph)", "langgraph",
              frozenset({"langgraph.graph.state:StateGraph",
                         "langgraph.graph.state:CompiledStateGraph"})),
    Framework("burr", "Burr", "burr", "a Burr Application or Graph", "burr",
              frozenset({"burr.core.application:Application", "burr.core.graph:Graph"})),
    Framework("openai-agents", "the OpenAI Agents SDK", "agents", "an OpenAI Agents SDK Agent",
              "openai_agents", frozenset({"agents.agent:Agent"})),
    Framework("pydantic-graph", "pydantic-graph", "pydantic_graph",
              "a pydantic-graph Graph or GraphBuilder", "pydantic_graph",
              frozenset({"pydantic_graph.graph_builder:Graph",
                         "pydantic_graph.graph_builder:GraphBuilder"})),
    Framework("llama-index", "LlamaIndex Workflows", "workflows",
              "a LlamaIndex Workflow (instance or class)", "llama_index",
              frozenset({"workflows.workflow:Workflow",
                         "llama_index.core.workflow.workflow:Workflow"})),
    Framework("adk", "Google ADK", "google.adk", "a Google ADK agent or Workflow", "adk",
              frozenset({"google.adk.agents.base_agent:BaseAgent",
                         "google.adk.workflow._workflow:Workflow"})),
)
BY_EXTRA = {f.extra: f for f in FRAMEWORKS}


def _framework_of(obj: Any) -> Framework | None:
    # llama_index.core.workflow re-exports the `workflows` package's classes.
    return next((f for f in FRAMEWORKS if f.owns(obj)), None)


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
        with contextlib.redirect_stdout(sys.stderr):  # what the app prints is not our output
            obj: Any = importlib.import_module(module_name)
    except ModuleNotFoundError as e:
        if e.name is not None and module_name.startswith(e.name):  # the app, not a dependency
            raise SourceError(f"cannot import '{module_name}': no module '{e.name}' in the "
                              f"current directory ({cwd}) or on the import path; run from the "
                              "folder that holds it, or add that folder to PYTHONPATH"
                              ) from None
        raise SourceError(f"cannot import '{module_name}': ModuleNotFoundError: {e}") from None
    except Exception as e:  # the user's code: whatever it raises is reported
        raise SourceError(f"cannot import '{module_name}': {_said(e)}") from None
    for part in attr.split("."):
        if not hasattr(obj, part):
            hint = did_you_mean(part, {n for n in dir(obj) if not n.startswith("_")})
            raise SourceError(f"'{module_name}' has no attribute '{attr}'"
                              + (f"; {hint}" if hint else ""))
        obj = getattr(obj, part)
    return obj


def _said(e: BaseException) -> str:
    first = str(e).splitlines()[0] if str(e) else ""
    return f"{type(e).__name__}: {first}".rstrip(": ")


def _called(spec: str, factory: Callable[..., Any]) -> Any:
    """What a zero-argument factory (``build_graph()``) returns, called once."""
    try:
        inspect.signature(factory).bind()
    except TypeError:
        raise SourceError(f"'{spec}' is a function that needs arguments; name the graph or "
                          "application, or a function that takes none") from None
    except ValueError:  # no signature to read (a builtin): try the call
        pass
    try:
        with contextlib.redirect_stdout(sys.stderr):
            made = factory()
    except Exception as e:  # the user's code
        raise SourceError(f"'{spec}()' failed: {_said(e)}") from None
    if inspect.isawaitable(made):
        if hasattr(made, "close"):
            made.close()
        raise SourceError(f"'{spec}' is a coroutine function; name a function that returns "
                          "the graph or application")
    return made


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


def from_app(spec: str, framework: str | None = None) -> CodeGraph:
    """The graph of the object ``spec`` names (or that its factory returns):
    the framework its type says, which must be ``framework`` when given."""
    wanted = BY_EXTRA[framework] if framework is not None else None
    if wanted is not None:
        try:
            importlib.import_module(wanted.package)
        except ImportError:
            raise SourceError(f"--{wanted.extra} needs {wanted.product}, an optional extra: "
                              f"pip install 'loopdsl[{wanted.extra}]'") from None
    obj = load_object(spec)
    found = _framework_of(obj)
    if found is None and callable(obj) and not isinstance(obj, type):
        obj = _called(spec, obj)
        found = _framework_of(obj)
    if found is None:
        what = wanted.objects if wanted else "a graph, agent or application of " + ", ".join(
            f.product for f in FRAMEWORKS)
        raise SourceError(f"'{spec}' is not {what} but {_type_name(obj)}")
    if wanted is not None and found is not wanted:
        raise SourceError(f"'{spec}' is not {wanted.objects} but {_type_name(obj)} "
                          f"({found.product}): use --app or --{found.extra}")
    try:
        graph = found.read(obj, _module_name(spec))
    except SourceError:
        raise
    except Exception as e:  # the framework's objects, or the app's, misbehaving
        raise SourceError(f"cannot read the {found.product} graph of '{spec}': "
                          f"{_said(e)}") from None
    graph.sources += module_files(spec)
    return graph


def _type_name(obj: Any) -> str:
    return obj.__name__ + " (a class)" if isinstance(obj, type) else type(obj).__name__


def from_graph_json(path: Path) -> CodeGraph:
    """loopdsl's agent-graph JSON, or what LangGraph's ``get_graph().to_json()``
    writes (plain or ``xray=True``), read from a file."""
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
