"""LlamaIndex Workflows: a ``Workflow`` instance or class (from the
``workflows`` package, which ``llama_index.core.workflow`` re-exports).

Its ``@step`` methods are the nodes, in source order; each step's
``_step_config`` (``accepted_events``, ``return_types``,
``accept_event_subclasses``) gives the edges: step -> every step that
accepts an event it returns, matched as the framework matches them
(``step_accepts_type``). Steps that accept the ``StartEvent`` are the
entry; a returned ``StopEvent`` ends a run. A step that can return several
events branches: its edges are conditional, labelled with the event.
"""

from __future__ import annotations

from typing import Any

from loopdsl.drift.graph import CodeEdge, CodeGraph, CodeNode


def read(obj: Any, module: str) -> CodeGraph:
    from workflows._event_matching import step_accepts_type
    from workflows.events import StartEvent, StopEvent
    from workflows.utils import get_steps_from_class, get_steps_from_instance

    found = get_steps_from_class(obj) if isinstance(obj, type) else \
        get_steps_from_instance(obj)
    steps = sorted(found.items(), key=lambda kv: (_line(kv[1]), kv[0]))
    configs = {name: func._step_config for name, func in steps}
    graph = CodeGraph(module)
    for name, _ in steps:
        graph.add_node(CodeNode(name, None, "step"))

    def accepting(event: Any) -> list[str]:
        return [n for n, cfg in configs.items()
                if step_accepts_type(event, cfg.accepted_events,
                                     allow_subclasses=cfg.accept_event_subclasses)]

    graph.entry = [n for n, cfg in configs.items()
                   if any(_is(e, StartEvent) for e in cfg.accepted_events)]
    for name, cfg in configs.items():
        events = [e for e in cfg.return_types if e is not type(None)]
        branching = len(events) > 1
        for event in events:
            if _is(event, StopEvent):
                continue
            for target in accepting(event):
                graph.add_edge(CodeEdge(name, target, branching,
                                        getattr(event, "__name__", str(event))))
    return graph


def _is(event: Any, base: type) -> bool:
    return isinstance(event, type) and issubclass(event, base)


def _line(func: Any) -> int:
    code = getattr(getattr(func, "__func__", func), "__code__", None)
    return code.co_firstlineno if code is not None else 0
