"""The house keeps its shape: the layers contract in pyproject.toml holds
(import-linter), no module imports itself back through others (imports
inside functions count), no module grows past what a reader takes in, and
the project cites nothing it does not ship."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import grimp
import rustworkx as rx

from conftest import ROOT

MAX_LINES = 600


def test_the_layers_contract_holds():
    lint_imports = Path(sys.executable).with_name("lint-imports")
    proc = subprocess.run([str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 kept, 0 broken" in proc.stdout, proc.stdout


def test_no_import_circle():
    graph = grimp.build_graph("loopdsl", exclude_type_checking_imports=True)
    modules = sorted(graph.modules)
    index = {m: i for i, m in enumerate(modules)}
    g = rx.PyDiGraph()
    g.add_nodes_from(modules)
    for m in modules:
        for imported in graph.find_modules_directly_imported_by(m):
            g.add_edge(index[m], index[imported], None)
    circles = [sorted(modules[i] for i in c) for c in rx.strongly_connected_components(g)
               if len(c) > 1]
    assert circles == []
    # Imports inside functions are arrows too: the scan sees them.
    assert graph.direct_import_exists(importer="loopdsl.cli.commands.check",
                                      imported="loopdsl.app.workspace")


def test_no_module_is_too_long_to_read():
    long = {str(p.relative_to(ROOT)): n for p in (ROOT / "src").rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


def test_the_project_cites_nothing_it_does_not_ship():
    cited = re.compile(r"\bSPEC\b")
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.split()
    hits = [f for f in tracked if not f.startswith("tests/mermaid/")
            and (ROOT / f).is_file() and (ROOT / f).suffix not in {".png", ".json"}
            and cited.search((ROOT / f).read_text(encoding="utf-8", errors="replace"))]
    assert hits == [], hits
