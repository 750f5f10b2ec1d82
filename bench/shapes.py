"""Adversarial workspaces for the growth check: shapes the benchmark's
regular loops never make, each of about N nodes, where a rule that rescans
the graph per element, or a list searched inside a loop, turns quadratic.

    python bench/shapes.py SHAPE N OUT_DIR
"""

from __future__ import annotations

import random
import sys
from collections.abc import Callable
from pathlib import Path

from generate import generate

Shape = Callable[[int, Path], list[Path]]


def _write(out: Path, name: str, lines: list[str]) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    path = out / name
    path.write_text("\n".join(lines) + "\n")
    return path


def _system(name: str, body: list[str]) -> list[str]:
    return [f"system {name} {{", '  owner: "bench"', *(f"  {line}" for line in body), "}"]


def cycles_without_feedback(n: int, out: Path) -> list[Path]:
    """N/2 two-node cycles (model <-> interface) through no feedback node and in
    no loop: one LD112 per cycle, found by strongly connected components."""
    body = ["context ask", "feedback seen"]
    for i in range(n // 2):
        body += [f"model m{i}", f"interface t{i}", f"ask -> m{i} -> t{i} -> m{i}",
                 f"t{i} -> seen"]
    return [_write(out, "cycles.loop", _system("agents", body))]


def hub(n: int, out: Path) -> list[Path]:
    """One context node with a flow to each of N models."""
    body = ["context hub", "interface ui", "feedback fb", "fb -> hub"]
    for i in range(n):
        body += [f"model m{i}", f"hub -> m{i} -> ui"]
    body.append("loop all { hub -> m0 -> ui -> fb -> hub }")
    return [_write(out, "hub.loop", _system("hubbed", body))]


def chain(n: int, out: Path) -> list[Path]:
    """One loop through a chain of N models."""
    body = ["context c", "interface ui", "feedback fb"] + [f"model m{i}" for i in range(n)]
    path = " -> ".join(f"m{i}" for i in range(n))
    body.append(f"loop long {{ c -> {path} -> ui -> fb -> c }}")
    return [_write(out, "chain.loop", _system("chained", body))]


def shared_loops(n: int, out: Path) -> list[Path]:
    """N loops sharing one context, interface and feedback node."""
    body = ["context c", "interface ui", "feedback fb"]
    for i in range(n):
        body += [f"model m{i}", f"loop l{i} {{ budget_ms: 100  c -> m{i} -> ui -> fb -> c }}"]
    return [_write(out, "shared.loop", _system("shared", body))]


def many_systems(n: int, out: Path) -> list[Path]:
    """N/4 systems of four nodes, each feeding the next one's context."""
    lines: list[str] = []
    systems = max(1, n // 4)
    for s in range(systems):
        nxt = (s + 1) % systems
        lines += _system(f"s{s}", [
            "context c", "model m", "interface i", "feedback f",
            "loop l { c -> m -> i -> f -> c }", f"f -> s{nxt}.c"])
    return [_write(out, "systems.loop", lines)]


def deep_imports(n: int, out: Path) -> list[Path]:
    """A chain of N/4 files, each importing the next and holding one system."""
    files = max(1, n // 4)
    paths = []
    for k in range(files):
        lines = [f'import "f{k + 1}.loop"'] if k + 1 < files else []
        lines += _system(f"s{k}", ["context c", "model m", "interface i", "feedback f",
                                   "loop l { c -> m -> i -> f -> c }"])
        paths.append(_write(out, f"f{k}.loop", lines))
    return paths[:1]  # the command line names the first file only


def orphans(n: int, out: Path) -> list[Path]:
    """N nodes in no flow: several findings for every node."""
    roles = ["context", "model", "interface", "feedback"]
    body = [f"{roles[i % 4]} n{i}" for i in range(n)]
    return [_write(out, "orphans.loop", _system("lonely", body))]


def suppressions(n: int, out: Path) -> list[Path]:
    """N orphan nodes, each line suppressing its finding."""
    body = [f"context n{i}  # loopdsl: ignore[LD107, orphan-node]" for i in range(n)]
    return [_write(out, "quiet.loop", _system("quiet", body))]


def syntax_errors(n: int, out: Path) -> list[Path]:
    """N/4 statements with a syntax error each: error recovery and its hints."""
    body = [f"context c{i} {{ x: 1 y 2 }}" for i in range(n // 4)]
    return [_write(out, "broken.loop", _system("broken", body))]


def one_line(n: int, out: Path) -> list[Path]:
    """N orphan nodes written on one line: every finding's source line is huge."""
    nodes = " ".join(f"context c{i}" for i in range(n))
    return [_write(out, "line.loop", [f'system wide {{ owner: "bench" {nodes} }}'])]


def risk_paths(n: int, out: Path) -> list[Path]:
    """One untrusted source at the head of a chain of N/4 models, each with a
    tool that deletes and sends out (half behind a person's approval) and a
    memory written from untrusted feedback: every risk rule fires on about
    N/4 nodes, each with a path as long as the chain."""
    body = ['context web { trust: "untrusted" }', 'context crm { data: ["pii"] }',
            "web -> m0", "crm -> m0"]
    for i in range(n // 4):
        gate = f"a{i}" if i % 2 else None
        body += [f"model m{i} {{ cost_usd: 0.001 }}",
                 f'interface t{i} {{ effect: "irreversible", egress: true }}',
                 f'feedback f{i} {{ trust: "untrusted" }}', f"context c{i}"]
        if gate:
            body += [f'feedback {gate} {{ gate: "human" }}', f"m{i} -> {gate} -> t{i}"]
        else:
            body.append(f"m{i} -> t{i}")
        body += [f"t{i} -> f{i} -> c{i} -> m{i}", f"m{i} -> m{i + 1}" if i + 1 < n // 4 else ""]
    body.append("loop l { max_iterations: 3  budget_usd: 0.001  m0 -> t0 -> f0 -> c0 -> m0 }")
    return [_write(out, "risks.loop", _system("risky", [b for b in body if b]))]


def cross_linked(n: int, out: Path) -> list[Path]:
    """N/4 groups of four roles, each a loop c -> m -> i -> f -> c, and a flow
    from every node to the next role's node of a random other group (seeded),
    one system per 100 groups: 2N flows, most between systems. Graphviz's dot
    lays out such a graph in time that explodes with its size."""
    rng = random.Random(11)
    groups = max(2, n // 4)
    roles = [("context", "c"), ("model", "m"), ("interface", "i"), ("feedback", "f")]
    system_of = [g // 100 for g in range(groups)]
    lines: list[str] = []
    for s in range(system_of[-1] + 1):
        body = []
        members = [g for g in range(groups) if system_of[g] == s]
        for g in members:
            body += [f"{role} {c}{g}" for role, c in roles]
            body.append(f"loop l{g} {{ c{g} -> m{g} -> i{g} -> f{g} -> c{g} }}")
        for g in members:
            for k, (_, c) in enumerate(roles):
                other = rng.choice([h for h in (rng.randrange(groups), (g + 1) % groups)
                                    if h != g])
                nxt = roles[(k + 1) % 4][1]
                ref = f"{nxt}{other}" if system_of[other] == s else \
                    f"s{system_of[other]}.{nxt}{other}"
                body.append(f"{c}{g} -> {ref}")
        lines += _system(f"s{s}", body)
    return [_write(out, "crossed.loop", lines)]


SHAPES: dict[str, Shape] = {
    "loops": generate,
    "cycles without feedback": cycles_without_feedback,
    "one hub": hub,
    "long chain": chain,
    "loops sharing nodes": shared_loops,
    "many systems": many_systems,
    "deep imports": deep_imports,
    "every node a finding": orphans,
    "many suppressions": suppressions,
    "syntax errors": syntax_errors,
    "one long line": one_line,
    "risk paths": risk_paths,
    "cross-linked groups": cross_linked,
}

if __name__ == "__main__":
    SHAPES[sys.argv[1]](int(sys.argv[2]), Path(sys.argv[3]))
