"""CI's guard against a gross slowdown: time every stage on N and 4N nodes
and fail when one grows far faster than the workspace. Linear growth costs
about 4x; a quadratic stage would cost about 16x. Absolute times are never
checked (CI machines differ); each figure is the best of five runs.

    python bench/growth.py [--nodes 1000] [--limit 8]
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from generate import generate
from run import measure

STAGES = ("parse", "resolve", "lint", "check", "render dot", "fmt")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nodes", type=int, default=1000, help="the smaller size (default 1000)")
    ap.add_argument("--limit", type=float, default=8.0,
                    help="the largest growth allowed for 4x the nodes (default 8)")
    ap.add_argument("--repeat", type=int, default=5,
                    help="timings per stage, of which the shortest counts (default 5)")
    args = ap.parse_args()
    gc.disable()  # as the console script does
    times = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in (args.nodes, 4 * args.nodes):
            folder = Path(tmp) / str(n)
            times[n] = measure(folder, generate(n, folder), args.repeat)
    small, large = times[args.nodes], times[4 * args.nodes]
    failed = []
    print(f"| stage | {args.nodes:,} nodes | {4 * args.nodes:,} nodes | growth |")
    print("|---|---|---|---|")
    for stage in STAGES:
        growth = large[stage] / max(small[stage], 1e-9)
        print(f"| {stage} | {small[stage]:.3f} s | {large[stage]:.3f} s | {growth:.1f}x |")
        if growth > args.limit:
            failed.append(f"{stage} grew {growth:.1f}x for 4x the nodes (limit {args.limit}x)")
    for line in failed:
        print(f"growth: {line}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
