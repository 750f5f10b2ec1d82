"""loopdsl side by side with a peer, on the same model, in one run.

The peers: pytm (OWASP's threat-modelling-as-code, whose `--dfd` also
builds a model from code and writes Graphviz DOT) and LikeC4 (architecture
as code in its own language, whose `gen dot` writes each view as Graphviz
DOT).

The benchmark's workspace of NODES nodes (bench/generate.py) is written in
the peer's terms too. For pytm: a boundary per system, a Datastore per
context node, a Process per model, a Server per interface, an Actor per
feedback node and a Dataflow per flow. For LikeC4: an element kind per
role, a `system` element per system holding its nodes, a relationship per
flow, and one view that includes every element. Then, alternately, RUNS
times each:

    loopdsl render -f dot --findings WORKSPACE -o OUT.dot   (parse, check, draw)
    python model.py --dfd > OUT.dot                          (pytm: build, check, draw)
    likec4 gen dot -o OUT C4                                 (LikeC4: parse, compute, draw)

The peer is installed, pinned, under the system's temporary folder (made on
the first run): pytm in a virtual environment of its own, LikeC4 with npm
(Node.js needed). A peer's run that takes longer than --timeout seconds is
stopped and counted as not finished. Printed: each side's best and median
wall time, its peak memory, and the ratio of the medians.

    python bench/peers.py [--peer pytm|likec4] [--nodes 10000] [--runs 5] [--timeout 300]
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from generate import generate

PYTM = "pytm==1.4.0"
LIKEC4 = "likec4@1.59.4"
PEERS = Path(tempfile.gettempdir()) / "loopdsl-bench-peers"
CLASSES = {"context": "Datastore", "model": "Process", "interface": "Server",
           "feedback": "Actor"}
C4_KINDS = {"context": "ctx", "model": "llm", "interface": "iface", "feedback": "fb"}


def pytm_python() -> Path:
    """The interpreter of the virtual environment that holds pytm: one per
    Python version, so that both sides run on the interpreter running this."""
    venv = PEERS / f"{PYTM.replace('==', '-')}-py{sys.version_info[0]}.{sys.version_info[1]}"
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


def likec4_command() -> list[str]:
    """How to run LikeC4's command line, installed with npm (node directly,
    not npx: a stopped run then leaves no process behind)."""
    prefix = PEERS / LIKEC4.replace("@", "-")
    script = prefix / "node_modules" / "likec4" / "bin" / "likec4.mjs"
    if not script.exists():
        prefix.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "install", "--silent", "--prefix", str(prefix), LIKEC4],
                       check=True)
    return ["node", str(script)]


def likec4_model(files: list[Path], out: Path) -> Path:
    """The workspace as a LikeC4 model: a folder holding one .c4 file."""
    from loopdsl import load

    workspace = load(files)
    lines = ["specification {", "  element system",
             *(f"  element {kind}" for kind in C4_KINDS.values()), "}", "model {"]
    for system in workspace.systems:
        lines.append(f"  {system.id} = system '{system.label}' {{")
        for node in system.nodes:
            kind = C4_KINDS[node.role.value if node.role else "context"]
            lines.append(f"    {node.id} = {kind} '{node.label}'")
        lines.append("  }")
    for flow in workspace.flows():
        lines.append(f"  {flow.source} -> {flow.target} '{flow.label or 'flow'}'")
    lines += ["}", "views {", "  view index {",
              "    include *, " + ", ".join(f"{s.id}.*" for s in workspace.systems),
              "  }", "}"]
    folder = out / "c4"
    folder.mkdir()
    (folder / "model.c4").write_text("\n".join(lines) + "\n")
    return folder


def timed(argv: list[str], cwd: Path, stdout: Path,
          timeout: float) -> tuple[float, float] | None:
    """Wall time (s) and peak memory (MiB) of one run of ``argv``; None when
    it was stopped after ``timeout`` seconds."""
    with stdout.open("wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, stdout=out, stderr=subprocess.DEVNULL)
        stop = threading.Timer(timeout, proc.kill)
        stop.start()
        _, status, usage = os.wait4(proc.pid, 0)  # this run's own peak memory
        elapsed = time.perf_counter() - start
        stop.cancel()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode == -signal.SIGKILL:  # the timer stopped it
        return None
    if proc.returncode not in (0, 1):  # 1: findings
        raise SystemExit(f"{argv[0]} failed with exit code {proc.returncode}")
    return elapsed, usage.ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--peer", choices=("pytm", "likec4"), default="pytm")
    ap.add_argument("--nodes", type=int, default=10000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--timeout", type=float, default=300, help="seconds a run may take")
    args = ap.parse_args()
    loopdsl = Path(sys.executable).with_name("loopdsl")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = generate(args.nodes, folder / "workspace")
        commands = {
            "loopdsl render -f dot --findings": [str(loopdsl), "render", "-f", "dot",
                                                 "--findings", "workspace", "-o",
                                                 str(folder / "loopdsl.dot")],
        }
        if args.peer == "pytm":
            model = pytm_model(files, folder)
            commands[f"pytm {PYTM.split('==')[1]} --dfd"] = [str(pytm_python()), str(model),
                                                             "--dfd"]
        else:
            c4 = likec4_model(files, folder)
            commands[f"likec4 {LIKEC4.split('@')[1]} gen dot"] = [
                *likec4_command(), "gen", "dot", "-o", str(folder / "likec4"), str(c4)]
        results: dict[str, list[tuple[float, float] | None]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, argv in commands.items():
                results[name].append(timed(argv, folder, folder / "out.txt", args.timeout))
    print(f"{args.nodes:,} nodes, {args.runs} runs each, alternating")
    print("| command | best | median | peak memory |\n|---|---|---|---|")
    medians = {}
    for name, runs in results.items():
        done = [r for r in runs if r is not None]
        if len(done) < len(runs):
            print(f"| {name} | {len(runs) - len(done)} of {len(runs)} runs not finished "
                  f"in {args.timeout:g} s | | |")
            continue
        times = [t for t, _ in done]
        medians[name] = statistics.median(times)
        print(f"| {name} | {min(times):.2f} s | {medians[name]:.2f} s | "
              f"{max(m for _, m in done):.0f} MiB |")
    if len(medians) == 2:
        ours, theirs = medians.values()
        print(f"\nloopdsl is {theirs / ours:.1f}x faster (medians)")


if __name__ == "__main__":
    main()
