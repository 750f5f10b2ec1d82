"""loopdsl side by side with a peer, on the same model, in one run: pytm
(OWASP's threat-modelling-as-code, whose `--dfd` also builds a model from
code and writes Graphviz DOT).

The benchmark's workspace of NODES nodes (bench/generate.py) is written as
a pytm model too: a boundary per system, a Datastore per context node, a
Process per model, a Server per interface, an Actor per feedback node and a
Dataflow per flow. Then, alternately, RUNS times each:

    loopdsl render -f dot --findings WORKSPACE -o OUT.dot   (parse, check, draw)
    python model.py --dfd > OUT.dot                          (pytm: build, check, draw)

pytm is installed, pinned, in a virtual environment of its own under the
system's temporary folder (made on the first run). Printed: each side's best
and median wall time, its peak memory, and the ratio of the medians.

    python bench/peers.py [--nodes 10000] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from generate import generate

PYTM = "pytm==1.4.0"
PEERS = Path(tempfile.gettempdir()) / "loopdsl-bench-peers"
CLASSES = {"context": "Datastore", "model": "Process", "interface": "Server",
           "feedback": "Actor"}


def pytm_python() -> Path:
    """The interpreter of the virtual environment that holds pytm."""
    venv = PEERS / PYTM.replace("==", "-")
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", PYTM], check=True)
    return python


def pytm_model(files: list[Path], out: Path) -> Path:
    """The workspace as a pytm model script."""
    from loopdsl import load

    workspace = load(files)
    lines = ["from pytm import TM, Actor, Boundary, Dataflow, Datastore, Process, Server",
             'tm = TM("benchmark")', 'tm.description = "bench/generate.py"', "n = {}"]
    for system in workspace.systems:
        lines.append(f"b = Boundary({system.id!r})")
        for node in system.nodes:
            role = node.role.value if node.role else "context"
            lines.append(f"n[{node.qualified_id!r}] = {CLASSES[role]}({node.label!r})")
            lines.append(f"n[{node.qualified_id!r}].inBoundary = b")
    for flow in workspace.flows():
        lines.append(f"Dataflow(n[{flow.source!r}], n[{flow.target!r}], "
                     f"{(flow.label or 'flow')!r})")
    lines.append("tm.process()")
    path = out / "model.py"
    path.write_text("\n".join(lines) + "\n")
    return path


def timed(argv: list[str], cwd: Path, stdout: Path) -> tuple[float, float]:
    """Wall time (s) and peak memory (MiB) of one run of ``argv``."""
    with stdout.open("wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, stdout=out, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):  # 1: findings
        raise SystemExit(f"{argv[0]} failed with exit code {proc.returncode}")
    return elapsed, usage.ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nodes", type=int, default=10000)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    loopdsl = Path(sys.executable).with_name("loopdsl")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = generate(args.nodes, folder / "workspace")
        model = pytm_model(files, folder)
        python = pytm_python()
        commands = {
            "loopdsl render -f dot --findings": [str(loopdsl), "render", "-f", "dot",
                                                 "--findings", "workspace", "-o",
                                                 str(folder / "loopdsl.dot")],
            f"pytm {PYTM.split('==')[1]} --dfd": [str(python), str(model), "--dfd"],
        }
        results: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, argv in commands.items():
                results[name].append(timed(argv, folder, folder / "out.txt"))
    print(f"{args.nodes:,} nodes, {args.runs} runs each, alternating")
    print("| command | best | median | peak memory |\n|---|---|---|---|")
    medians = {}
    for name, runs in results.items():
        times = [t for t, _ in runs]
        medians[name] = statistics.median(times)
        print(f"| {name} | {min(times):.2f} s | {medians[name]:.2f} s | "
              f"{max(m for _, m in runs):.0f} MiB |")
    ours, theirs = medians.values()
    print(f"\nloopdsl is {theirs / ours:.1f}x faster (medians)")


if __name__ == "__main__":
    main()
