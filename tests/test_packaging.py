"""The package as a user gets it: the wheel and the sdist built from this
checkout, the wheel installed with its declared dependencies into an empty
virtual environment (no system site packages), and every command run there
once. A package the code imports but pyproject.toml does not declare makes
this fail, as it would fail for every user."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

from conftest import EXAMPLES, ROOT, plain_pytest_env

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
# Extras that users install for a feature; test tools are not among them.
FEATURE_EXTRAS = {name: reqs for name, reqs in
                  PYPROJECT["project"].get("optional-dependencies", {}).items()
                  if name != "test"}


def _distribution(requirement: str) -> str:
    return re.sub(r"[-_.]+", "-", re.split(r"[<>=!~;\[ ]", requirement.strip())[0]).lower()


def _imported_packages() -> dict[str, set[Path]]:
    """Top-level third-party modules imported by src/loopdsl, with where."""
    found: dict[str, set[Path]] = {}
    for path in sorted((ROOT / "src" / "loopdsl").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top not in ("loopdsl", "__future__"):
                    found.setdefault(top, set()).add(path.relative_to(ROOT))
    return found


def test_every_imported_package_is_declared():
    declared = {_distribution(r) for r in PYPROJECT["project"]["dependencies"]}
    for reqs in FEATURE_EXTRAS.values():
        declared |= {_distribution(r) for r in reqs}
    dists = packages_distributions()
    imported = _imported_packages()
    assert {"lark", "pydantic", "click", "graphviz", "jinja2"} <= set(imported)
    undeclared = {top: sorted(map(str, where)) for top, where in imported.items()
                  if not {_distribution(d) for d in dists.get(top, [top])} & declared}
    assert undeclared == {}


def test_dependencies_have_bounds():
    for requirement in PYPROJECT["project"]["dependencies"]:
        assert ">=" in requirement, f"{requirement}: give the oldest version that works"
    pins = {_distribution(r): r for r in PYPROJECT["project"]["dependencies"]}
    assert "<9" in pins["click"] and "<3" in pins["pydantic"] and "<2" in pins["lark"]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--sdist", "--no-isolation",
                    "--outdir", str(dist), str(ROOT)], check=True, capture_output=True,
                   timeout=300)
    (wheel,) = dist.glob("loopdsl-*.whl")
    (sdist,) = dist.glob("loopdsl-*.tar.gz")
    return {"wheel": wheel, "sdist": sdist}


@pytest.fixture(scope="module")
def venv(built: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty virtual environment with the wheel and its dependencies."""
    where = tmp_path_factory.mktemp("venv") / "env"
    subprocess.run([sys.executable, "-m", "venv", str(where)], check=True, timeout=300)
    installed = subprocess.run([str(where / "bin" / "python"), "-m", "pip", "install",
                                "--quiet", "--disable-pip-version-check", str(built["wheel"])],
                               capture_output=True, text=True, timeout=600)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return where


@pytest.mark.slow
def test_wheel_and_sdist_hold_what_the_package_needs(built):
    names = zipfile.ZipFile(built["wheel"]).namelist()
    for needed in ["loopdsl/__main__.py", "loopdsl/grammar/loopdsl.lark",
                   "loopdsl/rules/LD101-model-without-context.toml",
                   "loopdsl/starter/assistant.loop", "loopdsl/codegen/templates/test.py.j2",
                   "loopdsl/review/templates/review.html.j2",
                   "loopdsl/linter/confusables.txt"]:
        assert needed in names
    metadata = zipfile.ZipFile(built["wheel"]).read(
        next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    required = {_distribution(line.split(":", 1)[1]) for line in metadata.splitlines()
                if line.startswith("Requires-Dist:") and "extra ==" not in line}
    assert required == {_distribution(r) for r in PYPROJECT["project"]["dependencies"]}
    with tarfile.open(built["sdist"]) as sdist:
        members = {"/".join(m.split("/")[1:]) for m in sdist.getnames()}
    for needed in ["pyproject.toml", "README.md", "grammar/loopdsl.lark",
                   "src/loopdsl/cli/__init__.py", "rules/LD101-model-without-context.toml",
                   "tests/conftest.py", "tests/schemas/sarif-schema-2.1.0.json",
                   "examples/coding-agent/agent.loop"]:
        assert needed in members


STDOUT, SILENT = "stdout", "silent"


def _commands(out: Path) -> list[tuple[list[str], Path | str]]:
    """Every command once, with the file it should write, or STDOUT, or SILENT."""
    return [
        (["check", "."], STDOUT),
        (["fmt", "--check", "--diff", "."], SILENT),  # the example is formatted
        *[(["render", "support.loop", "-f", f, "-o", str(out / f"map.{f}")], out / f"map.{f}")
          for f in ("dot", "svg", "png", "pdf", "mermaid")],
        (["doc", "support.loop", "-f", "md", "-o", str(out / "review.md")], out / "review.md"),
        (["doc", "support.loop", "-f", "html", "-o", str(out / "review.html")],
         out / "review.html"),
        (["gen", "support.loop", "-o", str(out / "stubs")], out / "stubs"),
        (["export", "support.loop", "-o", str(out / "export.json")], out / "export.json"),
        (["schema"], STDOUT),
        (["rules"], STDOUT),
        (["explain", "LD101"], STDOUT),
        (["explain", "open-loop"], STDOUT),
        (["init", str(out / "starter")], out / "starter" / "loopdsl.toml"),
    ]


MAGIC = {".png": b"\x89PNG", ".pdf": b"%PDF", ".svg": b"<?xml", ".html": b"<!DOCTYPE html>"}


@pytest.mark.slow
def test_every_command_works_in_a_fresh_environment(venv: Path, tmp_path: Path):
    workspace = tmp_path / "support"
    shutil.copytree(EXAMPLES / "support-assistant", workspace)
    out = tmp_path / "out"
    out.mkdir()
    loopdsl = venv / "bin" / "loopdsl"
    for args, written in _commands(out):
        proc = subprocess.run([str(loopdsl), *args], cwd=workspace, capture_output=True,
                              text=True, timeout=120)
        assert "internal error" not in proc.stderr + proc.stdout, (args, proc.stderr)
        assert proc.returncode == 0, (args, proc.stdout, proc.stderr)
        if written in (STDOUT, SILENT):
            assert bool(proc.stdout.strip()) == (written == STDOUT), (args, proc.stdout)
        else:
            assert isinstance(written, Path)
            assert written.exists(), args
            if written.suffix in MAGIC:
                assert written.read_bytes().startswith(MAGIC[written.suffix]), args
    # The generated package's own test runs (pytest is the user's, not a dependency).
    generated = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                               cwd=out / "stubs", capture_output=True, text=True, timeout=300,
                               env=plain_pytest_env())
    assert generated.returncode == 0, generated.stdout + generated.stderr
    assert re.search(r"\d+ passed", generated.stdout)


@pytest.mark.slow
def test_drift_without_the_extras(venv: Path, tmp_path: Path):
    (tmp_path / "d.loop").write_text('system s {\n  owner: "x"\n  context c\n  model m\n'
                                     '  c -> m\n}\n')
    (tmp_path / "g.json").write_text('{"nodes": [{"id": "c"}, {"id": "m"}], '
                                     '"edges": [{"source": "c", "target": "m"}]}')
    loopdsl = str(venv / "bin" / "loopdsl")
    plain = subprocess.run([loopdsl, "drift", "d.loop", "--graph-json", "g.json"],
                           cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert plain.returncode == 0, plain.stdout + plain.stderr  # needs no extra
    for extra in ("langgraph", "burr"):
        proc = subprocess.run([loopdsl, "drift", "d.loop", f"--{extra}", "app:graph"],
                              cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 2
        assert proc.stderr.strip().endswith(f"pip install 'loopdsl[{extra}]'"), proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1


@pytest.mark.slow
def test_python_dash_m_is_the_command(venv: Path, tmp_path: Path):
    python = str(venv / "bin" / "python")
    version = subprocess.run([python, "-m", "loopdsl", "--version"], capture_output=True,
                             text=True, timeout=60, cwd=tmp_path)
    assert version.returncode == 0 and version.stdout.startswith("loopdsl, version ")
    helped = subprocess.run([python, "-m", "loopdsl", "--help"], capture_output=True,
                            text=True, timeout=60, cwd=tmp_path)
    assert helped.returncode == 0 and helped.stdout.startswith("Usage: loopdsl ")
    # The package, its data and its dependencies all come from the environment.
    where = subprocess.run(
        [python, "-c", "import loopdsl.resources as r, lark, jinja2, graphviz;"
                       "print(r.__file__, r.data_dir('grammar'), lark.__file__,"
                       "jinja2.__file__, graphviz.__file__)"],
        check=True, capture_output=True, text=True, cwd=tmp_path).stdout.split()
    assert all(p.startswith(str(venv)) for p in where), where


@pytest.mark.slow
def test_the_sdist_builds_the_same_wheel(built: dict[str, Path], tmp_path: Path):
    with tarfile.open(built["sdist"]) as sdist:
        sdist.extractall(tmp_path, filter="data")
    (unpacked,) = tmp_path.glob("loopdsl-*")
    rebuilt = subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation",
                              "--outdir", str(tmp_path / "dist"), str(unpacked)],
                             capture_output=True, text=True, timeout=300)
    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
    (wheel,) = (tmp_path / "dist").glob("loopdsl-*.whl")
    assert sorted(zipfile.ZipFile(wheel).namelist()) == sorted(
        zipfile.ZipFile(built["wheel"]).namelist())
