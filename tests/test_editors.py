"""editors/vscode: the TextMate grammar, tested by tokenizing every example
with vscode-textmate (the library VS Code uses), and the extension's manifest."""

from __future__ import annotations

import json
import shutil
import subprocess

from conftest import EXAMPLES, ROOT

VSCODE = ROOT / "editors" / "vscode"
GRAMMAR = VSCODE / "syntaxes" / "loopdsl.tmLanguage.json"
TOKENIZER = ROOT / "tests" / "textmate" / "tokenize.js"


def tokenize(*files: str) -> dict[str, list[tuple[int, str, list[str]]]]:
    node = shutil.which("node")
    assert node, "Node.js is required to run vscode-textmate"
    assert (ROOT / "tests" / "textmate" / "node_modules" / "vscode-textmate").is_dir(), \
        "run `npm ci --prefix tests/textmate` (README's test command does)"
    proc = subprocess.run([node, str(TOKENIZER), str(GRAMMAR), *files], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return {k: [tuple(t) for t in v] for k, v in json.loads(proc.stdout).items()}


def test_every_token_of_every_example_has_a_scope():
    files = sorted(str(p) for p in EXAMPLES.rglob("*.loop"))
    for file, tokens in tokenize(*files).items():
        bare = [(line, text) for line, text, scopes in tokens
                if text.strip() and scopes == ["source.loopdsl"]]
        assert bare == [], file


def test_the_grammar_tells_the_parts_apart(tmp_path):
    sample = tmp_path / "s.loop"
    sample.write_text(
        'import "kinds.loop"\n'
        'kind retriever: context { requires: ["index"] }\n'
        'system support "Support" {  # the system\n'
        '  owner: "x\\n"\n'
        '  retriever kb "Articles" { latency_ms: 120, cached: true }\n'
        '  model drafter\n'
        '  kb -> drafter -> platform.console  # loopdsl: ignore[LD002, orphan-node]\n'
        '  loop answer { budget_ms: 1.5e3  kb -> drafter }\n'
        '}\n')
    tokens = tokenize(str(sample))[str(sample)]

    def scope(text: str, line: int) -> str:
        return next(s[-1] for n, t, s in tokens if n == line and t == text)

    assert scope("import", 1) == "keyword.control.import.loopdsl"
    assert scope("retriever", 2) == "entity.name.type.kind.loopdsl"
    assert scope("context", 2) == "entity.other.inherited-class.loopdsl"
    assert scope("support", 3) == "entity.name.namespace.system.loopdsl"
    assert scope("\\n", 4) == "constant.character.escape.loopdsl"
    assert scope("retriever", 5) == "storage.type.kind.loopdsl"
    assert scope("kb", 5) == "variable.other.node.loopdsl"
    assert scope("120", 5) == "constant.numeric.loopdsl"
    assert scope("true", 5) == "constant.language.boolean.loopdsl"
    assert scope("drafter", 6) == "variable.other.node.loopdsl"
    assert scope("->", 7) == "keyword.operator.flow.loopdsl"
    assert scope("platform.console", 7) == "variable.other.reference.loopdsl"
    assert scope("LD002, orphan-node", 7) == "constant.other.rule-code.loopdsl"
    assert scope("answer", 8) == "entity.name.function.loop.loopdsl"
    assert scope("1.5e3", 8) == "constant.numeric.loopdsl"


def test_the_extension_manifest():
    manifest = json.loads((VSCODE / "package.json").read_text())
    (language,) = manifest["contributes"]["languages"]
    assert language["extensions"] == [".loop"]
    (grammar,) = manifest["contributes"]["grammars"]
    assert grammar["scopeName"] == json.loads(GRAMMAR.read_text())["scopeName"]
    assert (VSCODE / grammar["path"]).is_file() and (VSCODE / language["configuration"]).is_file()
    config = json.loads((VSCODE / "language-configuration.json").read_text())
    assert config["comments"] == {"lineComment": "#"}
    assert ["{", "}"] in config["brackets"]
    assert manifest["contributes"]["configuration"]["properties"]["loopdsl.command"][
        "default"] == ["loopdsl", "lsp"]
    assert "loopdsl" in (VSCODE / "extension.js").read_text()
