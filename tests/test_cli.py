"""The real command: formats, exit codes, errors as one line, export, schema
and init; in-process through click's runner and as a subprocess."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

import pytest

from conftest import EXAMPLES, ROOT, findings, loopdsl_executable, subprocess_run

# A clean workspace but for one undefined reference (line 5, column 8).
BROKEN = ('system s {\n  owner: "x"\n  model m "M"\n  context c\n  c -> mm\n'
          '  interface ui\n  feedback fb\n  loop l { c -> m -> ui -> fb -> c }\n}\n')
CLEAN = 'system s { owner: "x" }'


def test_examples_are_clean(run):
    result = run("check", "examples", cwd=ROOT)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().startswith("no problems in")


def test_json_has_exactly_the_documented_keys(run, write):
    write("bad.loop", BROKEN)
    result = run("check", "--format", "json", "bad.loop")
    assert result.exit_code == 1
    (record,) = json.loads(result.stdout)
    assert set(record) == {"code", "name", "severity", "message", "file", "line", "column",
                           "end_line", "end_column", "help"}
    assert record | {"message": None} == {
        "code": "LD002", "name": "undefined-reference", "severity": "error", "message": None,
        "file": "bad.loop", "line": 5, "column": 8, "end_line": 5, "end_column": 10,
        "help": "did you mean 'm'?"}


def test_json_of_a_clean_run_is_an_empty_array(run, write):
    write("ok.loop", CLEAN)
    result = run("check", "-f", "json", "ok.loop")
    assert (result.exit_code, json.loads(result.stdout)) == (0, [])


def test_text_shows_the_source_line_a_caret_and_a_summary(run, write):
    write("bad.loop", BROKEN)
    write("other.loop", 'system t { owner: "y" }')
    result = run("check", "--no-color", ".")
    lines = result.stdout.splitlines()
    assert lines[0] == ("bad.loop:5:8: LD002 [error] undefined node 'mm' in system 's'; "
                        "did you mean 'm'?")
    assert lines[2] == " 5 |   c -> mm"
    assert lines[3] == "   |        ^^ undefined-reference"
    assert lines[4] == ""  # the suggestion is in the message; no help line repeats it
    assert lines[-1] == "1 problem (1 error) in 2 files"
    assert "\x1b[" not in result.stdout


def test_text_summary_counts_by_severity(run, write):
    write("a.loop", "system s { model m\nmodel m\n a -> m }\nsystem s {}")
    result = run("check", "--select", "LD0", "a.loop")
    assert result.stdout.splitlines()[-1] == "3 problems (3 errors) in 1 file"


def test_quiet_drops_the_summary(run, write):
    write("ok.loop", CLEAN)
    assert run("check", "-q", "ok.loop").stdout == ""


def test_concise_is_one_line_per_finding(run, write):
    write("bad.loop", BROKEN + "system s {}\n")
    result = run("check", "--format", "concise", "bad.loop")
    assert result.stdout.splitlines() == [
        "bad.loop:5:8: LD002 undefined node 'mm' in system 's'; did you mean 'm'?",
        "bad.loop:10:8: LD003 system 's' is defined twice",
    ]


def test_findings_are_sorted_by_file_line_column_code(run, write):
    write("b.loop", "system b { x -> y }")
    write("a.loop", "system a {\n modle m\n q -> m }")
    result = run("check", "-f", "json", "--select", "LD0", ".")
    got = [(f["file"], f["line"], f["column"], f["code"]) for f in json.loads(result.stdout)]
    assert got == sorted(got) and len(got) == 4


def test_output_is_byte_for_byte_deterministic(run, write):
    write("bad.loop", BROKEN)
    outputs = {run("check", "-f", fmt, ".").stdout for fmt in ["json"] * 3}
    assert len(outputs) == 1


def test_a_syntax_error_in_one_file_does_not_hide_the_others(run, write):
    write("a.loop", "system a {")
    write("b.loop", "system b { c -> d }")
    got = findings(run("check", "-f", "json", "--select", "LD0", "."))
    assert [c for c, *_ in got] == ["LD001", "LD002", "LD002"]


def test_a_file_with_a_syntax_error_reports_ld001_only(run, write):
    write("a.loop", "system a {\n  x -> y\n  model = 1\n}")
    assert [c for c, *_ in findings(run("check", "-f", "json", "a.loop"))] == ["LD001"]


@pytest.mark.parametrize("args", [
    ["check", "missing.loop"],
    ["check", "--format", "xml"],
    ["check", "--bogus"],
    ["export", "missing.loop"],
    ["nonsense"],
])
def test_usage_errors_exit_2_with_one_line(run, args):
    result = run(*args)
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_missing_path_message_is_one_line(run):
    result = run("check", "nope.loop")
    assert result.stderr == "loopdsl: error: nope.loop: no such file or folder\n"


def test_unreadable_file_exits_2(run, write, monkeypatch):
    write("secret.loop", CLEAN)

    real_open = os.open

    def denied(path, *args, **kw):
        if str(path).endswith("secret.loop"):
            raise PermissionError(13, "Permission denied")
        return real_open(path, *args, **kw)

    # chmod cannot stop root, who runs CI; refuse the open itself instead.
    monkeypatch.setattr(os, "open", denied)
    result = run("check", "secret.loop")
    assert result.exit_code == 2
    assert result.stderr == "loopdsl: error: secret.loop: Permission denied\n"


def test_bad_config_exits_2(run, write):
    write("loopdsl.toml", "fail-on = 'never'\n")
    write("ok.loop", CLEAN)
    result = run("check", "ok.loop")
    assert result.exit_code == 2 and "fail-on" in result.stderr
    write("loopdsl.toml", "colour = true\n")
    result = run("check", "ok.loop")
    assert result.exit_code == 2 and "unknown key 'colour'" in result.stderr
    assert "exclude" in result.stderr  # lists the valid keys
    write("loopdsl.toml", "not toml [")
    assert run("check", "ok.loop").exit_code == 2


def test_config_from_pyproject_and_fail_on(run, write):
    write("pyproject.toml", "[project]\nname='x'\n[tool.loopdsl]\nfail-on = 'error'\n")
    write("ok.loop", CLEAN)
    assert run("check", "ok.loop").exit_code == 0


def test_exclude_skips_files_in_folders(run, write):
    write("loopdsl.toml", 'exclude = ["vendor/*", "*.draft.loop"]\n')
    write("vendor/x.loop", "system x { a -> b }")
    write("idea.draft.loop", "system y { a -> b }")
    write("good.loop", CLEAN)
    result = run("check", "-f", "json", ".")
    assert (result.exit_code, json.loads(result.stdout)) == (0, [])


def test_colour_only_on_request_of_a_terminal(run, write, monkeypatch):
    write("bad.loop", BROKEN)
    assert "\x1b[" not in run("check", "bad.loop").stdout  # not a terminal
    monkeypatch.setattr("loopdsl.cli.output.use_color", lambda no_color: not no_color)
    assert "\x1b[" in run("check", "bad.loop").stdout
    assert "\x1b[" not in run("check", "--no-color", "bad.loop").stdout


def test_no_color_environment_variable(monkeypatch):
    from loopdsl.cli.output import use_color

    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert use_color(False) is True
    monkeypatch.setenv("NO_COLOR", "1")
    assert use_color(False) is False


def test_terminal_escapes_in_user_text_are_neutralised(run, write):
    write("evil.loop",
          'system s { owner: 1 model m { description: "\\u001b[2J" } owner: "\\u001b]0;x" }')
    result = run("check", "evil.loop")
    assert "\x1b" not in result.stdout


def test_internal_errors_are_one_line_unless_debugging(run, write, monkeypatch):
    write("ok.loop", CLEAN)

    def boom(*a, **k):
        raise RuntimeError("kaput")

    monkeypatch.setattr("loopdsl.app.workspace.lint_with", boom)
    result = run("check", "ok.loop")
    assert result.exit_code == 2
    assert result.stderr.startswith("loopdsl: internal error: RuntimeError: kaput")
    with pytest.raises(RuntimeError):
        run("check", "ok.loop", env={"LOOPDSL_DEBUG": "1"})


# --- hostile input through the real command -------------------------------------


@pytest.mark.parametrize("data", [
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    b"system s { owner: \"\xff\xfe\" }",
    b"\x00" * 100,
    b"\xef\xbb\xbfsystem s {}\r\n",
    b"",
    b"system s {" * 2000,
    b"[" * 10000,
], ids=["png", "latin1", "nul", "bom-crlf", "empty", "repeated-open", "deep-list"])
def test_any_bytes_give_diagnostics_not_tracebacks(run, write, data):
    write("x.loop", data)
    result = run("check", "-f", "json", "x.loop")
    assert result.exit_code in (0, 1)
    for f in json.loads(result.stdout):
        assert f["code"] in ("LD001", "LD201") and f["line"] >= 1


def test_a_five_megabyte_file(run, write):
    # Long descriptions make the size; the benchmark, not this test, tracks speed.
    prose = "A sentence of design notes that goes on for a while. " * 40
    body = "".join(f'  context c{i} "C{i}" {{ description: """{prose}""" }}\n  c{i} -> m\n'
                   for i in range(2_500))
    text = "system s {\n  model m\n" + body + "}\n"
    assert len(text) > 5_000_000
    write("big.loop", text)
    result = run("check", "-f", "json", "--select", "LD0", "big.loop")
    assert (result.exit_code, json.loads(result.stdout)) == (0, [])


def test_a_folder_where_a_file_is_expected(run, tmp_path):
    (tmp_path / "dir.loop").mkdir()
    result = run("export", "dir.loop")
    assert result.exit_code in (0, 2) and "Traceback" not in result.output


# --- export, schema, init ---------------------------------------------------------


def test_export_writes_the_resolved_workspace(run, tmp_path):
    out = tmp_path / "ws.json"
    result = run("export", "recs.loop", "-o", str(out), cwd=EXAMPLES / "recommender")
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert [s["id"] for s in data["systems"]] == ["recs", "catalog"]
    recs = data["systems"][0]
    assert {"source": "catalog.embeddings", "target": "recs.candidates"}.items() <= recs[
        "flows"][0].items()
    assert not list(tmp_path.glob(".ws.json.*"))  # no temporary file left behind


def test_written_files_get_usual_permissions_and_fmt_keeps_a_files_mode(run, write, tmp_path):
    # Outputs go through a temporary file (0600) and a rename; the result must
    # not stay private to its owner, and fmt must not change a source's mode.
    umask = os.umask(0o022)
    os.umask(umask)
    assert run("export", "recs.loop", "-o", str(tmp_path / "ws.json"),
               cwd=EXAMPLES / "recommender").exit_code == 0
    assert stat.S_IMODE((tmp_path / "ws.json").stat().st_mode) == 0o666 & ~umask
    source = write("a.loop", "system s {\n model   a\n}\n")
    source.chmod(0o640)
    assert run("fmt", "a.loop").exit_code == 0
    assert source.read_text() == "system s {\n  model a\n}\n"
    assert stat.S_IMODE(source.stat().st_mode) == 0o640


def test_export_validates_against_the_schema(run):
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(run("schema").stdout)
    for path in EXAMPLES.rglob("*.loop"):
        exported = json.loads(run("export", path.name, cwd=path.parent).stdout)
        jsonschema.validate(exported, schema)


def test_export_refuses_a_broken_workspace(run, write, tmp_path):
    write("bad.loop", BROKEN)
    result = run("export", "bad.loop", "-o", "out.json")
    assert result.exit_code == 1 and "LD002" in result.stderr
    assert not (tmp_path / "out.json").exists()


def test_schema_is_deterministic_json(run):
    first, second = run("schema").stdout, run("schema").stdout
    assert first == second and json.loads(first)["title"] == "Workspace"


def test_init_writes_a_clean_workspace_and_refuses_to_overwrite(run, tmp_path):
    result = run("init", "start")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "start").iterdir()) == [
        "assistant.loop", "loopdsl.toml"]
    assert run("check", cwd=tmp_path / "start").exit_code == 0
    before = (tmp_path / "start" / "assistant.loop").read_text()
    again = run("init", "start")
    assert again.exit_code == 2 and "refusing to overwrite" in again.stderr
    assert (tmp_path / "start" / "assistant.loop").read_text() == before


def test_help_texts_are_complete(run):
    for command in ["check", "export", "schema", "init"]:
        result = run(command, "--help")
        assert result.exit_code == 0 and len(result.stdout.splitlines()) > 4
    assert "check" in run("--help").stdout
    assert run("--version").stdout.startswith("loopdsl, version")


# --- the installed console script -------------------------------------------------


def test_console_script_runs_as_a_subprocess(tmp_path):
    (tmp_path / "bad.loop").write_text(BROKEN)
    proc = subprocess_run("check", "--format", "concise", "bad.loop", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stdout == ("bad.loop:5:8: LD002 undefined node 'mm' in system 's'; "
                           "did you mean 'm'?\n")
    proc = subprocess_run("check", "examples", cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = subprocess_run("check", "nope", cwd=tmp_path)
    assert (proc.returncode, proc.stderr.count("\n")) == (2, 1)


def test_console_script_flushes_everything_before_it_ends(run, tmp_path):
    # The script ends with os._exit after flushing: output larger than a pipe's
    # buffer must arrive whole, and a reader that stops early is no error.
    nodes = "".join(f"  context c{i}\n  model m{i}\n  c{i} -> m{i}\n" for i in range(300))
    (tmp_path / "big.loop").write_text(f"system s {{\n{nodes}}}\n")
    proc = subprocess_run("export", "big.loop", cwd=tmp_path)
    assert proc.returncode == 0 and len(proc.stdout) > 65536
    assert proc.stdout == run("export", "big.loop", cwd=tmp_path).stdout
    head = subprocess.run(f'"{loopdsl_executable()}" export big.loop | head -c 10',
                          shell=True, cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)
    assert head.stdout == proc.stdout[:10] and "Traceback" not in head.stderr


def test_parser_tables_are_cached_per_user(tmp_path):
    cache = tmp_path / "cache"
    env = {**os.environ, "LOOPDSL_CACHE_DIR": str(cache)}
    (tmp_path / "ok.loop").write_text(CLEAN)
    assert subprocess_run("check", "ok.loop", cwd=tmp_path, env=env).returncode == 0
    (table,) = cache.glob("parser-*")
    assert table.stat().st_size > 1000
    assert list(cache.glob("builtin-rules-*.pickle"))  # validated rules are cached too
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    mtime = table.stat().st_mtime_ns
    assert subprocess_run("check", "ok.loop", cwd=tmp_path, env=env).returncode == 0
    assert table.stat().st_mtime_ns == mtime  # read, not rebuilt


def test_an_unwritable_cache_folder_is_not_an_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    env = {**os.environ, "LOOPDSL_CACHE_DIR": str(blocker / "cache")}
    (tmp_path / "ok.loop").write_text(CLEAN)
    proc = subprocess_run("check", "ok.loop", cwd=tmp_path, env=env)
    assert proc.returncode == 0 and proc.stderr == ""


def test_examples_folder_layout():
    folders = sorted(p.name for p in EXAMPLES.iterdir() if p.is_dir())
    assert len(folders) >= 4
    for folder in folders:
        assert list(Path(EXAMPLES / folder).rglob("*.loop"))


@pytest.mark.parametrize("command", [["render"], ["doc"], ["export"], ["gen", "-o", "out"],
                                     ["check"], ["check", "-q"], ["check", "-f", "json"]])
def test_an_empty_folder_is_a_one_line_error(run, tmp_path, command):
    """A mistyped path must not pass CI: there is nothing to check in it."""
    (tmp_path / "empty").mkdir()
    result = run(command[0], "empty", *command[1:])
    assert result.exit_code == 2
    assert result.stderr == "loopdsl: error: no .loop files found in empty\n"
    assert result.stdout == ""


def test_a_cache_others_can_write_is_neither_read_nor_written(tmp_path):
    shared = tmp_path / "shared-cache"
    shared.mkdir()
    os.chmod(shared, 0o777)  # anybody could plant a pickle here
    planted = shared / "planted.pickle"
    planted.write_bytes(b"not a pickle of ours")
    env = {**os.environ, "LOOPDSL_CACHE_DIR": str(shared)}
    (tmp_path / "ok.loop").write_text(CLEAN)
    assert subprocess_run("check", "ok.loop", cwd=tmp_path, env=env).returncode == 0
    assert sorted(p.name for p in shared.iterdir()) == ["planted.pickle"]
    from loopdsl.cache import private

    os.chmod(shared, 0o700)
    os.chmod(planted, 0o666)
    assert private(shared) and not private(planted)  # others may write it: not loaded
