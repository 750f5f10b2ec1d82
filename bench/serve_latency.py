"""Time from a save to the review page's new state, with the real command
(`python -m loopdsl serve --port 0`) on the benchmark's workspace of NODES
nodes: the watcher's poll, the check, the review and every diagram drawn by
`dot`. The aim is under a second.

    python bench/serve_latency.py [--nodes 1000] [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from generate import generate


def version(url: str) -> str:
    with urllib.request.urlopen(url + "state", timeout=60) as r:
        return str(json.loads(r.read())["version"])


def measure(nodes: int, runs: int) -> tuple[float, list[float]]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "loopdsl.toml").write_text("")
        files = generate(nodes, folder)
        path = max(files, key=lambda f: f.stat().st_size)
        started = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "loopdsl", "serve", "--port", "0"],
                                cwd=folder, stderr=subprocess.PIPE, text=True)
        assert proc.stderr is not None
        found = re.search(r"http://\S+/", proc.stderr.readline())
        assert found, "serve did not start"
        first = time.perf_counter() - started
        url, times = found.group(0), []
        try:
            for i in range(runs):
                before = version(url)
                path.write_text(path.read_text() + f"\n# save {i}\n")
                saved = time.perf_counter()
                while version(url) == before:
                    time.sleep(0.01)
                times.append(time.perf_counter() - saved)
        finally:
            proc.terminate()
            proc.wait()
        return first, times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    first, times = measure(args.nodes, args.runs)
    print(f"{args.nodes} nodes: first page {first:.2f} s; save to new state: median "
          f"{statistics.median(times):.2f} s, worst {max(times):.2f} s over {len(times)} saves")


if __name__ == "__main__":
    main()
