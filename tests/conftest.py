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
from hypothesis import strategies as st
from lark import Lark

from loopdsl import load, loads
from loopdsl.cli import cli
from loopdsl.resources import data_dir
from loopdsl.vocabulary import reserved_words

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"

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


# --- shared by the diagram and document tests -------------------------------------

HOSTILE = [
    '"); } digraph x { a -> b',
    "<b>bold</b>",
    "end",
    "ends with a backslash \\",
    "back\\nslash \\l \\N",
    "two\nlines",
    "emoji 🧠🔁 and ü",
    "%% not a comment #1; & more",
    "%%{init: {'fontFamily': 'x;background-image:url(http://evil.example/b.png)'}}%%",
    "click n0 callback",
    "]]> <!-- x --> <script>alert(1)</script>",
    "subgraph end style",
]


def hostile_workspace():
    nodes = "\n".join(
        f'  {role} h{i} {json.dumps(label)}'
        for i, (label, role) in enumerate(zip(HOSTILE, ["context", "model", "interface",
                                                        "feedback"] * 3, strict=False)))
    flows = "\n".join(f"  h{i} -> h{i + 1} {json.dumps(HOSTILE[i])}"
                      for i in range(len(HOSTILE) - 1))
    text = (f'system end {json.dumps(HOSTILE[0])} {{\n  owner: "x"\n{nodes}\n{flows}\n'
            f'  loop subgraph {json.dumps(HOSTILE[1])} {{ h0 -> h1 }}\n}}\n')
    ws = loads(text)
    assert ws.diagnostics == [], ws.diagnostics
    return ws


def example_workspace(folder: Path):
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        return load(["."])
    finally:
        os.chdir(cwd)


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    assert found, "headless Chromium is required (apt-get install chromium)"
    return found


# --- text generated from the grammar (property tests) -------------------------------

GRAMMAR = data_dir("grammar").joinpath("loopdsl.lark").read_text(encoding="utf-8")
RESERVED = reserved_words()


def _token(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    # from_lark joins terminals without separators; a space keeps tokens apart.
    return strategy.map(lambda s: s + " ")


def _loop_text() -> st.SearchStrategy[str]:
    """Text from the grammar, every terminal drawn so that the lexer reads it back."""
    # Imported here: at conftest import time it would make hypothesis touch its storage.
    from hypothesis.extra.lark import from_lark

    names = st.from_regex(r"[^\W\d]\w{0,8}", fullmatch=True).filter(
        lambda s: s not in RESERVED)
    strings = st.one_of(
        st.text(st.characters(blacklist_characters='"\\\n\r', blacklist_categories=["Cs"]),
                max_size=10).map(lambda s: f'"{s}"'),
        st.text(st.characters(blacklist_characters='"', blacklist_categories=["Cs"]),
                max_size=10).map(lambda s: f'"""{s}"""'),
    )
    numbers = st.from_regex(r"-?(0|[1-9][0-9]{0,5})(\.[0-9]{1,3})?([eE][+-]?[0-9]{1,2})?",
                            fullmatch=True)
    return from_lark(
        Lark(GRAMMAR, parser="lalr", lexer="basic"),
        explicit={
            "NAME": _token(names),
            "STRING": _token(strings),
            "NUMBER": _token(numbers),
            "COMMENT": st.from_regex(r"#[^\n\r]{0,10}", fullmatch=True).map(lambda s: s + "\n"),
            "WS": st.sampled_from([" ", "\n", "\t", "  \n"]),
            **{word.upper(): st.just(word + " ") for word in RESERVED},
        },
    )


# Built on first use: hypothesis should not touch its storage while conftest loads.
LOOP_TEXT = st.deferred(_loop_text)
