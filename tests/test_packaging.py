"""The wheel: built from this checkout, installed into a fresh virtual
environment, and run from there on the examples."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from conftest import ROOT


def test_wheel_installs_and_checks_the_examples(tmp_path: Path):
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation",
                    "--outdir", str(dist), str(ROOT)], check=True, capture_output=True,
                   timeout=300)
    (wheel,) = dist.glob("loopdsl-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "loopdsl/grammar/loopdsl.lark" in names
    assert "loopdsl/starter/assistant.loop" in names

    venv = tmp_path / "venv"
    # The dependencies come from this interpreter; the package only from the wheel.
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)],
                   check=True, timeout=300)
    py = venv / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
                    str(wheel)], check=True, capture_output=True, timeout=300)
    where = subprocess.run(
        [str(py), "-c", "import loopdsl.resources as r; print(r.__file__);"
                        "print(r.data_dir('grammar'))"],
        check=True, capture_output=True, text=True, cwd=tmp_path).stdout.split()
    assert all(p.startswith(str(venv)) for p in where), where

    proc = subprocess.run([str(venv / "bin" / "loopdsl"), "check", "examples"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "no problems in" in proc.stdout
