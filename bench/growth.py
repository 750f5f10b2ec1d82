"""CI's guard against a gross slowdown: time every stage on N and 4N nodes,
for the benchmark's regular loops and for adversarial shapes (bench/shapes.py:
cycles without feedback, one hub, a long chain, loops sharing nodes, many
systems, deep imports, a finding on every node, many suppressions), then
`import` and `drift` on code graphs of awkward shapes (code names that all
make one id, many two-node cycles against as many loops), then `conform` on
traces of 10N and 40N spans (bench/spans.py: many runs, one agent visit of
many turns, steps of many parallel calls), then `render -f svg` and `doc -f
html` with Graphviz on N/4 and N nodes of regular and cross-linked loops,
and fail when a
stage grows far faster than the workspace. Linear growth costs about
4x; a quadratic stage would cost about 16x. Absolute times are never checked
(CI machines differ); each figure is the best of several runs, a shape with a
stage past the limit is measured again (up to twice, the best time of every
run counting) and, if still past it, judged once more at 4N and 16N (not the
drawings); a stage that takes under 20 ms at 4N is too small to judge.

    python bench/growth.py [--nodes 1000] [--limit 8] [--shape NAME]
"""

from __future__ import annotations

import argparse
import gc
import itertools
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

sys.path.insert(0, str(Path(__file__).parent))
from run import measure
from shapes import SHAPES
from spans import SHAPES as TRACE_SHAPES
from spans import write as write_traces

if TYPE_CHECKING:
    from loopdsl.drift import CodeGraph

STAGES = ("parse", "resolve", "lint", "check", "render dot", "fmt", "diff", "gen")
TOO_SMALL = 0.02  # seconds: below this, timer noise decides the ratio
CODE_SCALE = 4  # code graphs are measured at 4N and 16N nodes
SPAN_SCALE = 10  # traces at 10N and 40N spans
DRAWN_SCALE = 0.25  # drawings at N/4 and N nodes (the cliff began at 200)
RETRIES = 2  # a shape past the limit is measured again, at most this often


def best_of(repeat: int, fn: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()  # untimed: the last repetition's garbage must not slow this one
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def _colliding_names(n: int) -> Callable[[], object]:
    """`import` of N code names that all make the id `n____...`."""
    from loopdsl.drift import CodeEdge, CodeGraph, CodeNode, to_design

    width = max(n.bit_length(), 1)
    code = CodeGraph("colliding")
    names = ["n" + format(i, f"0{width}b").replace("0", "-").replace("1", ".")
             for i in range(n)]
    for name in names:
        code.nodes[name] = CodeNode(name)
    for a, b in itertools.pairwise(names):
        code.add_edge(CodeEdge(a, b))
    return lambda: to_design(code, "colliding")


def _cycles_code(n: int) -> CodeGraph:
    from loopdsl.drift import CodeEdge, CodeGraph, CodeNode

    code = CodeGraph("cycles")
    for i in range(n // 2):
        code.nodes[f"a{i}"], code.nodes[f"b{i}"] = CodeNode(f"a{i}"), CodeNode(f"b{i}")
        code.add_edge(CodeEdge(f"a{i}", f"b{i}"))
        code.add_edge(CodeEdge(f"b{i}", f"a{i}"))
    return code


def _import_cycles(n: int) -> Callable[[], object]:
    """`import` of N/2 two-node cycles (a loop each)."""
    from loopdsl.drift import to_design

    code = _cycles_code(n)
    return lambda: to_design(code, "cycles")


def _drift_cycles(n: int) -> Callable[[], object]:
    """`drift` of N/2 two-node code cycles against a design of N/2 loops."""
    from loopdsl import loads
    from loopdsl.drift import compare

    code = _cycles_code(n)
    body = "\n".join(f"  model a{i}\n  interface b{i}\n  loop l{i} {{ a{i} -> b{i} -> a{i} }}"
                     for i in range(n // 2))
    system = loads(f"system cycles {{\n{body}\n}}\n").systems[0]
    return lambda: compare(system, code)


def _conform(shape: str) -> Callable[[int], Callable[[], object]]:
    """`conform` (read and checked) of about N spans of a traces shape."""
    def stage(n: int) -> Callable[[], object]:
        from loopdsl import load
        from loopdsl.conform import conform
        from loopdsl.conform.traces import read_runs

        folder = tempfile.TemporaryDirectory()  # removed when the stage is dropped
        design, traces = write_traces(shape, n, Path(folder.name))
        system = load([design]).systems[0]
        return lambda: (folder, conform(system, read_runs([traces])))
    return stage


def _drawn(shape: str, what: str) -> Callable[[int], Callable[[], object]]:
    """``render -f svg`` or ``doc -f html`` (Graphviz's dot included) of a
    shape, through the application layer."""
    def stage(n: int) -> Callable[[], object]:
        from loopdsl.app.diagrams import drawing
        from loopdsl.app.review import document

        folder = tempfile.TemporaryDirectory()  # removed when the stage is dropped
        first = str(SHAPES[shape](n, Path(folder.name))[0])
        if what == "render svg":
            return lambda: (folder, drawing(first, "svg"))
        return lambda: (folder, document(first, "html"))
    return stage


CODE_STAGES: dict[str, Callable[[int], Callable[[], object]]] = {
    "import: code names that make one id": _colliding_names,
    "import: two-node cycles": _import_cycles,
    "drift: two-node cycles against loops": _drift_cycles,
}
SPAN_STAGES: dict[str, Callable[[int], Callable[[], object]]] = {
    f"conform: {shape}": _conform(shape) for shape in TRACE_SHAPES
}
# Graphviz's layout has cliffs of its own (cross-linked loops: minutes at
# 1,000 nodes before the ways back stopped constraining the ranks).
DRAWN_STAGES: dict[str, Callable[[int], Callable[[], object]]] = {
    f"{what}: {shape}": _drawn(shape, what)
    for shape in ("loops", "cross-linked groups") for what in ("render svg", "doc html")
}


def _shape_times(name: str, nodes: int, repeat: int) -> tuple[Times, Times]:
    """Each stage's best time on the shape at N and at 4N nodes."""
    times = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in (nodes, 4 * nodes):
            folder = Path(tmp) / str(n)
            gc.collect()  # the earlier shapes' garbage must not slow this one's timings
            times[n] = measure(folder, SHAPES[name](n, folder), repeat)
    return times[nodes], times[4 * nodes]


Times = dict[str, float]  # stage -> best time


def _stage_times(stage: Callable[[int], Callable[[], object]], name: str, n: int,
                 repeat: int) -> tuple[Times, Times]:
    """A code-graph or traces stage's best time at N and at 4N."""
    return {name: best_of(repeat, stage(n))}, {name: best_of(repeat, stage(4 * n))}


def _over(small: Times, large: Times, limit: float) -> list[tuple[str, float]]:
    """The stages that grew past the limit, with their growth."""
    out = []
    for stage in small:
        growth = large[stage] / max(small[stage], 1e-9)
        if growth > limit and large[stage] >= TOO_SMALL:
            out.append((stage, growth))
    return out


def _steady(timings: Callable[[int], tuple[Times, Times]], base: int, limit: float,
            escalate: bool = True) -> tuple[Times, Times, int]:
    """The times at N and 4N, and N; measured again while a stage is past the
    limit (at most RETRIES times), each stage's best counting. A busy machine
    can slow one timing of a linear stage past the limit; a quadratic stage
    stays past it however often it runs. A stage still past it is judged once
    more at 4N and 16N (``escalate``), where it takes long enough that a few
    milliseconds of noise no longer double its ratio; a quadratic stage grows
    about 16x there too, an n log n one about 5x."""
    small, large = timings(base)
    for _ in range(RETRIES):
        if not _over(small, large, limit):
            break
        again_small, again_large = timings(base)
        small = {k: min(v, again_small[k]) for k, v in small.items()}
        large = {k: min(v, again_large[k]) for k, v in large.items()}
    if escalate and _over(small, large, limit):
        return *timings(4 * base), 4 * base
    return small, large, base


def _judged(n: int, base: int) -> str:
    """A row's note when its figures come from the larger sizes."""
    return f" (past the limit at {base:,}: judged at {n:,} and {4 * n:,})" if n != base else ""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nodes", type=int, default=1000, help="the smaller size (default 1000)")
    ap.add_argument("--limit", type=float, default=8.0,
                    help="the largest growth allowed for 4x the nodes (default 8)")
    ap.add_argument("--repeat", type=int, default=5,
                    help="timings per stage, of which the shortest counts (default 5)")
    ap.add_argument("--shape", action="append", choices=sorted(SHAPES),
                    help="only this shape (repeatable; default: every shape)")
    args = ap.parse_args()
    gc.disable()  # as the console script does
    failed = []
    print(f"| shape | check at {args.nodes:,} | check at {4 * args.nodes:,} | "
          + " | ".join(STAGES) + " |")
    print("|---|---|---|" + "---|" * len(STAGES))
    for name in args.shape or SHAPES:
        small, large, n = _steady(partial(_shape_times, name, repeat=args.repeat),
                                  args.nodes, args.limit)
        cells = [f"{large[stage] / max(small[stage], 1e-9):.1f}x" for stage in STAGES]
        failed += [f"{name}: {stage} grew {growth:.1f}x from {n:,} to {4 * n:,} nodes "
                   f"(limit {args.limit}x)" for stage, growth in _over(small, large, args.limit)]
        print(f"| {name}{_judged(n, args.nodes)} | {small['check']:.3f} s | "
              f"{large['check']:.3f} s | " + " | ".join(cells) + " |", flush=True)
    # Code graphs and spans cost little each: sized up so the timer, not the
    # dictionaries' first resizes, decides the ratio.
    for what, scale, stages in (("code graph", CODE_SCALE, CODE_STAGES),
                                ("traces (spans)", SPAN_SCALE, SPAN_STAGES),
                                ("drawn by Graphviz", DRAWN_SCALE, DRAWN_STAGES)):
        base = int(scale * args.nodes)
        print(f"\n| {what} | at {base:,} | at {4 * base:,} | growth |")
        print("|---|---|---|---|")
        for name, stage in stages.items():
            # Graphviz at 4x its larger size would take minutes: drawings are not escalated.
            small, large, n = _steady(partial(_stage_times, stage, name, repeat=args.repeat),
                                      base, args.limit, escalate=stages is not DRAWN_STAGES)
            growth = large[name] / max(small[name], 1e-9)
            print(f"| {name}{_judged(n, base)} | {small[name]:.3f} s | {large[name]:.3f} s | "
                  f"{growth:.1f}x |", flush=True)
            failed += [f"{name} grew {g:.1f}x from {n:,} to {4 * n:,} (limit {args.limit}x)"
                       for _, g in _over(small, large, args.limit)]
    for line in failed:
        print(f"growth: {line}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
