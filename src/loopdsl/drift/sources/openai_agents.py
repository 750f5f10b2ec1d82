"""The OpenAI Agents SDK: an ``Agent`` and every agent it reaches.

Each agent reachable by ``handoffs`` (an ``Agent``, or a ``Handoff`` whose
target ``handoff()`` recorded) or used as a tool (``agent.as_tool()``) is a
node named ``Agent.name`` (a model); each tool (``tool.name``) and each MCP
server (``server.name``) is an interface, one node however many agents
share it. Edges: agent -> handoff target; agent <-> each of its tools and
servers (the call and its result). ``max_turns`` belongs to the runner, not
the app: no bound.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from loopdsl.drift.graph import CodeEdge, CodeGraph, CodeNode


def _target(handoff: Any) -> tuple[Any, str]:
    """The agent a handoff leads to (when known) and its name."""
    if hasattr(handoff, "handoffs") and hasattr(handoff, "tools"):
        return handoff, str(handoff.name)
    ref = getattr(handoff, "_agent_ref", None)
    agent = ref() if callable(ref) else None
    return agent, str(getattr(handoff, "agent_name", getattr(agent, "name", "handoff")))


def read(obj: Any, module: str) -> CodeGraph:
    graph = CodeGraph(str(obj.name) or module)
    graph.entry = [str(obj.name)]
    queue, seen = deque([obj]), {id(obj)}

    def agent_node(agent: Any, name: str) -> None:
        graph.add_node(CodeNode(name, "model", "agent"))
        if agent is not None and id(agent) not in seen:
            seen.add(id(agent))
            queue.append(agent)

    graph.add_node(CodeNode(str(obj.name), "model", "agent"))
    while queue:
        agent = queue.popleft()
        name = str(agent.name)
        for tool in getattr(agent, "tools", []) or []:
            inner = getattr(tool, "_agent_instance", None)
            if getattr(tool, "_is_agent_tool", False) and inner is not None:
                agent_node(inner, str(inner.name))
                target = str(inner.name)
            else:
                target = str(getattr(tool, "name", type(tool).__name__))
                graph.add_node(CodeNode(target, "interface", "tool"))
            graph.add_edge(CodeEdge(name, target))
            graph.add_edge(CodeEdge(target, name))
        for server in getattr(agent, "mcp_servers", []) or []:
            target = str(getattr(server, "name", type(server).__name__))
            graph.add_node(CodeNode(target, "interface", "mcp"))
            graph.add_edge(CodeEdge(name, target))
            graph.add_edge(CodeEdge(target, name))
        for handoff in getattr(agent, "handoffs", []) or []:
            target_agent, target = _target(handoff)
            agent_node(target_agent, target)
            graph.add_edge(CodeEdge(name, target, True, "handoff"))
    return graph
