"""Shared fixtures: the real CLI through click's runner and as a subprocess,
and small workspaces written to temporary folders."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from loopdsl.cli import cli

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
CONFORMANCE = ROOT.parent / "shared" / "conformance"

# Keep the parser-table cache of the tests away from the user's.
os.environ["LOOPDSL_CACHE_DIR"] = tempfile.mkdtemp(prefix="loopdsl-test-cache-")


def loopdsl_executable() -> str:
    """The installed console script (the one `pip install` made)."""
    found = shutil.which("loopdsl", path=os.path.dirname(sys.executable)) or shutil.which(
        "loopdsl"
    )
    assert found, "the loopdsl console script is not installed (pip install -e .)"
    return found


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[..., Result]:
    """Run the CLI in-process from ``tmp_path`` (or ``cwd=``)."""

    def invoke(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> Result:
        monkeypatch.chdir(cwd or tmp_path)
        monkeypatch.delenv("NO_COLOR", raising=False)
        monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
        return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)

    return invoke


@pytest.fixture
def write(tmp_path: Path) -> Callable[..., Path]:
    """Write ``text`` to ``tmp_path / name`` (folders made as needed)."""

    def put(name: str, text: str | bytes) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return path

    return put


def findings(result: Result) -> list[tuple[str, int, int]]:
    """(code, line, column) of each finding in a ``--format json`` run."""
    return [(f["code"], f["line"], f["column"]) for f in json.loads(result.stdout)]


def subprocess_run(*args: str, cwd: Path, **kw: object) -> subprocess.CompletedProcess[str]:
    """The real console script as a child process."""
    return subprocess.run([loopdsl_executable(), *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120, **kw)  # type: ignore[call-overload]
