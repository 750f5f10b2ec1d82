"""The loopdsl benchmark: cold start against the import floor, and `check`
on synthetic workspaces of growing size, split into parse, resolve, lint and
report, next to a bare lark parse of the same text without positions; then
`render -f dot` and `fmt` on the same workspace, the whole of
`render -f dot --findings` (check and render in one run) as a command, and
peak memory (each size runs in its own process).

    python bench/run.py [--sizes 1000,10000,100000] [--runs 10]

Figures from one run are recorded in docs/performance.md; bench/growth.py
is the CI's check that growth stays linear.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from generate import generate

ROOT = Path(__file__).resolve().parents[1]


def console_script() -> str:
    """The console script beside this interpreter: a version manager's shim on
    PATH (pyenv's is a shell script) would add its own start-up to loopdsl's."""
    beside = Path(sys.executable).with_name("loopdsl")
    return str(beside) if beside.exists() else shutil.which("loopdsl") or "loopdsl"


def median_wall(cmd: list[str], runs: int, cwd: Path) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, capture_output=True, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def cold_start(runs: int) -> None:
    py = sys.executable
    floor = median_wall([py, "-c", "import lark, pydantic, click"], runs, ROOT)
    models = median_wall([py, "-c", "import lark, click; from pydantic import BaseModel, Field"],
                         runs, ROOT)
    folder = ROOT / "examples" / "coding-agent"
    check = median_wall([console_script(), "check", "agent.loop"], runs, folder)
    print(f"| cold start, median of {runs} | import floor {floor * 1000:.0f} ms | "
          f"floor with pydantic.BaseModel {models * 1000:.0f} ms | "
          f"`loopdsl check agent.loop` {check * 1000:.0f} ms | ratio {check / floor:.2f} "
          f"({check / models:.2f} to the second) |")


def best(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """The shortest of ``repeat`` timings of ``fn()``, and its result. The
    garbage of earlier runs is collected before each (untimed): with the
    collector paused, as the console script runs, it would otherwise pile up
    and slow later stages by a varying amount (a 60 ms stage read 8x once)."""
    shortest, result = float("inf"), None
    for _ in range(repeat):
        result = None
        gc.collect()
        start = time.perf_counter()
        result = fn()
        shortest = min(shortest, time.perf_counter() - start)
    return shortest, result


def measure(folder: Path, files: list[Path], repeat: int = 1) -> dict[str, Any]:
    """Seconds per stage on one generated workspace (the best of ``repeat``)."""
    from lark import Lark
    from lark.exceptions import UnexpectedInput

    from loopdsl import loader
    from loopdsl.app.workspace import check, runs
    from loopdsl.formatter import FormatError, format_text
    from loopdsl.linter import lint_with
    from loopdsl.linter.registry import build
    from loopdsl.render.dot import to_dot
    from loopdsl.report import ReportOptions, formatter
    from loopdsl.resolve import resolve
    from loopdsl.syntax import parser as syntax

    texts = [f.read_text() for f in sorted(folder.glob("*.loop"))]
    grammar = (ROOT / "grammar" / "loopdsl.lark").read_text()
    bare = Lark(grammar, parser="lalr", lexer="basic")
    t: dict[str, Any] = {}
    def bare_all() -> None:
        for x in texts:
            with contextlib.suppress(UnexpectedInput):  # lark stops at a first syntax error
                bare.parse(x)

    t["bare lark"], _ = best(bare_all, repeat)
    t["parse"], _ = best(lambda: [syntax.parse(x) for x in texts], repeat)
    # The resolver, timed on its own inside load(): load minus parse is too
    # noisy on small workspaces for bench/growth.py.
    resolve_times: list[float] = []

    def timed_resolve(*args: Any) -> Any:
        start = time.perf_counter()
        workspace = resolve(*args)
        resolve_times.append(time.perf_counter() - start)
        return workspace

    loader.resolve = timed_resolve
    try:
        _, ws = best(lambda: loader.load(files, root=folder), repeat)
    finally:
        loader.resolve = resolve
    t["resolve"] = min(resolve_times)
    registry = build()
    t["lint"], findings = best(lambda: lint_with(ws, registry), repeat)
    options = ReportOptions(sources={f.path: f.text for f in ws.files}, files=len(ws.files))
    t["report"], _ = best(lambda: formatter("text")(findings, registry, options), repeat)

    def check_and_report() -> str:  # what `loopdsl check .` does, through the app layer
        checked = check(runs([str(folder)]))
        return formatter("text")(checked.findings, checked.registry, ReportOptions(
            sources=checked.sources(), files=len(checked.workspace.files)))

    t["check"], _ = best(check_and_report, repeat)
    t["render dot"], _ = best(lambda: to_dot(ws, findings=findings), repeat)
    def fmt_all() -> None:
        for x in texts:
            with contextlib.suppress(FormatError):  # a file with syntax errors is left alone
                format_text(x)

    t["fmt"], _ = best(fmt_all, repeat)
    from loopdsl.diff import Side, compare
    from loopdsl.lsp.analysis import Analysis

    biggest = max(files, key=lambda f: f.stat().st_size)  # what an editor has open
    t["lsp"], _ = best(lambda: Analysis(biggest.resolve(), {}), repeat)
    side = Side(ws, findings, str)
    t["diff"], _ = best(lambda: compare(side, side, base="a", head="b", file_name=str), repeat)
    from loopdsl.codegen import generate

    t["gen"], _ = best(lambda: generate(ws, "bench"), repeat)
    t["flows"], t["findings"] = len(ws.flows()), len(findings)
    return t


def phases(n: int) -> None:
    import resource

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = generate(n, folder)
        t = measure(folder, files)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        command = median_wall([console_script(), "render", "-f", "dot", "--findings",
                               "-o", "out.dot", "."], 3, folder)
    print(f"| {n:,} nodes, {t['flows']:,} flows | bare lark {t['bare lark']:.2f} s | parse "
          f"{t['parse']:.2f} s | resolve {t['resolve']:.2f} s | lint {t['lint']:.2f} s | report "
          f"{t['report']:.2f} s | check total {t['check']:.2f} s "
          f"({t['check'] / t['bare lark']:.2f}x bare) | render dot {t['render dot']:.2f} s | "
          f"fmt {t['fmt']:.2f} s | peak {peak:.0f} MiB | {t['findings']} findings | "
          f"`loopdsl render -f dot --findings .` {command:.2f} s wall |", flush=True)


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
