"""CI's guard against a gross slowdown: time every stage on N and 4N nodes,
for the benchmark's regular loops and for adversarial shapes (bench/shapes.py:
cycles without feedback, one hub, a long chain, loops sharing nodes, many
systems, deep imports, a finding on every node, many suppressions), and fail
when a stage grows far faster than the workspace. Linear growth costs about
4x; a quadratic stage would cost about 16x. Absolute times are never checked
(CI machines differ); each figure is the best of several runs, and a stage
that takes under 20 ms at 4N is too small to judge.

    python bench/growth.py [--nodes 1000] [--limit 8] [--shape NAME]
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from run import measure
from shapes import SHAPES

STAGES = ("parse", "resolve", "lint", "check", "render dot", "fmt", "diff", "gen")
TOO_SMALL = 0.02  # seconds: below this, timer noise decides the ratio


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
        times = {}
        with tempfile.TemporaryDirectory() as tmp:
            for n in (args.nodes, 4 * args.nodes):
                folder = Path(tmp) / str(n)
                times[n] = measure(folder, SHAPES[name](n, folder), args.repeat)
        small, large = times[args.nodes], times[4 * args.nodes]
        cells = []
        for stage in STAGES:
            growth = large[stage] / max(small[stage], 1e-9)
            cells.append(f"{growth:.1f}x")
            if growth > args.limit and large[stage] >= TOO_SMALL:
                failed.append(f"{name}: {stage} grew {growth:.1f}x for 4x the nodes "
                              f"(limit {args.limit}x)")
        print(f"| {name} | {small['check']:.3f} s | {large['check']:.3f} s | "
              + " | ".join(cells) + " |", flush=True)
    for line in failed:
        print(f"growth: {line}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
