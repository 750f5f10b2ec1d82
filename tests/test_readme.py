"""README.md's examples run as written: the tour's files, copied out, check
clean; the Python of "Generated code" names what `gen` writes for them; the
shell completion lines print a completion script."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, loopdsl_executable

README = (ROOT / "README.md").read_text(encoding="utf-8")


def tour_files() -> dict[str, str]:
    """The code blocks of the tour whose first line names their file."""
    tour = README[README.index("## A tour of the language"):README.index("## The command line")]
    out = {}
    for block in re.findall(r"^```\n(.*?)^```$", tour, re.M | re.S):
        first = block.splitlines()[0]
        if m := re.fullmatch(r"# (\S+\.loop)", first):
            out[m.group(1)] = block
    return out


def write_tour(folder: Path) -> None:
    for name, text in tour_files().items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)


def test_the_tour_checks_clean_as_written(run, tmp_path):
    assert set(tour_files()) == {"support.loop", "platform/kinds.loop"}
    write_tour(tmp_path)
    result = run("check", "support.loop")
    assert result.exit_code == 0, result.stdout
    assert "no problems in 2 files" in result.stdout


@pytest.mark.slow
def test_the_generated_code_section_names_what_gen_writes(tmp_path):
    write_tour(tmp_path)
    assert subprocess.run([loopdsl_executable(), "gen", "support.loop", "-o", "stubs"],
                          cwd=tmp_path, capture_output=True, timeout=120).returncode == 0
    section = README[README.index("## Generated code"):README.index("## In your editor")]
    first, second = re.findall(r"^```python\n(.*?)^```$", section, re.M | re.S)[:2]
    assert "class AnswerRunner(generated.AnswerLoop)" in first
    nodes = (tmp_path / "stubs" / "support" / "support" / "nodes.py").read_text()
    assert "class AnswerRunner(generated.AnswerLoop):" in nodes  # where the README puts it
    # The snippet, run against the generated package: the runner is built as
    # written, and run() takes the arguments it is given.
    probe = "import inspect\nticket = 'a ticket'\n" + second.replace(
        "last = loop.run(", "inspect.signature(loop.run).bind(")
    proc = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path / "stubs",
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(tmp_path / "stubs")})
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_shell_completion_as_the_readme_says(shell):
    assert f"_LOOPDSL_COMPLETE={shell}_source loopdsl" in README
    proc = subprocess.run([loopdsl_executable()], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "_LOOPDSL_COMPLETE": f"{shell}_source"})
    assert proc.returncode == 0 and "_loopdsl_completion" in proc.stdout
