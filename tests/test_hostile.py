"""Hostile inputs and hostile environments (issue: nothing lost, nothing
leaked, nothing hangs): every input with its expected diagnostic or exit
code, through the real CLI. Large inputs are generated here, not stored.
A test that runs a subprocess with a timeout fails on a hang; it does not
time anything else."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import CLEAN_LOOP, one_line_error, plain_pytest_env, subprocess_run, with_team_rules

# Each test runs the real console script (and, for drift, imports LangGraph or
# Burr) several times: part of CI, not of the quick loop.
pytestmark = pytest.mark.slow


DESIGN = CLEAN_LOOP


def cli(*args: str, cwd: Path, timeout: float = 10,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The real console script, given 10 s: a hang fails the test quickly."""
    return subprocess_run(*args, cwd=cwd, timeout=timeout, env=env)


# --- 1. an output that is an input --------------------------------------------------------


@pytest.mark.parametrize("args", [
    ["render", "x.loop", "-f", "dot", "-o", "x.loop"],
    ["doc", "x.loop", "-o", "x.loop"],
    ["export", "x.loop", "-o", "x.loop"],
    ["check", "x.loop", "--write-baseline", "x.loop"],
])
def test_an_output_never_replaces_an_input(tmp_path, args):
    (tmp_path / "x.loop").write_text(DESIGN)
    assert "it is an input" in one_line_error(cli(*args, cwd=tmp_path))
    assert (tmp_path / "x.loop").read_text() == DESIGN


def test_the_default_output_never_replaces_the_input(tmp_path):
    (tmp_path / "diagram.dot").write_text(DESIGN)  # a design with an unusual name
    assert "it is an input" in one_line_error(cli("render", "diagram.dot", "-f", "dot",
                                                  cwd=tmp_path))
    assert (tmp_path / "diagram.dot").read_text() == DESIGN


# --- 2. devices are written, never replaced -------------------------------------------------


def test_dev_null_stays_a_device(tmp_path):
    (tmp_path / "x.loop").write_text(DESIGN)
    for args in (["render", "x.loop", "-f", "dot", "-o", "/dev/null"],
                 ["export", "x.loop", "-o", "/dev/null"]):
        assert cli(*args, cwd=tmp_path).returncode == 0
        assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_dev_stdout_is_written_directly(tmp_path):
    (tmp_path / "x.loop").write_text(DESIGN)
    proc = cli("render", "x.loop", "-f", "mermaid", "-o", "/dev/stdout", cwd=tmp_path)
    assert proc.returncode == 0 and proc.stdout.startswith("---\ntitle:")


# --- 3. the folder search stays inside the workspace ---------------------------------------


def test_a_symlink_out_of_the_workspace_is_not_read(tmp_path):
    secret = tmp_path / "outside" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text("API_KEY=hunter2\n")
    work = tmp_path / "work"
    work.mkdir()
    (work / "loopdsl.toml").write_text("")
    (work / "ok.loop").write_text(DESIGN)
    os.symlink(secret, work / "env.loop")
    for args in (["check", "."], ["check", "-f", "json", "."], ["fmt", "--diff", "."]):
        proc = cli(*args, cwd=work)
        assert "hunter2" not in proc.stdout + proc.stderr
        assert "env.loop: a symlink to a file outside the workspace root" in proc.stderr
    assert cli("check", ".", cwd=work).returncode == 0


# --- 5. terminal escapes and bidi overrides -------------------------------------------------

EVIL = "clip\u001b]52;c;aGFja2Vk\u0007board \u202eevil\u202c end"


@pytest.mark.parametrize("args", [
    ["check", "x.loop"], ["check", "-f", "concise", "x.loop"], ["check", "-f", "github", "x.loop"],
    ["render", "x.loop", "-f", "dot", "-o", "-"], ["render", "x.loop", "-f", "mermaid", "-o", "-"],
    ["doc", "x.loop", "-o", "-"], ["doc", "x.loop", "-f", "html", "-o", "-"],
    ["export", "x.loop"], ["check", "-f", "json", "x.loop"], ["check", "-f", "sarif", "x.loop"],
])
def test_no_control_or_bidi_character_reaches_an_output(tmp_path, args):
    text = DESIGN.replace('"S"', json.dumps(EVIL)).replace(
        "context c", f"context c {json.dumps(EVIL)}").replace('owner: "x"\n', "")
    (tmp_path / "x.loop").write_text(text)
    proc = cli(*args, cwd=tmp_path)
    assert proc.returncode in (0, 1), proc.stderr
    for bad in ("\u001b", "\u0007", "\u202e", "\u202c"):
        assert bad not in proc.stdout and bad not in proc.stderr
    if args[0] == "export":  # escaped, not lost: the data reads back whole
        assert json.loads(proc.stdout)["systems"][0]["label"] == EVIL


# --- 6. fmt keeps what lint reports, links, read-only files and others' edits ---------------


def test_fmt_does_not_change_what_is_suppressed(tmp_path):
    (tmp_path / "s.loop").write_text("system\n  s  # loopdsl: ignore[LD201]\n{ }\n")
    before = cli("check", "-f", "json", "s.loop", cwd=tmp_path)
    assert cli("fmt", "s.loop", cwd=tmp_path).returncode == 0
    after = cli("check", "-f", "json", "s.loop", cwd=tmp_path)
    assert json.loads(before.stdout) == json.loads(after.stdout) == []
    assert before.returncode == after.returncode == 0


def test_fmt_keeps_a_symlink_and_refuses_a_read_only_file(tmp_path):
    (tmp_path / "real.loop").write_text("system s{owner:\"x\"}\n")
    os.symlink("real.loop", tmp_path / "link.loop")
    assert cli("fmt", "link.loop", cwd=tmp_path).returncode == 0
    assert (tmp_path / "link.loop").is_symlink()
    assert (tmp_path / "real.loop").read_text() == 'system s {\n  owner: "x"\n}\n'
    (tmp_path / "ro.loop").write_text("system r{owner:\"x\"}\n")
    os.chmod(tmp_path / "ro.loop", 0o444)
    proc = cli("fmt", "ro.loop", cwd=tmp_path)
    assert proc.returncode == 1 and "read-only; left as it is" in proc.stderr
    assert (tmp_path / "ro.loop").read_text() == "system r{owner:\"x\"}\n"


def test_fmt_does_not_overwrite_an_edit_made_meanwhile(tmp_path):
    from loopdsl.files import FileProblem, write

    path = tmp_path / "d.loop"
    path.write_text("edited by someone else\n")
    with pytest.raises(FileProblem, match="changed by another program"):
        write(path, b"formatted\n", expect=b"what fmt read\n")
    assert path.read_text() == "edited by someone else\n"
    assert [p.name for p in tmp_path.iterdir()] == ["d.loop"]  # no temporary file left


# --- 8. internal errors that must be diagnostics or one-line errors --------------------------


def test_a_number_beyond_python_s_digit_limit(tmp_path):
    (tmp_path / "n.loop").write_text(DESIGN.replace("model m", "model m { latency_ms: "
                                                    + "9" * 5000 + " }"))
    proc = cli("check", "-f", "json", "n.loop", cwd=tmp_path)
    assert [f["code"] for f in json.loads(proc.stdout)] == ["LD001"]
    assert "5,000 digits" in proc.stdout


def test_a_long_import_chain_and_an_endless_import_path(tmp_path):
    for k in range(600):
        nxt = f'import "f{k + 1}.loop"\n' if k < 599 else ""
        (tmp_path / f"f{k}.loop").write_text(nxt + f'system s{k} {{ owner: "x" }}\n')
    proc = cli("check", "-q", "f0.loop", cwd=tmp_path, timeout=60)
    assert proc.returncode == 0, proc.stderr
    (tmp_path / "deep.loop").write_text('import "' + "a/" * 3000 + 'x.loop"\n')
    proc = cli("check", "-f", "json", "deep.loop", cwd=tmp_path)
    (finding,) = json.loads(proc.stdout)
    assert finding["code"] == "LD005" and "cannot be resolved" in finding["message"]
    assert len(finding["message"]) < 200


TEAM_RULE = """
code = "ACME1"
name = "named"
severity = "warning"
message = "{id}: bad {attribute}"
[select]
element = "node"
[check]
function = "attribute-matches"
attribute = "name"
pattern = "PATTERN"
"""


def _team(tmp_path: Path, pattern: str, value: str) -> Path:
    return with_team_rules(
        tmp_path, {"ACME1-named.toml": TEAM_RULE.replace("PATTERN", pattern)},
        design=DESIGN.replace("context c", "context c { name: " + json.dumps(value) + " }"))


def test_a_bad_team_pattern_names_file_and_field(tmp_path):
    line = one_line_error(cli("check", "d.loop", cwd=_team(tmp_path, "(", "x")))
    assert "ACME1-named.toml: field 'check.pattern'" in line and "missing )" in line


def test_a_catastrophic_pattern_does_not_hang(tmp_path):
    proc = cli("check", "-f", "concise", "d.loop", cwd=_team(tmp_path, "(a+)+$", "a" * 400 + "b"))
    assert proc.returncode == 1 and "ACME1 c: bad name" in proc.stdout


def test_file_names_that_are_not_utf8(tmp_path):
    folder = tmp_path / "w"
    folder.mkdir()
    with open(os.path.join(os.fsencode(folder), b"bad\xff.loop"), "w") as f:
        f.write("system s {\n  context c\n}\n")
    for args in (["check", "-f", "sarif", "."], ["check", "-f", "json", "."], ["export", "."],
                 ["doc", ".", "-o", "-"], ["check", "--write-baseline", "b.json", "."]):
        proc = cli(*args, cwd=folder)
        assert proc.returncode in (0, 1) and "internal error" not in proc.stderr, (args, proc)
    assert "bad\ufffd.loop" in cli("check", "-f", "json", ".", cwd=folder).stdout


def test_labels_with_nul_or_too_long_for_graphviz(tmp_path):
    text = DESIGN.replace("context c", 'context c "' + "x" * 20000 + '"').replace(
        "model m", 'model m "nul\\u0000here"')
    (tmp_path / "l.loop").write_text(text)
    proc = cli("render", "l.loop", "-f", "svg", "-o", "l.svg", cwd=tmp_path, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "l.svg").read_bytes().startswith(b"<?xml")


@pytest.mark.parametrize("content", [
    '{"loopdsl-baseline": 1, "findings": [{"code": "LD108", "file": "d.loop", '
    '"element": "x", "count": 1e999}]}',
    '{"loopdsl-baseline": 1, "findings": [{"code": "LD108", "file": "d.loop", '
    '"element": "x", "count": 1000000000}]}',
    "[" * 100_000 + "]" * 100_000,
])
def test_hostile_baselines_are_one_line_errors(tmp_path, content):
    (tmp_path / "d.loop").write_text(DESIGN)
    (tmp_path / "b.json").write_text(content)
    assert "not a valid baseline file" in one_line_error(
        cli("check", "--baseline", "b.json", "d.loop", cwd=tmp_path))


def test_a_config_nested_five_thousand_deep(tmp_path):
    (tmp_path / "d.loop").write_text(DESIGN)
    (tmp_path / "loopdsl.toml").write_text("x = " + "[" * 5000 + "]" * 5000 + "\n")
    assert "invalid TOML" in one_line_error(cli("check", "d.loop", cwd=tmp_path))


PLUGINS = {
    "import": "raise ImportError('no such module')\n",
    "raise": textwrap.dedent("""
        from loopdsl.linter.functions import CheckFunction

        def _run(ctx, elements, options):
            raise ZeroDivisionError('oops')

        fn = CheckFunction(name="broken", elements=frozenset({"node"}), run=_run)
    """),
    "type": "fn = 42\n",
}


@pytest.mark.parametrize("kind", sorted(PLUGINS))
def test_a_broken_plugin_function_is_a_one_line_error(tmp_path, kind):
    site = tmp_path / "site"
    (site / "broken_checks").mkdir(parents=True)
    (site / "broken_checks" / "__init__.py").write_text(PLUGINS[kind])
    dist = site / "broken_checks-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-checks\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[loopdsl.functions]\nbroken = broken_checks:fn\n")
    work = with_team_rules(tmp_path / "work", {"ACME2-b.toml": (
        'code = "ACME2"\nname = "b"\nseverity = "warning"\nmessage = "{id}"\n'
        '[select]\nelement = "node"\n[check]\nfunction = "broken"\n')}, design=DESIGN)
    proc = cli("check", "d.loop", cwd=work, env={**os.environ, "PYTHONPATH": str(site)})
    line = one_line_error(proc)
    assert "broken" in line and {"import": "cannot be loaded", "raise": "failed: ZeroDivision",
                                 "type": "not a loopdsl CheckFunction"}[kind] in line


# --- 9-11. nothing super-linear, nothing that hangs ------------------------------------------


@pytest.mark.parametrize("text", [
    "system s {\n" + "".join(f"  context c{i} {{ x: 1 y 2 }}\n" for i in range(2000)) + "}\n",
    "system s {\n  a -> b" + " " * 3000 + "\n}\n",
    "system s {" + "{" * 32_000 + "\n",
    "system s {\n" + "".join(f"  context n{i}  # loopdsl: ignore[LD108, LD107]\n"
                             for i in range(10_000)) + "}\n",
], ids=["brace errors", "spaces", "open braces", "suppressions"])
def test_pathological_files_finish(tmp_path, text):
    (tmp_path / "p.loop").write_text(text)
    proc = cli("check", "-f", "concise", "p.loop", cwd=tmp_path, timeout=30)
    assert proc.returncode in (0, 1) and "internal error" not in proc.stderr


# --- 12. FIFOs, devices, endless files ---------------------------------------------------------


def test_fifos_and_devices_in_a_folder_are_passed_over(tmp_path):
    work = tmp_path / "w"
    work.mkdir()
    (work / "ok.loop").write_text(DESIGN)
    os.mkfifo(work / "fifo.loop")
    os.symlink("/dev/zero", work / "zero.loop")
    for args in (["check", "."], ["fmt", "--check", "."]):
        proc = cli(*args, cwd=work)
        assert proc.returncode in (0, 1) and "error" not in proc.stderr, proc.stderr
        assert "fifo.loop: not a regular file" in proc.stderr
        assert "zero.loop" in proc.stderr


@pytest.mark.parametrize("args", [
    ["check", "fifo.loop"], ["check", "--config", "/dev/zero", "d.loop"],
    ["check", "--baseline", "fifo.json", "d.loop"], ["check", "--baseline", "/dev/zero", "d.loop"],
    ["check", "--config", "fifo.toml", "d.loop"],
])
def test_fifos_and_devices_named_are_one_line_errors(tmp_path, args):
    (tmp_path / "d.loop").write_text(DESIGN)
    for name in ("fifo.loop", "fifo.json", "fifo.toml"):
        os.mkfifo(tmp_path / name)
    assert "not a regular file" in one_line_error(cli(*args, cwd=tmp_path))


def test_a_fifo_as_a_rule_file(tmp_path):
    (tmp_path / "rules").mkdir()
    os.mkfifo(tmp_path / "rules" / "ACME1-x.toml")
    (tmp_path / "loopdsl.toml").write_text('rule-paths = ["rules"]\n')
    (tmp_path / "d.loop").write_text(DESIGN)
    assert "not a regular file" in one_line_error(cli("check", "d.loop", cwd=tmp_path))


# --- 14. a design on one line ---------------------------------------------------------------


def test_findings_on_one_huge_line_show_a_window(tmp_path):
    nodes = " ".join(f"context c{i}" for i in range(5000))
    (tmp_path / "one.loop").write_text(f"system s {{ {nodes} }}\n")
    proc = cli("check", "one.loop", cwd=tmp_path, timeout=60)
    assert proc.returncode == 1
    assert len(proc.stdout) < 5_000_000  # 10,001 findings, each with a short window
    assert "…" in proc.stdout


# --- 15. quieter problems -----------------------------------------------------------------------


def test_an_unreadable_folder_fails_the_run(tmp_path, monkeypatch):
    from loopdsl.loader import LoadError, discover

    (tmp_path / "d").mkdir()
    real_walk = os.walk

    def walk(top, onerror=None, **kw):  # what os.walk does with a folder it cannot list
        if onerror is not None:
            onerror(PermissionError(13, "Permission denied", str(tmp_path / "d" / "locked")))
        yield from real_walk(top, **kw)

    monkeypatch.setattr(os, "walk", walk)
    with pytest.raises(LoadError, match="locked: cannot read folder: Permission denied"):
        discover([tmp_path / "d"], root=tmp_path)


@pytest.mark.parametrize(("root", "why"), [("d.loop", "is not a folder"),
                                           ("nowhere", "does not exist")])
def test_a_root_that_is_not_a_folder(tmp_path, root, why):
    (tmp_path / "d.loop").write_text(DESIGN)
    (tmp_path / "loopdsl.toml").write_text(f'root = "{root}"\n')
    assert why in one_line_error(cli("check", "d.loop", cwd=tmp_path))


@pytest.mark.parametrize("args", [
    ["check", "--format", "bogus"], ["chek"], ["check", "--baseline", "."], ["render"],
    ["--bogus"], ["diff", "one"],
])
def test_usage_errors_are_one_line(tmp_path, args):
    line = one_line_error(cli(*args, cwd=tmp_path))
    assert line.startswith("loopdsl: error: ")


def test_a_placeholder_with_a_format_is_named_as_such(tmp_path):
    with_team_rules(tmp_path, {"ACME1-x.toml": (
        'code = "ACME1"\nname = "x"\nseverity = "warning"\nmessage = "{id:>99}"\n'
        '[select]\nelement = "node"\n[check]\nfunction = "none"\n')}, design=DESIGN)
    line = one_line_error(cli("check", "d.loop", cwd=tmp_path))
    assert "'{id:>99}' has a format or conversion" in line


def test_a_huge_bound_does_not_make_the_generated_test_loop(tmp_path):
    (tmp_path / "big.loop").write_text(DESIGN.replace(
        "loop l {", "loop l { max_iterations: 100000000000 "))
    assert cli("gen", "big.loop", "-o", "out", cwd=tmp_path).returncode == 0
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                          cwd=tmp_path / "out", capture_output=True, text=True, timeout=120,
                          env=plain_pytest_env())
    assert " passed" in proc.stdout, proc.stdout + proc.stderr


# --- every command over the corpus ----------------------------------------------------------

CORPUS = {
    "escapes.loop": DESIGN.replace('"S"', json.dumps(EVIL)),
    "digits.loop": DESIGN.replace("model m", "model m { latency_ms: " + "9" * 5000 + " }"),
    "endless-import.loop": 'import "' + "a/" * 3000 + 'x.loop"\n' + DESIGN,
    "nul-label.loop": DESIGN.replace("model m", 'model m "nul\\u0000here"'),
    "long-label.loop": DESIGN.replace("context c", 'context c "' + "x" * 20000 + '"'),
    "reserved.loop": "system s {\n  model system\n  context c\n}\n",
    "fat-arrow.loop": "system s {\n  context a\n  model b\n  a => b\n}\n",
    "open-braces.loop": "system s {" + "{" * 2000 + "\n",
    "directive.loop": "system\n  s  # loopdsl: ignore[LD201]\n{ }\n",
    "mermaid-init.loop": DESIGN.replace('"S"', json.dumps("%%{init: {'theme': 'dark'}}%%")),
    "bad-escape.loop": 'system s {\n  owner: "\\q\\q"\n}\n',
}
COMMANDS = [
    ["check", "F"], ["fmt", "--check", "F"], ["render", "F", "-f", "dot", "-o", "out/d.dot"],
    ["render", "F", "-f", "mermaid", "-o", "out/d.mmd"], ["render", "F", "-f", "svg", "-o",
                                                             "out/d.svg"],
    ["doc", "F", "-o", "out/r.md"], ["doc", "F", "-f", "html", "-o", "out/r.html"],
    ["gen", "F", "-o", "out/gen"], ["export", "F", "-o", "out/e.json"],
]


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_every_command_over_the_corpus(tmp_path, name):
    work = tmp_path / "work"
    work.mkdir()
    (work / name).write_text(CORPUS[name])
    for command in COMMANDS:
        args = [name if a == "F" else a for a in command]
        before = {p for p in work.rglob("*") if "out" not in p.parts}
        proc = cli(*args, cwd=work, timeout=60)
        assert proc.returncode in (0, 1, 2), (args, proc.stderr)
        assert "internal error" not in proc.stderr and "Traceback" not in proc.stderr, args
        if proc.returncode == 2:
            one_line_error(proc)
        # nothing written but under out/ (fmt --check writes nothing at all)
        assert {p for p in work.rglob("*") if "out" not in p.parts} == before, args
        assert (work / name).read_text() == CORPUS[name], args


def test_generated_code_for_awkward_designs_passes_ruff_mypy_and_its_tests(tmp_path):
    (tmp_path / "d.loop").write_text(
        'system s {\n  owner: "x"\n  context c\n  model m\n  interface i\n  feedback f\n'
        '  loop ab { c -> m -> i -> f -> c }\n  loop a_b { c -> m -> i -> f -> c }\n}\n'
        'system lonely {\n  owner: "x"\n  context c\n  model m\n  c -> m\n}\n'
        'system empty { owner: "x" }\n')
    assert cli("gen", "d.loop", "-o", "out", cwd=tmp_path).returncode == 0
    out = tmp_path / "out"
    for tool in (["ruff", "check", "--no-cache", "--isolated", "."],
                 ["mypy", "--strict", "--cache-dir", str(tmp_path / "mypy"), "."],
                 ["pytest", "-q", "-p", "no:cacheprovider"]):
        proc = subprocess.run([sys.executable, "-m", *tool], cwd=out, capture_output=True,
                              text=True, timeout=300, env=plain_pytest_env())
        assert proc.returncode == 0, proc.stdout + proc.stderr
    text = (out / "d" / "s" / "test_s.py").read_text()
    assert "def test_ab_runs_with_fakes" in text and "def test_a_b_runs_with_fakes" in text
