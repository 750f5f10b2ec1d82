"""The loopdsl benchmark: cold start against the import floor, and `check`
on synthetic workspaces of growing size, split into parse, resolve, lint and
report, next to a bare lark parse of the same text without positions; then
`render -f dot` and `fmt` on the same workspace, and the peak memory of the
whole (each size runs in its own process).

    python bench/run.py [--sizes 1000,10000,100000] [--runs 10]

Figures from one run are recorded in docs/performance.md.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from generate import generate

ROOT = Path(__file__).resolve().parents[1]


def median_wall(cmd: list[str], runs: int, cwd: Path) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, capture_output=True, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def cold_start(runs: int) -> None:
    floor = median_wall([sys.executable, "-c", "import lark, pydantic, click"], runs, ROOT)
    # The console script beside this interpreter: a version manager's shim on PATH
    # (pyenv's is a shell script) would add its own start-up to loopdsl's.
    beside = Path(sys.executable).with_name("loopdsl")
    exe = str(beside) if beside.exists() else shutil.which("loopdsl") or "loopdsl"
    folder = ROOT / "examples" / "coding-agent"
    check = median_wall([exe, "check", "agent.loop"], runs, folder)
    print(f"| cold start, median of {runs} | import floor {floor * 1000:.0f} ms | "
          f"`loopdsl check agent.loop` {check * 1000:.0f} ms | ratio {check / floor:.2f} |")


def phases(n: int) -> None:
    from lark import Lark

    from loopdsl import Config
    from loopdsl.linter import lint
    from loopdsl.loader import load
    from loopdsl.report import ReportContext, formatter
    from loopdsl.syntax import parser as syntax

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = generate(n, folder)
        texts = [f.read_text() for f in [folder / "kinds.loop", *files]]
        grammar = (ROOT / "grammar" / "loopdsl.lark").read_text()
        bare = Lark(grammar, parser="lalr", lexer="basic")
        start = time.perf_counter()
        for t in texts:
            bare.parse(t)
        bare_parse = time.perf_counter() - start

        start = time.perf_counter()
        for t in texts:
            syntax.parse(t)
        parse = time.perf_counter() - start

        start = time.perf_counter()
        ws = load(files, root=folder)
        load_total = time.perf_counter() - start
        resolve = load_total - parse

        start = time.perf_counter()
        findings = lint(ws, Config.defaults())
        lint_time = time.perf_counter() - start

        start = time.perf_counter()
        formatter("text")(findings, ReportContext(workspace=ws))
        report = time.perf_counter() - start
        flows = len(ws.flows())
        total = load_total + lint_time + report

        from loopdsl.formatter import format_text
        from loopdsl.render.dot import to_dot

        start = time.perf_counter()
        to_dot(ws)
        render = time.perf_counter() - start
        start = time.perf_counter()
        for t in texts:
            format_text(t)
        fmt = time.perf_counter() - start
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"| {n:,} nodes, {flows:,} flows | bare lark {bare_parse:.2f} s | parse "
              f"{parse:.2f} s | resolve {resolve:.2f} s | lint {lint_time:.2f} s | report "
              f"{report:.2f} s | check total {total:.2f} s ({total / bare_parse:.2f}x bare) | "
              f"render dot {render:.2f} s | fmt {fmt:.2f} s | peak {peak:.0f} MiB | "
              f"{len(findings)} findings |", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,10000")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)  # a child process: one size
    args = ap.parse_args()
    if args.one:
        import gc

        gc.disable()  # as the console script does
        phases(args.one)
        return
    cold_start(args.runs)
    for n in (int(s) for s in args.sizes.split(",")):
        subprocess.run([sys.executable, __file__, "--one", str(n)], check=True)


if __name__ == "__main__":
    main()
