"""Shared fixtures: the real CLI through click's runner and as a subprocess,
and small workspaces written to temporary folders."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.error
import urllib.request
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


def plain_pytest_env() -> dict[str, str]:
    """The environment for running a generated package's own tests: pytest
    with no plugins auto-loaded (those the test extra's frameworks install
    take seconds to start; generated tests need none of them)."""
    return {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "PYTHONDONTWRITEBYTECODE": "1"}


def subprocess_run(*args: str, cwd: Path, timeout: float = 120,
                   **kw: object) -> subprocess.CompletedProcess[str]:
    """The real console script as a child process; a hang fails the test."""
    return subprocess.run([loopdsl_executable(), *args], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, **kw)  # type: ignore[call-overload]


def found(text: str, **config: object) -> list[tuple[str, int]]:
    """(code, line) of each finding ``lint`` gives for ``text`` (dedented),
    under a configuration of ``config``'s settings."""
    from loopdsl import Config, lint

    return sorted((d.code, d.span.line) for d in lint(loads(textwrap.dedent(text)),
                                                     Config(**config)))


# The smallest clean design: one loop of the four roles.
CLEAN_LOOP = """system s "S" {
  owner: "x"
  context c
  model m
  interface i
  feedback f
  loop l { c -> m -> i -> f -> c }
}
"""


def one_line_error(proc: subprocess.CompletedProcess[str]) -> str:
    """The one line a failed run printed (exit 2, no traceback)."""
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "internal error" not in proc.stderr and "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if not line.startswith("wrote ")]
    assert len(lines) == 1, proc.stderr
    return lines[0]


def with_team_rules(folder: Path, rules: dict[str, str], *, config: str = "",
                    design: str | None = None) -> Path:
    """``folder`` with the team's rule files (``rules/NAME``: text), a
    loopdsl.toml naming them (plus ``config``), and ``design`` as d.loop."""
    (folder / "rules").mkdir(parents=True, exist_ok=True)
    for name, text in rules.items():
        (folder / "rules" / name).write_text(text)
    (folder / "loopdsl.toml").write_text('rule-paths = ["rules"]\n' + config)
    if design is not None:
        (folder / "d.loop").write_text(design)
    return folder


# --- git repositories (diff --base) ----------------------------------------------


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          text=True, env={**os.environ, "GIT_AUTHOR_NAME": "t",
                                          "GIT_AUTHOR_EMAIL": "t@example.com",
                                          "GIT_COMMITTER_NAME": "t",
                                          "GIT_COMMITTER_EMAIL": "t@example.com"}).stdout


def repo_with(tmp_path: Path, *versions: dict[str, str]) -> Path:
    """A repository with one commit per version (files written, the rest kept)."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    for i, files in enumerate(versions):
        for name, text in files.items():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            (repo / name).write_text(text)
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", f"version {i + 1}")
    return repo


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


# --- `loopdsl serve` as a child process ---------------------------------------------

PAGE_SWAP = 5.0  # seconds a save may take to reach /state (promised: within a second)


class Server:
    def __init__(self, proc: subprocess.Popen[str], url: str) -> None:
        self.proc, self.url = proc, url

    def get(self, path: str) -> tuple[int, str, dict[str, str]]:
        try:
            with urllib.request.urlopen(self.url + path, timeout=10) as r:
                return r.status, r.read().decode("utf-8"), dict(r.headers)
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode("utf-8"), dict(e.headers)

    def state(self) -> dict[str, str]:
        status, text, _ = self.get("state")
        assert status == 200
        return dict(json.loads(text))

    def wait_for(self, version: str) -> dict[str, str]:
        """The first state newer than ``version``."""
        deadline = time.monotonic() + PAGE_SWAP
        while time.monotonic() < deadline:
            state = self.state()
            if state["version"] != version:
                return state
            time.sleep(0.05)
        raise AssertionError(f"the page did not change within {PAGE_SWAP} s")


def start(cwd: Path, *args: str) -> Server:
    proc = subprocess.Popen([loopdsl_executable(), "serve", "--port", "0", *args], cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    line = proc.stderr.readline()
    m = re.search(r"(http://127\.0\.0\.1:\d+/)", line)
    if not m:
        proc.kill()
        raise AssertionError(f"no address announced: {line!r} {proc.communicate()}")
    return Server(proc, m.group(1))
