"""Traces for `loopdsl conform`'s benchmark and growth check: a design and
OTLP/JSON files of about N spans, one `{"resourceSpans": [...]}` object per
line as the Collector's file exporter writes them, in three shapes:

- runs: many small runs of an agent loop (a question, one to five turns of
  the assistant calling a search tool, a review), each span carrying a prompt
  and LangGraph-style metadata as real instrumentation does;
- one long visit: one run whose agent span calls the tool N/2 times, a model
  call of its own between each two (the turns of the OpenAI Agents SDK);
- wide steps: one run of steps each of many parallel tool calls.

    python bench/spans.py SHAPE N OUT_DIR   # prints the design's and traces' paths
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

DESIGN = """\
system agent {
  owner: "bench"
  context question
  model assistant { latency_ms: 1000 }
  interface search
  feedback review
  question -> assistant
  assistant -> review
  loop tools { max_iterations: 5  budget_ms: 500  assistant -> search -> assistant }
}
"""
PROMPT = "Summarise the customer's last three orders and what they asked about. " * 4
MS = 1_000_000  # nanoseconds


class _Writer:
    """Spans with sequential ids, batched 200 to a line."""

    def __init__(self) -> None:
        self.next_id = 0
        self.batch: list[dict[str, Any]] = []
        self.lines: list[str] = []

    def span(self, trace: int, name: str, start: int, end: int, parent: str | None = None,
             **attributes: str | int) -> str:
        self.next_id += 1
        span_id = f"{self.next_id:016x}"
        raw: dict[str, Any] = {
            "traceId": f"{trace:032x}", "spanId": span_id, "name": name,
            "startTimeUnixNano": str(start), "endTimeUnixNano": str(end),
            "attributes": [{"key": key, "value": {"intValue": str(value)}
                            if isinstance(value, int) else {"stringValue": value}}
                           for key, value in attributes.items()]}
        if parent is not None:
            raw["parentSpanId"] = parent
        self.batch.append(raw)
        if len(self.batch) == 200:
            self.flush()
        return span_id

    def flush(self) -> None:
        if self.batch:
            self.lines.append(json.dumps({"resourceSpans": [{"scopeSpans": [
                {"spans": self.batch}]}]}))
            self.batch = []


def _node(w: _Writer, trace: int, node: str, step: int, start: int, end: int,
          parent: str | None = None) -> str:
    meta = json.dumps({"langgraph_node": node, "langgraph_step": step, "thread_id": "t1"})
    return w.span(trace, node, start, end, parent, metadata=meta,
                  **{"input.value": PROMPT, "openinference.span.kind": "CHAIN"})


def runs(w: _Writer, n: int) -> None:
    """Many runs of one to five turns."""
    trace = 0
    while w.next_id < n:
        trace += 1
        turns = 1 + trace % 5
        t, step = 0, 0
        _node(w, trace, "question", step, t, t + 5 * MS)
        t += 10 * MS
        for turn in range(turns):
            step += 1
            agent = _node(w, trace, "assistant", step, t, t + 40 * MS)
            w.span(trace, "ChatModel", t + MS, t + 30 * MS, agent,
                   **{"llm.token_count.prompt": 120, "llm.token_count.completion": 30})
            t += 50 * MS
            if turn + 1 < turns:
                step += 1
                _node(w, trace, "search", step, t, t + 10 * MS)
                t += 20 * MS
        step += 1
        _node(w, trace, "review", step, t, t + 5 * MS)


def long_visit(w: _Writer, n: int) -> None:
    """One agent span; N/2 tool calls, each after a model call of its own."""
    calls = max(1, n // 2)
    agent = w.span(1, "agent run", 0, (calls + 1) * 10 * MS,
                   **{"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "assistant"})
    for i in range(calls):
        t = i * 10 * MS
        w.span(1, "chat", t + MS, t + 4 * MS, agent,
               **{"gen_ai.operation.name": "chat", "gen_ai.usage.input_tokens": 50})
        w.span(1, "execute_tool search", t + 5 * MS, t + 9 * MS, agent,
               **{"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "search"})


def wide_steps(w: _Writer, n: int) -> None:
    """Four steps of N/4 parallel tool calls, the assistant between them."""
    width = max(1, n // 4)
    t = 0
    for step in range(4):
        _node(w, 1, "assistant", 2 * step, t, t + 10 * MS)
        t += 20 * MS
        for _ in range(width - 1):
            _node(w, 1, "search", 2 * step + 1, t, t + 10 * MS)
        t += 20 * MS


SHAPES: dict[str, Callable[[_Writer, int], None]] = {
    "runs": runs, "one long visit": long_visit, "wide steps": wide_steps}


def write(shape: str, n: int, out: Path) -> tuple[Path, Path]:
    """The design and about N spans of the shape, written under ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    design, traces = out / "agent.loop", out / "traces.jsonl"
    design.write_text(DESIGN)
    w = _Writer()
    SHAPES[shape](w, n)
    w.flush()
    traces.write_text("\n".join(w.lines) + "\n")
    return design, traces


if __name__ == "__main__":
    shape, n, out = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
    print(*write(shape, n, out))
