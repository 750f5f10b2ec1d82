"""Synthetic workspaces for the benchmark: N nodes in groups of
context -> model -> interface -> feedback loops, about 2N flows (each group's
loop plus cross-links to the next group), one system and one file per 1,000
nodes, every file importing a shared kinds file. Clean under every rule, so
the benchmark measures the full pipeline, not the reporting of findings.

    python bench/generate.py N OUT_DIR
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

GROUPS_PER_SYSTEM = 250  # 1,000 nodes


def generate(n: int, out: Path, seed: int = 7) -> list[Path]:
    """Write the workspace for ``n`` nodes under ``out``; return its files."""
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    (out / "kinds.loop").write_text(
        'kind retriever: context { requires: ["index"] }\n'
        'kind llm: retriever_free_model\nkind retriever_free_model: model\n')
    groups = max(1, n // 4)
    systems = (groups + GROUPS_PER_SYSTEM - 1) // GROUPS_PER_SYSTEM
    files = []
    for s in range(systems):
        lines = ['import "kinds.loop"', "", f'system s{s} "Synthetic system {s}" {{',
                 f'  owner: "team-{s}"']
        first, last = s * GROUPS_PER_SYSTEM, min(groups, (s + 1) * GROUPS_PER_SYSTEM)
        for g in range(first, last):
            context_ms = rng.randint(5, 50)
            lines += [
                f'  retriever c{g} "Context {g}" {{ index: "ix{g}", latency_ms: {context_ms} }}',
                f'  llm m{g} "Model {g}" {{ latency_ms: {rng.randint(100, 900)} }}',
                f'  interface u{g} "Interface {g}"',
                f'  feedback f{g} "Feedback {g}"',
            ]
        for g in range(first, last):
            lines.append(f'  loop l{g} {{ budget_ms: 5000  c{g} -> m{g} -> u{g} -> f{g} -> c{g} }}')
            nxt = g + 1 if g + 1 < groups else 0
            target_sys = nxt // GROUPS_PER_SYSTEM
            prefix = "" if target_sys == s else f"s{target_sys}."
            lines += [f"  c{g} -> {prefix}m{nxt}", f"  u{g} -> {prefix}f{nxt}",
                      f"  f{g} -> {prefix}c{nxt}", f"  m{g} -> {prefix}u{nxt}"]
        lines.append("}")
        path = out / f"system{s:03}.loop"
        path.write_text("\n".join(lines) + "\n")
        files.append(path)
    return files


if __name__ == "__main__":
    generate(int(sys.argv[1]), Path(sys.argv[2]))
