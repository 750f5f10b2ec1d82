"""`loopdsl lsp` with a real client (pytest-lsp) talking to the real server
process over stdin/stdout: diagnostics equal to check's, hover, definition,
references, rename, completion, symbols, formatting, code actions, and
UTF-16 positions on lines with emoji and CJK text."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pygls.uris import from_fs_path
from pytest_lsp import ClientServerConfig, LanguageClient

from conftest import subprocess_run

pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]

# An emoji (two UTF-16 units) and CJK text (one each) before names on their lines.
DESIGN = """kind retriever: context
system support "Support 🤖" {
  owner: "x"
  retriever kb "知识库 🧠"
  model drafter "Drafter"
  interface console
  feedback edits
  context lonely
  interface 界面 "面板 🤖" kb -> drafter  drafter -> consol
  loop answer { kb -> drafter -> console -> edits -> kb }
}
"""
OTHER = """import "design.loop"
system ops {
  owner: "y"
  context logs "日志 📜"  # loopdsl: ignore[LD107, LD108]
  logs -> support.drafter
}
"""


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("lsp")
    (work / "loopdsl.toml").write_text("")
    (work / "design.loop").write_text(DESIGN)
    (work / "ops.loop").write_text(OTHER)
    return work


@pytest_lsp.fixture(scope="module", config=ClientServerConfig(
    server_command=[sys.executable, "-m", "loopdsl", "lsp"]))
async def client(lsp_client: LanguageClient, folder: Path):
    await lsp_client.initialize_session(lsp.InitializeParams(
        capabilities=pytest_lsp.client_capabilities("visual-studio-code"),
        root_uri=from_fs_path(str(folder))))
    for name in ("design.loop", "ops.loop"):
        lsp_client.text_document_did_open(lsp.DidOpenTextDocumentParams(
            text_document=lsp.TextDocumentItem(uri=uri(folder / name), language_id="loopdsl",
                                               version=1, text=(folder / name).read_text())))
        await published(lsp_client, uri(folder / name))
    yield
    await lsp_client.shutdown_session()


async def published(client: LanguageClient, target: str) -> None:
    """Wait for the diagnostics of ``target`` (the server refreshes every open
    document after a change, in no order a test may count on)."""
    while True:
        params = await client.wait_for_notification(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        if params.uri == target:
            return


def uri(path: Path) -> str:
    return from_fs_path(str(path)) or ""


def pos(text: str, needle: str, offset: int = 0, nth: int = 0) -> lsp.Position:
    """Where ``needle`` (its ``nth`` occurrence) stands, in UTF-16 units."""
    at = -1
    for _ in range(nth + 1):
        at = text.index(needle, at + 1)
    line = text.count("\n", 0, at)
    start = text.rfind("\n", 0, at) + 1
    return lsp.Position(line=line, character=len(text[start:at + offset].encode("utf-16-le"))
                        // 2)


async def test_diagnostics_equal_check_s_findings(client: LanguageClient, folder: Path):
    published = client.diagnostics[uri(folder / "design.loop")]
    proc = subprocess_run("check", "-f", "json", "design.loop", cwd=folder)
    expected = [(f["code"], f["line"] - 1) for f in json.loads(proc.stdout)
                if f["file"] == "design.loop"]
    assert sorted((d.code, d.range.start.line) for d in published) == sorted(expected)
    (typo,) = [d for d in published if d.code == "LD002"]
    assert typo.range.start == pos(DESIGN, "consol\n")
    assert typo.severity == lsp.DiagnosticSeverity.Error
    assert typo.code_description.href.endswith("docs/rules.md#ld002-undefined-reference")
    # ops.loop imports design.loop and suppresses two codes, as check sees it
    ops = client.diagnostics[uri(folder / "ops.loop")]
    proc = subprocess_run("check", "-f", "json", "ops.loop", cwd=folder)
    assert sorted((d.code, d.range.start.line) for d in ops) == sorted(
        (f["code"], f["line"] - 1) for f in json.loads(proc.stdout) if f["file"] == "ops.loop")
    assert not {"LD107", "LD108"} & {d.code for d in ops}


async def test_utf16_columns_after_emoji_and_cjk(client: LanguageClient, folder: Path):
    (typo,) = [d for d in client.diagnostics[uri(folder / "design.loop")] if d.code == "LD002"]
    assert typo.range.start == pos(DESIGN, "consol\n")  # after CJK text and an emoji
    assert typo.range.end == pos(DESIGN, "consol\n", offset=len("consol"))
    result = await client.text_document_hover_async(lsp.HoverParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri(folder / "design.loop")),
        position=pos(DESIGN, "drafter  drafter", offset=2)))
    assert result is not None and "`support.drafter`" in result.contents.value
    assert result.range.start == pos(DESIGN, "drafter  drafter")


async def test_hover_on_a_node_a_reference_a_loop_and_a_code(client: LanguageClient,
                                                            folder: Path):
    doc = lsp.TextDocumentIdentifier(uri=uri(folder / "design.loop"))
    on_kb = await client.text_document_hover_async(lsp.HoverParams(
        text_document=doc, position=pos(DESIGN, "kb ->")))
    assert on_kb is not None
    text = on_kb.contents.value
    assert "**context** `support.kb`" in text and "`retriever` → `context`" in text
    assert "loops: `support.answer`" in text
    on_loop = await client.text_document_hover_async(lsp.HoverParams(
        text_document=doc, position=pos(DESIGN, "answer")))
    assert "closes: yes; learns: yes" in on_loop.contents.value
    on_code = await client.text_document_hover_async(lsp.HoverParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri(folder / "ops.loop")),
        position=pos(OTHER, "LD107")))
    assert "LD107 unused-context" in on_code.contents.value


async def test_definition_of_dotted_references_kinds_and_imports(client: LanguageClient,
                                                                 folder: Path):
    ops = lsp.TextDocumentIdentifier(uri=uri(folder / "ops.loop"))
    found = await client.text_document_definition_async(lsp.DefinitionParams(
        text_document=ops, position=pos(OTHER, "drafter")))
    assert found.uri == uri(folder / "design.loop")
    assert found.range.start == pos(DESIGN, "drafter")
    kind = await client.text_document_definition_async(lsp.DefinitionParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri(folder / "design.loop")),
        position=pos(DESIGN, "retriever kb")))
    assert kind.range.start == pos(DESIGN, "retriever")
    imported = await client.text_document_definition_async(lsp.DefinitionParams(
        text_document=ops, position=pos(OTHER, "design.loop")))
    assert imported.uri == uri(folder / "design.loop")


async def test_references_of_a_node(client: LanguageClient, folder: Path):
    refs = await client.text_document_references_async(lsp.ReferenceParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri(folder / "design.loop")),
        position=pos(DESIGN, "drafter"), context=lsp.ReferenceContext(include_declaration=False)))
    # kb -> drafter, drafter -> consol (whose other end is unresolved), the loop, ops' flow
    assert sorted((r.uri.rsplit("/", 1)[1], r.range.start.line) for r in refs) == [
        ("design.loop", 8), ("design.loop", 8), ("design.loop", 9), ("ops.loop", 4)]


async def test_rename_edits_every_file_and_refuses_bad_names(client: LanguageClient,
                                                            folder: Path):
    params = lsp.RenameParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri(folder / "design.loop")),
        position=pos(DESIGN, "drafter"), new_name="writer")
    edit = await client.text_document_rename_async(params)
    by_file = {u.rsplit("/", 1)[1]: [e.range.start for e in edits]
               for u, edits in edit.changes.items()}
    assert sorted(by_file) == ["design.loop", "ops.loop"]
    assert pos(OTHER, "drafter") in by_file["ops.loop"]  # only the node's part of support.drafter
    assert len(by_file["design.loop"]) == 4  # its definition, two flows, and drafter -> consol
    for bad, why in (("console", "has a node 'console' already"), ("2x", "not a valid id"),
                     ("loop", "reserved word")):
        with pytest.raises(Exception, match=why):
            await client.text_document_rename_async(lsp.RenameParams(
                text_document=params.text_document, position=params.position, new_name=bad))


async def test_completion(client: LanguageClient, folder: Path):
    doc = folder / "design.loop"

    async def labels(text: str, line: int) -> set[str]:
        client.text_document_did_change(lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=uri(doc), version=2),
            content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=text)]))
        await published(client, uri(doc))
        lines = text.split("\n")
        result = await client.text_document_completion_async(lsp.CompletionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri(doc)),
            position=lsp.Position(line=line, character=len(lines[line]))))
        return {item.label for item in result.items}

    base = DESIGN.rsplit("}", 1)[0]
    assert {"kb", "drafter", "ops."} <= await labels(base + "  kb -> \n}\n", 10)
    assert {"context", "retriever", "loop"} <= await labels(base + "  \n}\n", 10)
    assert {"owner", "latency_ms"} <= await labels(base + "  model m { \n}\n", 10)
    assert {"LD101", "LD205"} <= await labels(base + "  context c  # loopdsl: ignore[\n}\n", 10)
    # back to the file as it is on disk
    client.text_document_did_change(lsp.DidChangeTextDocumentParams(
        text_document=lsp.VersionedTextDocumentIdentifier(uri=uri(doc), version=3),
        content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=DESIGN)]))
    await published(client, uri(doc))


async def test_symbols_formatting_and_code_actions(client: LanguageClient, folder: Path):
    doc = lsp.TextDocumentIdentifier(uri=uri(folder / "design.loop"))
    symbols = await client.text_document_document_symbol_async(
        lsp.DocumentSymbolParams(text_document=doc))
    (support,) = symbols
    assert support.name == "support"
    assert [c.name for c in support.children] == ["kb", "drafter", "console", "edits",
                                                  "lonely", "界面", "answer"]
    edits = await client.text_document_formatting_async(lsp.DocumentFormattingParams(
        text_document=doc, options=lsp.FormattingOptions(tab_size=2, insert_spaces=True)))
    assert "loop answer {\n    kb -> drafter" in edits[0].new_text
    diagnostics = client.diagnostics[uri(folder / "design.loop")]
    (typo,) = [d for d in diagnostics if d.code == "LD002"]
    actions = await client.text_document_code_action_async(lsp.CodeActionParams(
        text_document=doc, range=typo.range, context=lsp.CodeActionContext(diagnostics=[typo])))
    fix, suppress = actions
    assert fix.title == "Change to 'console'"
    (change,) = fix.edit.changes[uri(folder / "design.loop")]
    assert (change.range, change.new_text) == (typo.range, "console")
    (line,) = suppress.edit.changes[uri(folder / "design.loop")]
    end = pos(DESIGN, "consol\n", offset=len("consol"))  # after the emoji: UTF-16 units
    assert (line.range.start, line.range.end, line.new_text) == (
        end, end, "  # loopdsl: ignore[LD002]")


async def test_without_the_extra_lsp_is_a_one_line_error(tmp_path, monkeypatch):
    import builtins

    from click.testing import CliRunner

    from loopdsl.cli import cli

    real_import = builtins.__import__

    def no_pygls(name, *args, **kwargs):
        if name.startswith(("pygls", "lsprotocol")):
            raise ImportError(f"No module named '{name}'", name=name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pygls)
    monkeypatch.delitem(sys.modules, "loopdsl.lsp.server", raising=False)
    result = CliRunner().invoke(cli, ["lsp"])
    assert result.exit_code == 2
    assert result.stderr == "loopdsl: error: loopdsl lsp needs pygls: pip install " \
                            "'loopdsl[lsp]'\n"


async def change(client: LanguageClient, path: Path, text: str, version: int) -> None:
    client.text_document_did_change(lsp.DidChangeTextDocumentParams(
        text_document=lsp.VersionedTextDocumentIdentifier(uri=uri(path), version=version),
        content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=text)]))


async def test_an_unsaved_import_is_what_importers_see(client: LanguageClient, folder: Path):
    design, ops = folder / "design.loop", folder / "ops.loop"
    await change(client, design, DESIGN.replace("model drafter", "model writer"), 10)
    await published(client, uri(ops))
    codes = {d.code for d in client.diagnostics[uri(ops)]}
    assert "LD002" in codes  # support.drafter is gone from the unsaved design.loop
    assert "drafter" in design.read_text()  # nothing was written
    await change(client, design, DESIGN, 11)
    await published(client, uri(ops))
    assert "LD002" not in {d.code for d in client.diagnostics[uri(ops)]}


async def test_a_syntax_error_while_typing(client: LanguageClient, folder: Path):
    design = folder / "design.loop"
    typing = DESIGN.replace("  loop answer {", "  loop answer { kb -> \n  loop other {")
    await change(client, design, typing, 12)
    await published(client, uri(design))
    assert "LD001" in {d.code for d in client.diagnostics[uri(design)]}
    hover = await client.text_document_hover_async(lsp.HoverParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri(design)),
        position=pos(typing, "kb \"")))
    assert hover is not None and "`support.kb`" in hover.contents.value
    symbols = await client.text_document_document_symbol_async(
        lsp.DocumentSymbolParams(text_document=lsp.TextDocumentIdentifier(uri=uri(design))))
    assert symbols and symbols[0].name == "support"
    await change(client, design, DESIGN, 13)
    await published(client, uri(design))
    assert "LD001" not in {d.code for d in client.diagnostics[uri(design)]}


async def test_the_bundled_example(client: LanguageClient, tmp_path_factory):
    import shutil

    from conftest import EXAMPLES

    work = tmp_path_factory.mktemp("example") / "support"
    shutil.copytree(EXAMPLES / "support-assistant", work)
    design = work / "support.loop"
    text = design.read_text()
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(
        text_document=lsp.TextDocumentItem(uri=uri(design), language_id="loopdsl", version=1,
                                           text=text)))
    await published(client, uri(design))
    assert list(client.diagnostics[uri(design)]) == []  # a clean example stays clean
    doc = lsp.TextDocumentIdentifier(uri=uri(design))
    kind = await client.text_document_definition_async(lsp.DefinitionParams(
        text_document=doc, position=pos(text, "retriever kb")))
    assert kind.uri == uri(work / "platform" / "kinds.loop")  # into the imported file
    hover = await client.text_document_hover_async(lsp.HoverParams(
        text_document=doc, position=pos(text, "drafter \"")))
    assert "`llm` → `model`" in hover.contents.value and "loops:" in hover.contents.value
    symbols = await client.text_document_document_symbol_async(
        lsp.DocumentSymbolParams(text_document=doc))
    assert [s.name for s in symbols] == ["support"]
    client.text_document_did_close(lsp.DidCloseTextDocumentParams(text_document=doc))
