"""What the runs did, in the design's terms: spans mapped to the visits of
design nodes, a run's visits grouped into steps, the transitions between
consecutive steps, and each loop's turns and their latencies.

A span is a visit of a node when the first attribute of ``MAPPING`` present
on it names the node's code name (its ``impl``, else its id). A mapped span
below a span mapped to the same node belongs to that visit. The spans of one
``traceId`` are one run. Everything is computed per run, in time linear in
its spans, and only counts are kept across runs.
"""

from __future__ import annotations

import itertools
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from loopdsl.conform.traces import Span


def _operation(span: Span, allowed: str) -> bool:
    op = span.attributes.get("gen_ai.operation.name")
    return op is None or op == allowed


# The attributes that name a span's node, in order; the first present decides.
MAPPING: tuple[tuple[str, Any], ...] = (
    ("loopdsl.node", lambda s: s.attributes.get("loopdsl.node")),
    ("graph.node.id", lambda s: s.attributes.get("graph.node.id")),
    ("langgraph_node", lambda s: s.attributes.get("langgraph_node")),
    ("gen_ai.agent.name", lambda s: s.attributes.get("gen_ai.agent.name")
     if _operation(s, "invoke_agent") else None),
    ("gen_ai.tool.name", lambda s: s.attributes.get("gen_ai.tool.name")
     if _operation(s, "execute_tool") else None),
    ("agent.name", lambda s: s.attributes.get("agent.name")),
    ("tool.name", lambda s: s.attributes.get("tool.name")),
)


def node_of(span: Span, code_names: dict[str, str], system: str) -> str | None:
    """The design node (qualified id) the span is a visit of, or None."""
    for _, read in MAPPING:
        value = read(span)
        if value is None:
            continue
        if isinstance(value, str) and value in code_names:
            named = span.attributes.get("loopdsl.system")
            if named is not None and named != system:
                return None
            return code_names[value]
        return None
    return None


def step_number(span: Span) -> int | None:
    for key in ("loopdsl.step", "langgraph_step"):
        value = span.attributes.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


@dataclass(slots=True)
class Visit:
    node: str
    span: Span
    children: list[Visit] = field(default_factory=list)
    own: list[Span] = field(default_factory=list)  # spans below it in no child visit

    @property
    def start(self) -> int:
        return self.span.start

    @property
    def end(self) -> int:
        return self.span.end


@dataclass(slots=True)
class LoopFigures:
    runs: int = 0  # runs it turned in
    turns: list[int] = field(default_factory=list)  # per run
    latencies: list[float] = field(default_factory=list)  # ms, per turn
    over_bound: int = 0  # runs over its bound
    at_bound: int = 0  # runs that reached it
    worst: tuple[int, str] = (0, "")  # most turns, and the least trace id with as many
    tokens: list[int] = field(default_factory=list)  # per turn, where spans carry them


@dataclass(slots=True)
class Observed:
    """What the runs did, counted."""

    runs: int = 0
    spans: int = 0
    visits: int = 0
    durations: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    transitions: Counter[tuple[str, str]] = field(default_factory=Counter)
    runs_with: Counter[tuple[str, str]] = field(default_factory=Counter)  # runs that showed it
    example: dict[tuple[str, str], str] = field(default_factory=dict)  # least trace id
    unmapped: Counter[str] = field(default_factory=Counter)
    loops: dict[str, LoopFigures] = field(default_factory=lambda: defaultdict(LoopFigures))


def _steps(visits: list[Visit]) -> list[list[Visit]]:
    """Visits grouped into steps: by step number when every one has one,
    else chains of overlapping intervals; in order."""
    if not visits:
        return []
    numbers = [step_number(v.span) for v in visits]
    if all(n is not None for n in numbers):
        by: dict[int, list[Visit]] = defaultdict(list)
        for v, n in zip(visits, numbers, strict=True):
            assert n is not None
            by[n].append(v)
        return [sorted(by[n], key=lambda v: v.start) for n in sorted(by)]
    steps: list[list[Visit]] = []
    end = None
    for v in sorted(visits, key=lambda v: (v.start, v.end)):
        if steps and end is not None and v.start < end:
            steps[-1].append(v)
            end = max(end, v.end)
        else:
            steps.append([v])
            end = v.end
    return steps


def _span_of_step(step: list[Visit]) -> tuple[int, int]:
    return min(v.start for v in step), max(v.end for v in step)


def _sequence(visit: Visit) -> list[list[Visit]]:
    """The steps inside a visit, the visit itself counted before the first,
    after the last, and between two separated by a span of its own."""
    steps = _steps(visit.children)
    if not steps:
        return [[visit]]
    own = sorted(o.start for o in visit.own)
    out = [[visit]]
    for i, step in enumerate(steps):
        out.append(step)
        if i + 1 < len(steps):
            end, nxt = _span_of_step(step)[1], _span_of_step(steps[i + 1])[0]
            first = bisect_left(own, end)  # the first own span starting at or after the end
            if first < len(own) and own[first] < nxt:
                out.append([visit])
    out.append([visit])
    return out


def observe(runs: Iterable[list[Span]], code_names: dict[str, str], system: str,
            loop_entries: dict[str, str], bounds: dict[str, int]) -> Observed:
    """Count what the runs (each the spans of one trace id) did, in any order.
    ``code_names``: code name -> design node; ``loop_entries``: loop -> its
    entry node; ``bounds``: loop -> max_iterations."""
    obs = Observed()
    for spans in runs:
        obs.spans += len(spans)
        _run(spans[0].trace, spans, code_names, system, loop_entries, bounds, obs)
    return obs


def _run(trace: str, spans: list[Span], code_names: dict[str, str], system: str,
         loop_entries: dict[str, str], bounds: dict[str, int], obs: Observed) -> None:
    by_id = {s.id: s for s in spans}
    if len(by_id) < len(spans):  # a span exported twice (an exporter's retry) is one span
        spans = list(by_id.values())
    mapped = {s.id: node for s in spans if (node := node_of(s, code_names, system))}
    if not mapped:
        for s in spans:
            obs.unmapped[s.name] += 1
        return
    # Each span's nearest mapped ancestor-or-self: one pass in start order with
    # a memo, so a deep tree costs its size.
    owner: dict[str, str | None] = {}

    def nearest(span_id: str) -> str | None:
        chain: dict[str, None] = {}  # in order; a parent id met again is a cycle: no owner
        current: str | None = span_id
        while current is not None and current not in owner and current not in chain:
            if current in mapped:
                owner[current] = current
                break
            chain[current] = None
            parent = by_id[current].parent if current in by_id else None
            current = parent if parent in by_id else None
        if current in chain:
            current = None
        found = owner.get(current) if current is not None else None
        for c in chain:
            owner[c] = found
        return found

    visits: dict[str, Visit] = {}  # visit span id -> visit
    top: list[Visit] = []
    for s in sorted(spans, key=lambda s: (s.start, -s.end)):
        parent = s.parent if s.parent in by_id else None
        above = nearest(parent) if parent is not None else None
        if s.id in mapped:
            holder = visits.get(above) if above is not None else None
            if holder is not None and holder.node == mapped[s.id]:
                owner[s.id] = holder.span.id  # the same node's inner span: its visit
                holder.own.append(s)
                continue
            visit = Visit(mapped[s.id], s)
            visits[s.id] = visit
            (holder.children if holder is not None else top).append(visit)
        elif above is not None and above in visits:
            visits[above].own.append(s)
        else:
            obs.unmapped[s.name] += 1
    obs.runs += 1
    obs.visits += len(visits)
    for v in visits.values():
        obs.durations[v.node].append((v.end - v.start) / 1e6)
    here: Counter[tuple[str, str]] = Counter()
    for sequence in [_steps(top), *(_sequence(v) for v in visits.values() if v.children)]:
        # Every pair of a step's visit and the next step's, counted per node
        # pair: two wide parallel steps cost their nodes, not their product.
        nodes = [{step[0].node: 1} if len(step) == 1 else Counter(v.node for v in step)
                 for step in sequence]
        for a_nodes, b_nodes in itertools.pairwise(nodes):
            for a, a_count in a_nodes.items():
                for b, b_count in b_nodes.items():
                    here[(a, b)] += a_count * b_count
    obs.transitions.update(here)
    obs.runs_with.update(here.keys())
    for key in here:
        obs.example[key] = min(obs.example.get(key, trace), trace)
    by_node: dict[str, list[Visit]] = defaultdict(list)
    for v in visits.values():
        by_node[v.node].append(v)
    timeline = _Timeline(list(visits.values()))
    for loop, entry in loop_entries.items():
        if by_node.get(entry):
            _turns(trace, loop, by_node[entry], timeline, bounds.get(loop), obs)


class _Timeline:
    """A run's visits and token counts in start order, to ask of any
    interval by bisection: what ran last in it, how many tokens it used."""

    def __init__(self, visits: list[Visit]) -> None:
        self.visits = sorted((v.start, v.end) for v in visits)
        self.starts = [start for start, _ in self.visits]
        points = sorted((s.start, n) for v in visits for s in [v.span, *v.own]
                        if (n := _tokens(s)) is not None)
        self.token_starts = [start for start, _ in points]
        self.prefix = [0, *itertools.accumulate(n for _, n in points)]

    def tokens(self, start: int, before: int | None) -> int | None:
        lo = bisect_left(self.token_starts, start)
        hi = bisect_left(self.token_starts, before) if before is not None \
            else len(self.token_starts)
        return self.prefix[hi] - self.prefix[lo] if hi > lo else None


def _last(intervals: list[tuple[int, int]], starts: list[int],
          before: int | None) -> tuple[int, int] | None:
    """Of the (start, end) intervals sorted, the last starting before
    ``before`` (of those starting last, the one ending last)."""
    j = (bisect_left(starts, before) if before is not None else len(starts)) - 1
    return intervals[j] if j >= 0 else None


def _turns(trace: str, loop: str, entries: list[Visit], timeline: _Timeline,
           bound: int | None, obs: Observed) -> None:
    """A turn starts at each visit of the entry, and at each span of its own
    that starts after one of its child steps (its next model call)."""
    starts: list[int] = []
    for v in entries:
        starts.append(v.start)
        steps = _steps(v.children)
        if steps:
            first_end = _span_of_step(steps[0])[1]
            ids = {o.id for o in v.own}
            for o in v.own:  # the own spans not nested in another own span
                if o.start >= first_end and o.parent not in ids:
                    starts.append(o.start)
    starts.sort()
    figures = obs.loops[loop]
    figures.runs += 1
    figures.turns.append(len(starts))
    if len(starts) > figures.worst[0] or (len(starts) == figures.worst[0]
                                          and trace < figures.worst[1]):
        figures.worst = (len(starts), trace)
    if bound is not None:
        figures.over_bound += len(starts) > bound
        figures.at_bound += len(starts) >= bound
    # A turn ends with the last visit, or span of the entry's own, that
    # starts in it.
    own = sorted((o.start, o.end) for v in entries for o in v.own)
    own_starts = [start for start, _ in own]
    for i, start in enumerate(starts):
        nxt = starts[i + 1] if i + 1 < len(starts) else None
        last = max(filter(None, (_last(timeline.visits, timeline.starts, nxt),
                                 _last(own, own_starts, nxt))), default=None)
        last_end = last[1] if last is not None and last[0] >= start else start
        figures.latencies.append((last_end - start) / 1e6)
        tokens = timeline.tokens(start, nxt)
        if tokens is not None:
            figures.tokens.append(tokens)


def _tokens(span: Span) -> int | None:
    """The tokens a span reports (GenAI or OpenInference), or None."""
    total, found = 0, False
    for key in ("gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens",
                "llm.token_count.prompt", "llm.token_count.completion"):
        n = span.attributes.get(key)
        if isinstance(n, int) and not isinstance(n, bool):
            total, found = total + n, True
    return total if found else None
