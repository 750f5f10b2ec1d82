"""`loopdsl lsp`: the Language Server Protocol over stdin/stdout, built on
pygls. Every answer comes from ``lsp.analysis``; this module only
speaks the protocol: URIs, UTF-16 positions, and the shapes of its replies.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException, JsonRpcServerNotInitialized
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.uris import from_fs_path, to_fs_path

from loopdsl import __version__
from loopdsl.lsp.analysis import Analysis, Symbol, suppression_edit
from loopdsl.model import Diagnostic, Severity, Span
from loopdsl.vocabulary import ROLES, TYPED, reserved_words

RULES_DOC = "https://github.com/loopdsl/loopdsl/blob/main/docs/rules.md"
_SEVERITY = {Severity.ERROR: lsp.DiagnosticSeverity.Error,
             Severity.WARNING: lsp.DiagnosticSeverity.Warning,
             Severity.INFO: lsp.DiagnosticSeverity.Information}


class Refused(JsonRpcException):
    """A request the server declines, with the reason in words (the protocol's
    RequestFailed): a rename to a taken name, say. Not a failure of the server:
    no traceback in the reply, none on stderr."""

    CODE = -32803


def _not_a_refusal(record: logging.LogRecord) -> bool:
    return not (record.exc_info and isinstance(record.exc_info[1], Refused))


logging.getLogger("pygls.protocol.json_rpc").addFilter(_not_a_refusal)


class _Protocol(LanguageServerProtocol):
    """pygls's protocol, answering requests that come before `initialize`
    with the protocol's ServerNotInitialized (-32002)."""

    ready = False

    def _handle_request(self, msg_id: Any, method_name: str, params: Any) -> None:
        if method_name == lsp.INITIALIZE:
            self.ready = True
        elif not self.ready:
            self._send_response(msg_id, None, JsonRpcServerNotInitialized(
                "the client has not sent `initialize` yet").to_response_error())
            return
        super()._handle_request(msg_id, method_name, params)


class LoopServer(LanguageServer):
    """The server, with the analysis of the last change of each document."""

    def __init__(self) -> None:
        super().__init__("loopdsl", __version__, protocol_cls=_Protocol)
        self.analyses: dict[str, Analysis] = {}
        self.parsed: dict[str, Analysis] = {}  # the last analysis without a syntax error
        self.edits = 0  # changes to the open documents, counted

    def overlay(self) -> dict[str, str]:
        """The open documents' texts, by real path: read instead of the disk."""
        out = {}
        for uri, doc in self.workspace.text_documents.items():
            path = to_fs_path(uri)
            if path is not None:
                out[os.path.realpath(path)] = doc.source
        return out

    def analysis(self, uri: str) -> Analysis | None:
        """What answers requests about a document: its last analysis (made now
        if there is none yet) or, while the text does not parse (mid-typing),
        the last one that did."""
        if uri not in self.analyses:
            path = to_fs_path(uri)
            if path is None:
                return None
            self.analyses[uri] = Analysis(Path(path), self.overlay())
        current = self.analyses[uri]
        if any(d.code == "LD001" for d in current.here()):
            return self.parsed.get(uri, current)
        return current


server = LoopServer()


# --- positions ------------------------------------------------------------------------------


def _utf16(line: str, column: int) -> int:
    """A 1-based code-point column as the protocol's 0-based UTF-16 offset."""
    return len(line[: column - 1].encode("utf-16-le")) // 2


def _column(line: str, character: int) -> int:
    """The protocol's 0-based UTF-16 offset as a 1-based code-point column."""
    units = 0
    for i, ch in enumerate(line):
        if units >= character:
            return i + 1
        units += 2 if ord(ch) > 0xFFFF else 1
    return len(line) + 1


def _range(analysis: Analysis, span: Span) -> lsp.Range:
    lines = analysis.text(span.file).split("\n")

    def line_of(n: int) -> str:
        return lines[n - 1] if 0 < n <= len(lines) else ""

    return lsp.Range(
        start=lsp.Position(line=span.line - 1, character=_utf16(line_of(span.line), span.column)),
        end=lsp.Position(line=span.end_line - 1,
                         character=_utf16(line_of(span.end_line), span.end_column)))


def _location(analysis: Analysis, span: Span) -> lsp.Location:
    return lsp.Location(uri=from_fs_path(str(analysis.absolute(span.file))) or "",
                        range=_range(analysis, span))


def _symbol_at(analysis: Analysis, position: lsp.Position) -> Symbol | None:
    lines = analysis.text().split("\n")
    line = lines[position.line] if position.line < len(lines) else ""
    return analysis.symbol_at(position.line + 1, _column(line, position.character))


# --- diagnostics ------------------------------------------------------------------------------


def _diagnostic(analysis: Analysis, d: Diagnostic) -> lsp.Diagnostic:
    rule = analysis.registry.lookup(d.code)
    anchor = f"{d.code.lower()}-{d.name}"
    return lsp.Diagnostic(
        range=_range(analysis, d.span), severity=_SEVERITY[d.severity], code=d.code,
        code_description=lsp.CodeDescription(href=f"{RULES_DOC}#{anchor}")
        if rule is not None and rule.origin == "builtin" else None,
        source="loopdsl", message=d.message + (f"\n{d.help}" if d.help and d.help not in
                                                d.message else ""),
        related_information=[lsp.DiagnosticRelatedInformation(
            location=_location(analysis, r.span), message=r.message) for r in d.related]
        or None,
        data={"help": d.help, "name": d.name})


DEBOUNCE = 0.05  # seconds: a burst of keystrokes is linted once, after the last


def _publish(ls: LoopServer, uri: str, analysis: Analysis) -> None:
    ls.analyses[uri] = analysis
    if not any(d.code == "LD001" for d in analysis.here()):
        ls.parsed[uri] = analysis
    ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(
        uri=uri, diagnostics=[_diagnostic(analysis, d) for d in analysis.here()]))


async def refresh(ls: LoopServer, changed: str) -> None:
    """Lint the changed document, and the other open ones (their imports may be
    the one that changed), off the request loop: hover and completion answer
    meanwhile from the last analysis, and a newer change makes this one's
    results stale, so they are dropped."""
    ls.edits += 1
    edit = ls.edits
    await asyncio.sleep(DEBOUNCE)
    uris = [changed, *(u for u in ls.workspace.text_documents if u != changed)]
    for uri in uris:
        if ls.edits != edit:
            return  # a newer change will lint again
        path = to_fs_path(uri)
        if path is None:
            continue
        analysis = await asyncio.get_running_loop().run_in_executor(
            ls.thread_pool, Analysis, Path(path), ls.overlay())
        if ls.edits == edit and uri in ls.workspace.text_documents:
            _publish(ls, uri, analysis)


@server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
async def did_open(ls: LoopServer, params: lsp.DidOpenTextDocumentParams) -> None:
    await refresh(ls, params.text_document.uri)


@server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
async def did_change(ls: LoopServer, params: lsp.DidChangeTextDocumentParams) -> None:
    await refresh(ls, params.text_document.uri)


@server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
async def did_save(ls: LoopServer, params: lsp.DidSaveTextDocumentParams) -> None:
    await refresh(ls, params.text_document.uri)


# Files that change the findings of every open document: configurations and
# the team's rule files. Clients that can are asked to report their changes.
WATCHED = ("**/loopdsl.toml", "**/pyproject.toml", "**/*.toml")


@server.feature(lsp.INITIALIZED)
async def initialized(ls: LoopServer, params: lsp.InitializedParams) -> None:
    watching = ls.client_capabilities.workspace and \
        ls.client_capabilities.workspace.did_change_watched_files
    if not (watching and watching.dynamic_registration):
        return  # such a client's next change of a document picks the settings up
    try:
        await ls.client_register_capability_async(lsp.RegistrationParams(registrations=[
            lsp.Registration(
                id="loopdsl-settings", method=lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                register_options=lsp.DidChangeWatchedFilesRegistrationOptions(
                    watchers=[lsp.FileSystemWatcher(glob_pattern=g) for g in WATCHED]))]))
    except Exception as e:  # a client that says it can and then refuses
        ls.window_log_message(lsp.LogMessageParams(
            type=lsp.MessageType.Info, message=f"loopdsl: no file watching: {e}"))


@server.feature(lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)
async def did_change_watched_files(ls: LoopServer,
                                   params: lsp.DidChangeWatchedFilesParams) -> None:
    """A configuration or rule file changed: every open document is linted again."""
    if any(change.uri.endswith(".toml") for change in params.changes):
        first = next(iter(ls.workspace.text_documents), None)
        if first is not None:
            await refresh(ls, first)


@server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: LoopServer, params: lsp.DidCloseTextDocumentParams) -> None:
    ls.analyses.pop(params.text_document.uri, None)
    ls.parsed.pop(params.text_document.uri, None)


# --- hover, definition, references, rename -------------------------------------------------------


@server.feature(lsp.TEXT_DOCUMENT_HOVER)
def hover(ls: LoopServer, params: lsp.HoverParams) -> lsp.Hover | None:
    analysis = ls.analysis(params.text_document.uri)
    sym = _symbol_at(analysis, params.position) if analysis else None
    text = analysis.hover(sym) if analysis and sym else None
    if analysis is None or sym is None or text is None:
        return None
    return lsp.Hover(contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=text),
                     range=_range(analysis, sym.span))


_IMPORT = re.compile(r'^\s*import\s+"([^"]*)"')


@server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
def definition(ls: LoopServer, params: lsp.DefinitionParams) -> lsp.Location | None:
    analysis = ls.analysis(params.text_document.uri)
    if analysis is None:
        return None
    lines = analysis.text().split("\n")
    line = lines[params.position.line] if params.position.line < len(lines) else ""
    m = _IMPORT.match(line)
    if m:  # an import path: the file it names
        target = (analysis.path.parent / m.group(1)).resolve()
        if target.is_file():
            return lsp.Location(uri=from_fs_path(str(target)) or "", range=lsp.Range(
                start=lsp.Position(line=0, character=0), end=lsp.Position(line=0, character=0)))
        return None
    sym = _symbol_at(analysis, params.position)
    target_sym = analysis.definition(sym) if sym else None
    return _location(analysis, target_sym.span) if target_sym else None


@server.feature(lsp.TEXT_DOCUMENT_REFERENCES)
def references(ls: LoopServer, params: lsp.ReferenceParams) -> list[lsp.Location] | None:
    analysis = ls.analysis(params.text_document.uri)
    sym = _symbol_at(analysis, params.position) if analysis else None
    if analysis is None or sym is None:
        return None
    found = analysis.references(sym, definitions=params.context.include_declaration)
    return [_location(analysis, s.span) for s in found]


@server.feature(lsp.TEXT_DOCUMENT_RENAME)
def rename(ls: LoopServer, params: lsp.RenameParams) -> lsp.WorkspaceEdit | None:
    analysis = ls.analysis(params.text_document.uri)
    sym = _symbol_at(analysis, params.position) if analysis else None
    if analysis is None or sym is None:
        return None
    problem = analysis.rename_problem(sym, params.new_name)
    if problem is not None:
        raise Refused(problem)
    changes: dict[str, list[lsp.TextEdit]] = {}
    for s in analysis.references(sym, definitions=True):
        location = _location(analysis, s.span)
        changes.setdefault(location.uri, []).append(
            lsp.TextEdit(range=location.range, new_text=params.new_name))
    return lsp.WorkspaceEdit(changes=changes)


# --- symbols, formatting, completion, code actions -------------------------------------------


@server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
def document_symbols(ls: LoopServer,
                     params: lsp.DocumentSymbolParams) -> list[lsp.DocumentSymbol] | None:
    analysis = ls.analysis(params.text_document.uri)
    if analysis is None:
        return None
    out = []
    for system in analysis.workspace.systems:
        if system.file != analysis.file:
            continue
        children = [lsp.DocumentSymbol(
            name=n.id, detail=f"{n.kind}: {n.label}", kind=lsp.SymbolKind.Variable,
            range=_range(analysis, n.span), selection_range=_range(analysis, n.span))
            for n in system.nodes]
        children += [lsp.DocumentSymbol(
            name=lp.id, detail=f"loop: {lp.label}", kind=lsp.SymbolKind.Event,
            range=_range(analysis, lp.span), selection_range=_range(analysis, lp.span))
            for lp in system.loops]
        out.append(lsp.DocumentSymbol(
            name=system.id, detail=system.label, kind=lsp.SymbolKind.Module,
            range=_range(analysis, system.span), selection_range=_range(analysis, system.span),
            children=children))
    return out


@server.feature(lsp.TEXT_DOCUMENT_FORMATTING)
def formatting(ls: LoopServer, params: lsp.DocumentFormattingParams) -> list[lsp.TextEdit]:
    from loopdsl.formatter import FormatError, format_text

    doc = ls.workspace.get_text_document(params.text_document.uri)
    try:
        formatted = format_text(doc.source)
    except FormatError:
        return []  # a document that does not parse is left as it is
    if formatted == doc.source:
        return []
    end = lsp.Position(line=len(doc.lines), character=0)
    return [lsp.TextEdit(range=lsp.Range(start=lsp.Position(line=0, character=0), end=end),
                         new_text=formatted)]


@server.feature(lsp.TEXT_DOCUMENT_COMPLETION,
                lsp.CompletionOptions(trigger_characters=[".", "[", ">", " "]))
def completion(ls: LoopServer, params: lsp.CompletionParams) -> lsp.CompletionList:
    doc = ls.workspace.get_text_document(params.text_document.uri)
    line = doc.lines[params.position.line] if params.position.line < len(doc.lines) else ""
    before = line[: _column(line, params.position.character) - 1]
    analysis = ls.analysis(params.text_document.uri)
    items: list[lsp.CompletionItem] = []
    if analysis is None:
        return lsp.CompletionList(is_incomplete=False, items=items)
    K = lsp.CompletionItemKind
    if re.search(r"loopdsl:\s*ignore(-file)?\s*\[[^\]]*$", before):
        items = [lsp.CompletionItem(label=r.code, kind=K.EnumMember, detail=r.name,
                                    documentation=r.summary)
                 for r in analysis.registry.rules if r.spec.status != "removed"]
    elif m := re.search(r"(\w+)\.(\w*)$", before):
        items = [lsp.CompletionItem(label=n.id, kind=K.Variable, detail=f"{n.kind}: {n.label}")
                 for n in analysis.wide.nodes() if n.system == m.group(1)]
    elif re.search(r"\{[^}]*$", before) and not re.search(r"^\s*(system|loop)\b", before):
        items = [lsp.CompletionItem(label=k, kind=K.Property, insert_text=f"{k}: ")
                 for k in TYPED]
    else:
        system = analysis.system_at(params.position.line + 1)
        items = [lsp.CompletionItem(label=n.id, kind=K.Variable, detail=f"{n.kind}: {n.label}")
                 for n in analysis.workspace.nodes() if n.system == system]
        items += [lsp.CompletionItem(label=f"{s.id}.", kind=K.Module, detail=s.label)
                  for s in analysis.wide.systems if s.id != system]
        if re.fullmatch(r"\s*\w*", before):  # a statement begins: kinds and keywords too
            items += [lsp.CompletionItem(label=k, kind=K.Class) for k in
                      [*ROLES, *(k.name for k in analysis.workspace.kinds)]]
            items += [lsp.CompletionItem(label=w, kind=K.Keyword)
                      for w in sorted(reserved_words() - {"true", "false"})]
    return lsp.CompletionList(is_incomplete=False, items=items)


@server.feature(lsp.TEXT_DOCUMENT_CODE_ACTION)
def code_actions(ls: LoopServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
    uri = params.text_document.uri
    doc = ls.workspace.get_text_document(uri)
    out = []
    for diag in params.context.diagnostics:
        if diag.source != "loopdsl" or not isinstance(diag.code, str):
            continue
        data: Any = diag.data if isinstance(diag.data, dict) else {}
        hint = re.search(r"did you mean '([^']+)'\?", str(data.get("help") or diag.message))
        if diag.code in ("LD002", "LD004") and hint:
            out.append(lsp.CodeAction(
                title=f"Change to '{hint.group(1)}'", kind=lsp.CodeActionKind.QuickFix,
                diagnostics=[diag], is_preferred=True,
                edit=lsp.WorkspaceEdit(changes={uri: [
                    lsp.TextEdit(range=diag.range, new_text=hint.group(1))]})))
        if diag.code == "LD001":
            continue  # nothing suppresses a syntax error
        number = diag.range.start.line
        source = doc.source.replace("\r\n", "\n").replace("\r", "\n")
        edit = suppression_edit(source, number, diag.code)
        if edit is None:
            continue  # the line ends inside a string: no comment can go there
        first, last, new_text = edit
        text = source.split("\n")[number]
        out.append(lsp.CodeAction(
            title=f"Suppress {diag.code} on this line", kind=lsp.CodeActionKind.QuickFix,
            diagnostics=[diag], edit=lsp.WorkspaceEdit(changes={uri: [lsp.TextEdit(
                range=lsp.Range(start=lsp.Position(line=number, character=_utf16(text, first + 1)),
                                end=lsp.Position(line=number, character=_utf16(text, last + 1))),
                new_text=new_text)]})))
    return out


def main() -> None:
    """Serve on stdin and stdout until the client says exit."""
    server.start_io()
