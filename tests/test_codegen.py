"""Stub code generation, checked with the real ruff, mypy --strict and pytest,
on every example and on hostile workspaces."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import EXAMPLES, loopdsl_executable
from loopdsl import loads
from loopdsl.codegen import Names, generate

INJECTION = '"""; import os; os.system("echo pwned") #'
HOSTILE = r"""
kind tool: interface { description: @INJ@ }
system class @INJ@ {
  owner: "x"
  description: "line one\nimport os  # not code"
  context match @INJ@
  context ﬁle "ligature fi: the same identifier as file after NFKC"
  context file
  model def "\\ backslash \" quote \n newline"
  model eval_set
  model evalSet
  model EvalSet
  tool type "Übersetzer's tool" { sandboxed: true }
  feedback Übersetzer
  context print
  context self
  context _
  context __init__
  context previous
  context turns
  context None
  context True
  feedback x２
  match -> def -> type -> Übersetzer -> match
  ﬁle -> def
  file -> eval_set -> type
  print -> evalSet -> type
  self -> EvalSet -> type
  _ -> def
  __init__ -> def
  previous -> def
  turns -> def
  None -> def
  True -> type
  type -> x２ -> file
  loop turn { max_iterations: 3  def -> type -> print -> evalSet -> type  previous -> def
    turns -> def }
  loop generated { match -> def -> type -> Übersetzer -> match }
}
system nodes "the package name is taken by the module" {
  owner: "y"
  context c
  model m
  interface i
  feedback f
  loop l { c -> m -> i -> f -> c }
}
""".replace("@INJ@", json.dumps(INJECTION))


def run_tool(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=600, env=env)


def check_with_real_tools(out: Path) -> None:
    ruff = run_tool([sys.executable, "-m", "ruff", "check", "--no-cache", "--isolated", "."], out)
    assert ruff.returncode == 0, ruff.stdout + ruff.stderr
    mypy = run_tool([sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(out / ".mypy"),
                     "."], out)
    assert mypy.returncode == 0, mypy.stdout + mypy.stderr
    tests = run_tool([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rx",
                      "."], out)
    assert tests.returncode == 0, tests.stdout + tests.stderr
    # xfail(raises=NotImplementedError): any other exception would fail the run
    assert " xfailed" in tests.stdout and " failed" not in tests.stdout
    assert "pwned" not in tests.stdout + tests.stderr


def gen(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([loopdsl_executable(), "gen", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120)


@pytest.mark.slow
@pytest.mark.parametrize("folder", sorted(p for p in EXAMPLES.iterdir() if p.is_dir()),
                         ids=lambda p: p.name)
def test_examples_generate_code_that_passes_ruff_mypy_and_pytest(folder, tmp_path):
    out = tmp_path / "out"
    proc = gen([".", "-o", str(out)], folder)
    assert proc.returncode == 0, proc.stderr
    check_with_real_tools(out)


@pytest.mark.slow
def test_hostile_names_and_labels_give_inert_valid_code(tmp_path):
    (tmp_path / "design").mkdir()
    (tmp_path / "design" / "evil.loop").write_text(HOSTILE)
    ws = loads(HOSTILE)
    assert ws.diagnostics == [], ws.diagnostics
    out = tmp_path / "out"
    proc = gen(["evil.loop", "-o", str(out)], tmp_path / "design")
    assert proc.returncode == 0, proc.stderr
    generated = (out / "class_" / "generated.py").read_text()
    for line in generated.splitlines():
        assert not line.lstrip().startswith("import os")
    assert repr(INJECTION) in generated  # the label, as a literal
    assert sorted(p.name for p in out.iterdir()) == ["class_", "nodes2", "test_class_.py",
                                                     "test_nodes2.py"]
    check_with_real_tools(out)


def test_names_are_valid_and_unique():
    names = Names()
    got = [names.snake(raw) for raw in ["class", "match", "_", "print", "ﬁle", "file",
                                        "x２", "Übersetzer", "eval_set", "EVAL_SET", "self"]]
    assert got == ["class_", "match_", "node", "print_", "file", "file2", "x2", "übersetzer",
                   "eval_set", "eval_set2", "self2"]
    assert all(n.isidentifier() for n in got)
    camel = Names()
    assert [camel.camel(raw) for raw in ["eval_set", "evalSet", "EvalSet", "x２", "_"]] == [
        "EvalSet", "EvalSet2", "EvalSet3", "X2", "Node"]
    awkward = Names()  # capitalised keywords and builtins are classes' names too
    got = [awkward.camel(raw) for raw in ["None", "True", "false", "exception", "type"]]
    assert got == ["None_", "True_", "False_", "Exception_", "Type"]


def test_generation_gap_force_and_check(tmp_path):
    shutil.copytree(EXAMPLES / "voice-assistant", tmp_path / "voice")
    design = tmp_path / "voice"
    out = tmp_path / "out"
    assert gen(["voice.loop", "-o", str(out)], design).returncode == 0
    nodes = out / "voice" / "nodes.py"
    nodes.write_text(nodes.read_text() + "\n# my implementation\n")
    again = gen(["voice.loop", "-o", str(out)], design)
    assert again.returncode == 0 and "kept" in again.stderr
    assert nodes.read_text().endswith("# my implementation\n")  # the edit survives
    assert gen(["voice.loop", "-o", str(out), "--check"], design).returncode == 0
    # the design changes: the regenerated module is stale
    loop = design / "voice.loop"
    loop.write_text(loop.read_text().replace('"Spoken reply"', '"Spoken answer"'))
    stale = gen(["voice.loop", "-o", str(out), "--check"], design)
    assert stale.returncode == 1 and "voice/generated.py" in stale.stderr
    assert gen(["voice.loop", "-o", str(out)], design).returncode == 0
    assert "Spoken answer" in (out / "voice" / "generated.py").read_text()
    assert nodes.read_text().endswith("# my implementation\n")
    # a hand edit of the regenerated module is stale too
    generated = out / "voice" / "generated.py"
    generated.write_text(generated.read_text() + "# edited\n")
    assert gen(["voice.loop", "-o", str(out), "--check"], design).returncode == 1
    assert gen(["voice.loop", "-o", str(out), "--force"], design).returncode == 0
    assert "# my implementation" not in nodes.read_text()


def test_generation_is_deterministic(monkeypatch):
    monkeypatch.chdir(EXAMPLES / "support-assistant")
    from loopdsl import load

    assert generate(load(["."])) == generate(load(["."]))


def test_header_and_broken_workspace(tmp_path):
    (tmp_path / "a.loop").write_text('system s { owner: "x" }')
    assert gen(["a.loop", "-o", "out"], tmp_path).returncode == 0
    header = (tmp_path / "out" / "s" / "generated.py").read_text().splitlines()[0]
    assert header == "# Code generated by loopdsl from a.loop. DO NOT EDIT."
    (tmp_path / "b.loop").write_text("system t { x -> y }")
    proc = gen(["b.loop", "-o", "out2"], tmp_path)
    assert proc.returncode == 1 and not (tmp_path / "out2").exists()


def test_check_names_the_implementations_a_rename_leaves_behind(tmp_path):
    shutil.copytree(EXAMPLES / "voice-assistant", tmp_path / "voice")
    design, out = tmp_path / "voice", tmp_path / "out"
    assert gen(["voice.loop", "-o", str(out)], design).returncode == 0
    assert gen(["voice.loop", "-o", str(out), "--check"], design).returncode == 0
    loop = design / "voice.loop"
    loop.write_text(re.sub(r"\btts\b", "synth", loop.read_text()))
    check = gen(["voice.loop", "-o", str(out), "--check"], design)
    assert check.returncode == 1
    assert "voice/generated.py" in check.stderr  # the regenerated module is stale
    assert re.search(r"voice/nodes\.py:\d+: class TtsNode implements generated\.Tts, which the "
                     r"design no longer has", check.stderr)
    assert "voice/nodes.py: node 'synth' has no implementation (a subclass of " \
           "generated.Synth)" in check.stderr
    # gen regenerates its module, keeps yours, and says what is left to do
    again = gen(["voice.loop", "-o", str(out)], design)
    assert again.returncode == 0 and "kept" in again.stderr
    assert "warning:" in again.stderr and "'synth' has no implementation" in again.stderr
    # the user mends nodes.py: the check passes
    nodes = out / "voice" / "nodes.py"
    nodes.write_text(nodes.read_text().replace("class TtsNode(generated.Tts)",
                                               "class SynthNode(generated.Synth)")
                     .replace("generated.TtsInputs", "generated.SynthInputs")
                     .replace("generated.TtsInference", "generated.SynthInference"))
    assert gen(["voice.loop", "-o", str(out), "--check"], design).returncode == 0


def test_check_names_a_method_the_role_no_longer_has(tmp_path):
    (tmp_path / "d.loop").write_text('system s {\n  context c "C"\n  model m "M"\n  c -> m\n}\n')
    out = tmp_path / "out"
    assert gen(["d.loop", "-o", str(out)], tmp_path).returncode == 0
    (tmp_path / "d.loop").write_text('system s {\n  context c "C"\n  interface m "M"\n'
                                     '  c -> m\n}\n')
    check = gen(["d.loop", "-o", str(out), "--check"], tmp_path)
    assert check.returncode == 1
    assert re.search(r"s/nodes\.py:\d+: class MNode has no present\(\) for node 'm' "
                     r"\(interface\)", check.stderr)
    (out / "s" / "nodes.py").write_bytes(b"\xff\xfe")
    broken = gen(["d.loop", "-o", str(out), "--check"], tmp_path)
    assert broken.returncode == 2 and "Traceback" not in broken.stderr
    assert broken.stderr.splitlines()[-1].startswith("loopdsl: error: cannot read ")
