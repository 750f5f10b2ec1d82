"""Stub code generation, checked with the real ruff, mypy --strict and pytest,
on every example and on hostile workspaces."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from conftest import EXAMPLES, loopdsl_executable, plain_pytest_env
from loopdsl import loads
from loopdsl.codegen import Names, generate, plan

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


# The issue's awkward designs in one file named after a module of the standard
# library: systems named like modules, keyword and builtin ids, non-ASCII and
# confusable ids, ids that collide once sanitised, a loop fed from two other
# systems, quotes and newlines in labels.
AWKWARD = """
system platform "Platform" {
  owner: "p"
  context docs_index "Docs \\"index\\"\\nsecond line"
  context None
  context True
  context generated "an id like the module its system's package is imported as"
  feedback False
}
system json {
  owner: "j"
  context schema
}
system typing {
  owner: "t"
  context übersetzung "Übersetzung"
  context 翻译
  context a
  context а
  model match
  model type
  interface eval_set
  interface evalSet
  feedback EvalSet
  platform.docs_index -> match
  platform.generated -> match
  json.schema -> match
  übersetzung -> match
  翻译 -> match
  a -> type
  а -> type
  loop fix { max_iterations: 4
    match -> type -> eval_set -> match
    type -> evalSet -> EvalSet -> match
    platform.None -> type
  }
  loop once { platform.True -> match -> eval_set -> platform.False }
}
system test {
  owner: "x"
  context q
  model m
  q -> m
}
"""


def run_tool(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=600,
                          env=plain_pytest_env())


def check_with_real_tools(out: Path, mypy_cache: Path | None = None) -> None:
    """ruff with its default rules, mypy --strict and the generated tests.
    ``mypy_cache``: a cache shared between runs (the standard library's stubs
    are checked once; mypy checks each cached module against its source)."""
    ruff = run_tool([sys.executable, "-m", "ruff", "check", "--no-cache", "--isolated", "."], out)
    assert ruff.returncode == 0, ruff.stdout + ruff.stderr
    cache = mypy_cache or out / ".mypy"
    mypy = run_tool([sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(cache),
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


def every_name(out: Path) -> list[str]:
    return sorted(p.relative_to(out).as_posix() for p in out.rglob("*")
                  if "__pycache__" not in p.parts and ".mypy" not in p.parts)


@pytest.mark.slow
@pytest.mark.parametrize("folder", sorted(p for p in EXAMPLES.iterdir() if p.is_dir()),
                         ids=lambda p: p.name)
def test_examples_generate_code_that_passes_ruff_mypy_and_pytest(folder, tmp_path,
                                                                mypy_cache):
    out = tmp_path / "out"
    proc = gen([".", "-o", str(out)], folder)
    assert proc.returncode == 0, proc.stderr
    check_with_real_tools(out, mypy_cache)


@pytest.fixture(scope="module")
def mypy_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mypy-cache")


@pytest.mark.slow
def test_hostile_names_and_labels_give_inert_valid_code(tmp_path):
    (tmp_path / "design").mkdir()
    (tmp_path / "design" / "evil.loop").write_text(HOSTILE)
    ws = loads(HOSTILE)
    assert ws.diagnostics == [], ws.diagnostics
    out = tmp_path / "out"
    proc = gen(["evil.loop", "-o", str(out)], tmp_path / "design")
    assert proc.returncode == 0, proc.stderr
    generated = (out / "evil" / "class_" / "generated.py").read_text()
    for line in generated.splitlines():
        assert not line.lstrip().startswith("import os")
    assert ascii(INJECTION) in generated  # the label, as a literal
    assert sorted(p.name for p in (out / "evil").iterdir()) == [
        "__init__.py", "class_", "generated.py", "nodes"]
    check_with_real_tools(out)


@pytest.mark.slow
def test_awkward_designs_give_a_package_that_shadows_nothing(tmp_path):
    (tmp_path / "design").mkdir()
    (tmp_path / "design" / "platform.loop").write_text(AWKWARD)
    ws = loads(AWKWARD)
    assert ws.diagnostics == [], ws.diagnostics
    out = tmp_path / "out"
    proc = gen(["platform.loop", "-o", str(out)], tmp_path / "design")
    assert proc.returncode == 0, proc.stderr
    names = every_name(out)
    assert all(name.isascii() for name in names), names
    assert [n for n in names if "/" not in n] == ["platform_"]  # not `platform`
    assert "platform_/typing/test_typing.py" in names
    check_with_real_tools(out)
    # the standard library's modules are still the ones imported beside it
    probe = run_tool([sys.executable, "-c", "import json, platform, typing; platform.system(); "
                      "import platform_.typing.generated as g; print(g.SYSTEM_ID)"], out)
    assert probe.returncode == 0 and probe.stdout == "typing\n", probe.stderr


def test_names_are_valid_ascii_and_unique():
    names = Names()
    got = [names.snake(raw) for raw in ["class", "match", "_", "print", "ﬁle", "file",
                                        "x２", "Übersetzer", "eval_set", "EVAL_SET", "self",
                                        "翻译", "а", "a", "straße"]]
    assert got == ["class_", "match_", "node", "print_", "file", "file2", "x2", "ubersetzer",
                   "eval_set", "eval_set2", "self2", "u7ffb_u8bd1", "u0430", "a", "strasse"]
    assert all(n.isidentifier() and n.isascii() for n in got)
    camel = Names()
    assert [camel.camel(raw) for raw in ["eval_set", "evalSet", "EvalSet", "x２", "_"]] == [
        "EvalSet", "EvalSet2", "EvalSet3", "X2", "Node"]
    assert camel.derived("EvalSet2", "Inputs") == "EvalSet2Inputs"
    awkward = Names()  # capitalised keywords and builtins are classes' names too
    got = [awkward.camel(raw) for raw in ["None", "True", "false", "exception", "type"]]
    assert got == ["None_", "True_", "False_", "Exception_", "Type"]
    assert awkward.derived("None_", "Inputs") == "NoneInputs"


def test_a_turn_follows_the_loop_from_where_its_inputs_arrive():
    ws = loads('system s {\n  owner: "x"\n  context issue\n  model patcher\n'
               '  interface tests\n  interface lint\n  feedback verdict\n'
               '  loop fix { max_iterations: 5\n    tests -> verdict -> patcher\n'
               '    issue -> patcher\n    patcher -> lint -> verdict\n'
               '    patcher -> tests\n  }\n}\n')
    assert ws.diagnostics == []
    (pkg,) = plan(ws, "p").packages
    (loop,) = pkg.loops
    # `issue` is fed by nothing: an argument; patcher, where it arrives, comes first;
    # verdict after both tests and lint, whatever order the flows are stated in
    assert [w.name for w in loop.externals] == ["issue"]
    assert loop.path == "patcher -> tests -> lint -> verdict"
    args = {s.node.var: dict(s.args) for s in loop.steps}
    assert args["patcher"] == {"issue": "issue", "verdict": "previous.verdict"}
    assert args["verdict"] == {"tests": "tests", "lint": "lint"}


def test_a_shared_node_does_not_make_each_loop_take_the_other_loops_outputs():
    ws = loads('system s {\n  owner: "x"\n  context q\n  context kept\n  interface ui\n'
               '  feedback fb\n  model m1\n  model m2\n  q -> ui\n  kept -> ui\n'
               '  loop one { m1 -> ui -> fb -> kept -> m1 }\n'
               '  loop two { m2 -> ui -> fb -> m2 }\n}\n')
    assert ws.diagnostics == []
    one, two = plan(ws, "p").packages[0].loops
    # context always reaches the loop (q fed by nothing, kept by another loop);
    # loop two's model is its own business
    assert [w.name for w in one.externals] == ["q"]
    assert [w.name for w in two.externals] == ["q", "kept"]
    ui = {s.node.var: dict(s.args) for s in one.steps}["ui"]
    assert list(ui) == ["q", "kept", "m1"]  # no m2: its field stays None in loop one


USER_CODE = """
from p.s import generated, nodes
from p.a import generated as a
from p.b import generated as b
from p.generated import LoopLimitError

calls = []

class Patcher(generated.Patcher):
    def infer(self, inputs):
        calls.append(("patcher", inputs))
        return generated.PatcherInference(content=len(calls))

class Tests(generated.Tests):
    def present(self, inputs):
        calls.append(("tests", inputs))
        return generated.TestsInteraction(content=inputs.patcher.content)

class Verdict(generated.Verdict):
    def observe(self, inputs):
        calls.append(("verdict", inputs))
        return generated.VerdictSignal(content=inputs.tests.content)

class Fix(nodes.FixRunner):
    def done(self, turn):
        return turn.verdict.content >= GOAL

issue, code = a.IssueInformation(content="bug"), b.CodeInformation(content="repo")
GOAL = 4  # the second turn's patcher is the 4th call
loop = Fix(Patcher(), Tests(), Verdict())
last = loop.run(issue, code)
print(loop.turns, last.verdict.content, [name for name, _ in calls])
first = calls[0][1]
print(first.a_issue.content, first.b_code.content, first.verdict)
print(calls[3][1].verdict)
GOAL = 10 ** 9
try:
    loop.run(issue, code)
except LoopLimitError as e:
    print(loop.turns, e)
try:
    loop.run(issue, code, max_iterations=4)
except ValueError as e:
    print(e)
"""


def test_a_loop_fed_by_two_systems_runs_until_done_and_never_past_its_bound(tmp_path):
    (tmp_path / "d.loop").write_text(
        'system a {\n  owner: "x"\n  context issue\n}\n'
        'system b {\n  owner: "x"\n  context code\n}\n'
        'system s {\n  owner: "x"\n  model patcher\n  interface tests\n  feedback verdict\n'
        '  a.issue -> patcher\n  b.code -> patcher\n'
        '  loop fix { max_iterations: 3\n    patcher -> tests -> verdict -> patcher\n  }\n}\n')
    assert gen(["d.loop", "-o", "out", "--package", "p"], tmp_path).returncode == 0
    (tmp_path / "out" / "use.py").write_text(USER_CODE)
    proc = run_tool([sys.executable, "use.py"], tmp_path / "out")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "2 4 ['patcher', 'tests', 'verdict', 'patcher', 'tests', 'verdict']",
        "bug repo None",  # the external inputs reach the model; no verdict yet
        "VerdictSignal(content=1)",  # the second turn gets the first one's verdict
        "3 loop 'fix' was not done after 3 turns, its bound",
        "loop 'fix': max_iterations must be from 1 to 3",
    ]


def test_generation_gap_force_and_check(tmp_path):
    shutil.copytree(EXAMPLES / "voice-assistant", tmp_path / "voice")
    design = tmp_path / "voice"
    out = tmp_path / "out"
    assert gen(["voice.loop", "-o", str(out)], design).returncode == 0
    nodes = out / "voice" / "voice" / "nodes.py"
    nodes.write_text(nodes.read_text() + "\n# my implementation\n")
    again = gen(["voice.loop", "-o", str(out)], design)
    assert again.returncode == 0 and "kept" in again.stderr
    assert nodes.read_text().endswith("# my implementation\n")  # the edit survives
    assert gen(["voice.loop", "-o", str(out), "--check"], design).returncode == 0
    # the design changes: the regenerated module is stale
    loop = design / "voice.loop"
    loop.write_text(loop.read_text().replace('"Spoken reply"', '"Spoken answer"'))
    stale = gen(["voice.loop", "-o", str(out), "--check"], design)
    assert stale.returncode == 1 and "voice/voice/generated.py" in stale.stderr
    assert gen(["voice.loop", "-o", str(out)], design).returncode == 0
    assert "Spoken answer" in (out / "voice" / "voice" / "generated.py").read_text()
    assert nodes.read_text().endswith("# my implementation\n")
    # a hand edit of the regenerated module is stale too
    generated = out / "voice" / "voice" / "generated.py"
    generated.write_text(generated.read_text() + "# edited\n")
    assert gen(["voice.loop", "-o", str(out), "--check"], design).returncode == 1
    assert gen(["voice.loop", "-o", str(out), "--force"], design).returncode == 0
    assert "# my implementation" not in nodes.read_text()
    assert not list(out.rglob("*.new"))


def test_generation_is_deterministic(monkeypatch):
    monkeypatch.chdir(EXAMPLES / "support-assistant")
    from loopdsl import load

    assert generate(load(["."]), "p") == generate(load(["."]), "p")


def test_header_package_name_and_broken_workspace(tmp_path):
    (tmp_path / "a.loop").write_text('system s { owner: "x" }')
    assert gen(["a.loop", "-o", "out"], tmp_path).returncode == 0
    header = (tmp_path / "out" / "a" / "s" / "generated.py").read_text().splitlines()[:2]
    assert header == ["# generated by loopdsl, do not edit",
                      "# (from a.loop; `loopdsl gen` rewrites this file)"]
    (tmp_path / "b.loop").write_text("system t { x -> y }")
    proc = gen(["b.loop", "-o", "out2"], tmp_path)
    assert proc.returncode == 1 and not (tmp_path / "out2").exists()
    assert gen(["a.loop", "-o", "out3", "--package", "my_app"], tmp_path).returncode == 0
    assert (tmp_path / "out3" / "my_app" / "s" / "generated.py").is_file()
    for bad, says in [("json", "would shadow"), ("1x", "not an ASCII Python identifier"),
                      ("déjà", "not an ASCII"), ("class", "not an ASCII"),
                      ("pytest", "would shadow")]:
        proc = gen(["a.loop", "-o", "out4", "--package", bad], tmp_path)
        assert proc.returncode == 2 and len(proc.stderr.splitlines()) == 1, proc.stderr
        assert says in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "out4").exists()


def test_check_names_the_implementations_a_rename_leaves_behind(tmp_path):
    shutil.copytree(EXAMPLES / "voice-assistant", tmp_path / "voice")
    design, out = tmp_path / "voice", tmp_path / "out"
    assert gen(["voice.loop", "-o", str(out)], design).returncode == 0
    assert gen(["voice.loop", "-o", str(out), "--check"], design).returncode == 0
    loop = design / "voice.loop"
    loop.write_text(re.sub(r"\btts\b", "synth", loop.read_text()))
    check = gen(["voice.loop", "-o", str(out), "--check"], design)
    assert check.returncode == 1
    assert "voice/voice/generated.py" in check.stderr  # the regenerated module is stale
    assert re.search(r"voice/voice/nodes\.py:\d+: class TtsNode implements generated\.Tts, "
                     r"which the design no longer has", check.stderr)
    assert "voice/voice/nodes.py: node 'synth' (model) has no implementation (a subclass of " \
           "generated.Synth)" in check.stderr
    # gen regenerates its module, keeps yours, writes the stubs beside and says what is left
    again = gen(["voice.loop", "-o", str(out)], design)
    assert again.returncode == 0 and "kept" in again.stderr
    assert "warning:" in again.stderr and "'synth' (model) has no implementation" in again.stderr
    beside = out / "voice" / "voice" / "nodes.py.new"
    assert "class SynthNode(generated.Synth)" in beside.read_text()
    assert str(beside) in again.stderr
    # the user renames the class only: the old signature is named
    nodes = out / "voice" / "voice" / "nodes.py"
    nodes.write_text(nodes.read_text().replace("class TtsNode(generated.Tts)",
                                               "class SynthNode(generated.Synth)"))
    check = gen(["voice.loop", "-o", str(out), "--check"], design)
    assert check.returncode == 1
    assert re.search(r"nodes\.py:\d+: SynthNode\.infer\(\) is annotated with "
                     r"generated\.TtsInputs, the design's is generated\.SynthInputs",
                     check.stderr)
    nodes.write_text(nodes.read_text().replace("generated.TtsInputs", "generated.SynthInputs")
                     .replace("generated.TtsInference", "generated.SynthInference"))
    assert gen(["voice.loop", "-o", str(out), "--check"], design).returncode == 0


def test_check_names_a_method_the_role_no_longer_has_and_a_loop_without_done(tmp_path):
    (tmp_path / "d.loop").write_text('system s {\n  context c "C"\n  model m "M"\n  c -> m\n}\n')
    out = tmp_path / "out"
    assert gen(["d.loop", "-o", str(out)], tmp_path).returncode == 0
    (tmp_path / "d.loop").write_text('system s {\n  context c "C"\n  interface m "M"\n'
                                     '  feedback f\n  loop l { m -> f -> m }\n  c -> m\n}\n')
    check = gen(["d.loop", "-o", str(out), "--check"], tmp_path)
    assert check.returncode == 1
    assert re.search(r"d/s/nodes\.py:\d+: class MNode has no present\(\) for node 'm' "
                     r"\(interface\)", check.stderr)
    assert "d/s/nodes.py: loop 'l' has no implementation (a subclass of generated.LLoop)" \
        in check.stderr
    (out / "d" / "s" / "nodes.py").write_bytes(b"\xff\xfe")
    broken = gen(["d.loop", "-o", str(out), "--check"], tmp_path)
    assert broken.returncode == 2 and "Traceback" not in broken.stderr
    assert broken.stderr.splitlines()[-1].startswith("loopdsl: error: cannot read ")


def test_a_folder_in_the_way_stops_gen_before_it_writes_anything(tmp_path):
    (tmp_path / "d.loop").write_text('system s {\n  owner: "x"\n  context c\n  model m\n'
                                     '  c -> m\n}\n')
    (tmp_path / "out" / "d" / "s" / "generated.py").mkdir(parents=True)
    proc = gen(["d.loop", "-o", "out"], tmp_path)
    assert proc.returncode == 2 and proc.stderr == (
        "loopdsl: error: cannot write out/d/s/generated.py: it is a folder\n")
    assert every_name(tmp_path / "out") == ["d", "d/s", "d/s/generated.py"]
    (tmp_path / "out" / "d" / "s" / "generated.py").rmdir()
    (tmp_path / "out" / "d" / "s").rmdir()
    (tmp_path / "out" / "d" / "s").write_text("")
    proc = gen(["d.loop", "-o", "out"], tmp_path)
    assert proc.returncode == 2 and "out/d/s is not a folder" in proc.stderr
    assert every_name(tmp_path / "out") == ["d", "d/s"]


def test_gen_points_at_nodes_written_by_the_earlier_layout(tmp_path):
    (tmp_path / "d.loop").write_text('system s {\n  owner: "x"\n  context c\n}\n')
    (tmp_path / "out" / "s").mkdir(parents=True)
    (tmp_path / "out" / "s" / "nodes.py").write_text("# my code\n")
    proc = gen(["d.loop", "-o", "out"], tmp_path)
    assert proc.returncode == 0
    assert ("loopdsl: note: out/s/nodes.py is where an earlier loopdsl put your nodes; the "
            "package is now out/d: move your code into out/d/s/nodes.py") in proc.stderr
    assert (tmp_path / "out" / "s" / "nodes.py").read_text() == "# my code\n"


def test_check_reads_the_ways_a_module_may_name_the_generated_classes():
    from loopdsl.codegen import audit

    ws = loads('system s {\n  owner: "x"\n  context c\n  model m\n  interface i\n'
               '  feedback f\n  loop l { c -> m -> i -> f -> c }\n}\n')
    yours = '''
from . import generated as g
from .generated import CInformation, CInputs, M as TheModel
from p.s.generated import LTurn
from p.s import generated as absolute

class C(generated.C):
    def provide(self, inputs: CInputs) -> CInformation: ...

class M(TheModel):
    def infer(self, inputs: "g.MInputs") -> g.MInference: ...

class I(absolute.I):
    def present(self, inputs: absolute.CInputs) -> absolute.IInteraction: ...

class F(g.F):
    def observe(self, inputs, extra): ...

class L(g.LLoop):
    def done(self, turn: LTurn) -> bool: ...
'''
    problems = [str(p) for p in audit(ws, "p", lambda path: yours)]
    assert problems == [
        "p/s/nodes.py:14: I.present() is annotated with generated.CInputs, the design's is "
        "generated.IInputs",
        "p/s/nodes.py:17: F.observe() takes 2 arguments, the design's 1",
    ]


def test_generate_is_a_plain_function_over_a_workspace():
    ws = loads('system s {\n  owner: "x"\n  context c\n}\n', filename="json.loop")
    files = generate(ws)
    assert list(files)[:2] == ["json_/generated.py", "json_/__init__.py"]
    assert files["json_/s/generated.py"][1] is True and files["json_/s/nodes.py"][1] is False


# Ids a user may well write, each awkward for Python somewhere: keywords in
# both cases, soft keywords, builtins, the standard library's modules, names
# the generated code uses itself, non-ASCII letters, look-alikes, case twins.
AWKWARD_IDS = ["None", "True", "False", "match", "case", "type", "_", "class", "def",
               "print", "list", "Exception", "json", "typing", "platform", "test", "pytest",
               "generated", "nodes", "self", "turn", "run", "done", "loop", "last", "seen",
               "previous", "inputs", "content", "stop_after", "LoopRunner", "Information",
               "ABC", "dataclass", "ClassVar", "übersetzung", "Übersetzung", "翻译", "a", "а",
               "eval_set", "evalSet", "EvalSet", "ﬁle", "file", "x２", "x2", "n_1", "mic"]
ROLES = ["context", "model", "interface", "feedback"]


@st.composite
def designs(draw: st.DrawFn) -> str:
    systems = draw(st.lists(st.sampled_from(["platform", "json", "s", "typing", "übersetzung",
                                             "generated"]),
                            min_size=1, max_size=3, unique=True))
    nodes = {s: draw(st.lists(st.sampled_from(AWKWARD_IDS), min_size=1, max_size=6,
                              unique=True)) for s in systems}
    refs = [(s, n) for s in systems for n in nodes[s]]
    label = st.text(st.characters(blacklist_categories=["Cs"]), max_size=12)
    lines = []
    for s in systems:
        lines.append(f"system {s} {json.dumps(draw(label))} {{\n  owner: \"x\"")
        lines += [f"  {draw(st.sampled_from(ROLES))} {n} {json.dumps(draw(label))}"
                  for n in nodes[s]]

        def ref(pair: tuple[str, str], here: str = s) -> str:
            return pair[1] if pair[0] == here else f"{pair[0]}.{pair[1]}"

        flows = draw(st.lists(st.tuples(st.sampled_from(refs), st.sampled_from(refs)),
                              max_size=8, unique=True))
        mine = [(a, b) for a, b in flows if b[0] == s or a[0] == s]
        lines += [f"  {ref(a)} -> {ref(b)}" for a, b in mine]
        for k in range(draw(st.integers(0, 2))):
            held = draw(st.lists(st.sampled_from(mine), max_size=5, unique=True)) if mine else []
            bound = draw(st.sampled_from(["", "max_iterations: 1  ", "max_iterations: 3  ",
                                          "max_iterations: 5000  "]))
            lines.append(f"  loop l{k} {json.dumps(draw(label))} {{ {bound}"
                         + "  ".join(f"{ref(a)} -> {ref(b)}" for a, b in held) + " }")
        lines.append("}")
    return "\n".join(lines) + "\n"


@pytest.mark.slow
@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(design=designs())
def test_any_design_gives_code_that_passes_ruff_and_its_own_tests(design, tmp_path_factory):
    """A property: whatever the ids, labels, flows and loops, the code compiles,
    ruff passes it and its generated tests pass (mypy runs on the fixed
    designs above: it takes seconds per package)."""
    ws = loads(design, filename="design.loop")
    assume(ws.diagnostics == [])
    out = tmp_path_factory.mktemp("gen")
    for path, (text, _) in generate(ws).items():
        (out / path).parent.mkdir(parents=True, exist_ok=True)
        (out / path).write_text(text)
        compile(text, path, "exec")
        assert path.isascii() and text.isascii(), path
    ruff = run_tool([sys.executable, "-m", "ruff", "check", "--no-cache", "--isolated", "."], out)
    assert ruff.returncode == 0, design + ruff.stdout
    tests = run_tool([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "."], out)
    assert tests.returncode == 0 and " failed" not in tests.stdout, design + tests.stdout
