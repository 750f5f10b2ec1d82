"""An editor's document -> what the language server answers:
check's findings for it, and an index of the names the workspace defines
and refers to, for hover, go to definition, references, rename and
completion. Pure of the protocol: positions here are loopdsl's (1-based
lines, code-point columns); ``lsp.server`` converts them to UTF-16.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from loopdsl.model import Diagnostic, Node, Span, Workspace
from loopdsl.vocabulary import ROLES, identifier, reserved_words

_CODES = re.compile(r"#\s*loopdsl:\s*ignore(?:-file)?\s*\[([^\]]*)\]", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Symbol:
    """A name at a place: where it is defined, or where it is used."""

    kind: str  # node, kind, system, loop, code
    key: str  # node: system.node; kind: its name; system: id; loop: system.loop; code: LD101
    span: Span  # the name's own characters (for a dotted reference, the node's part)
    definition: bool = False


class Analysis:
    """The workspace of one file as `check FILE` loads it, with open documents'
    unsaved texts (``overlay``: real path -> text) instead of the disk."""

    def __init__(self, path: Path, overlay: Mapping[str, str]) -> None:
        from loopdsl.app.workspace import check, runs
        from loopdsl.paths import display_path

        self.cwd = Path.cwd()
        self.path = path
        self.overlay = overlay
        # As `check FILE` would: the configuration above the file, read afresh,
        # so an edited loopdsl.toml or team rule counts from the next analysis.
        checked = check(runs([str(path)]), overlay=overlay)
        self.config, self.root = checked.runs[0].config, checked.runs[0].root
        self.workspace: Workspace = checked.workspace
        self.registry = checked.registry
        self.findings: list[Diagnostic] = checked.findings
        self.file = display_path(path, self.cwd)
        self.symbols = _index(self.workspace, self.registry)
        self.nodes = {n.qualified_id: n for n in self.workspace.nodes()}

    def absolute(self, file: str) -> Path:
        """A display path of the workspace as an absolute path."""
        return Path(os.path.normpath(self.cwd / file))

    def here(self) -> list[Diagnostic]:
        """The findings located in this document."""
        return [d for d in self.findings if d.span.file == self.file]

    def text(self, file: str | None = None) -> str:
        source = self.workspace.source(file or self.file) or self.wide.source(file or self.file)
        return source.text if source is not None else ""

    @functools.cached_property
    def wide(self) -> Workspace:
        """Every design under the workspace root: what references and rename
        look through (files that import this one included)."""
        from loopdsl.loader import LoadError, load

        try:
            return load([self.root], root=self.root, exclude=self.config.exclude,
                        overlay=self.overlay)
        except LoadError:
            return self.workspace

    @functools.cached_property
    def wide_symbols(self) -> list[Symbol]:
        return _index(self.wide, self.registry)

    def symbol_at(self, line: int, column: int) -> Symbol | None:
        """The name under the cursor in this document (1-based line and column)."""
        for sym in self.symbols:
            s = sym.span
            if s.file == self.file and s.line == line and s.column <= column <= s.end_column:
                return sym
        return None

    def definition(self, sym: Symbol) -> Symbol | None:
        return next((s for s in self.symbols if s.definition and s.kind == sym.kind
                     and s.key == sym.key), None)

    def references(self, sym: Symbol, *, definitions: bool = False) -> list[Symbol]:
        """Every place in the workspace root naming the same node or kind."""
        found = {(s.span.file, s.span.line, s.span.column): s
                 for s in [*self.symbols, *self.wide_symbols]
                 if s.kind == sym.kind and s.key == sym.key
                 and (definitions or not s.definition)}
        return [found[k] for k in sorted(found)]

    def system_at(self, line: int) -> str | None:
        """The system whose body holds ``line`` of this document."""
        above = [s for s in self.workspace.systems
                 if s.file == self.file and s.span.line <= line]
        return max(above, key=lambda s: s.span.line).id if above else None

    # --- rename -------------------------------------------------------------------------

    def rename_problem(self, sym: Symbol, new: str) -> str | None:
        """Why ``new`` cannot be ``sym``'s name, if it cannot."""
        if not identifier().fullmatch(new):
            return f"'{new}' is not a valid id: a letter or '_', then letters, digits or '_'"
        if new in reserved_words():
            return f"'{new}' is a reserved word"
        if sym.kind == "node":
            system = sym.key.split(".", 1)[0]
            if f"{system}.{new}" in self.nodes:
                return f"system '{system}' has a node '{new}' already"
        elif sym.kind == "kind":
            if new in ROLES or any(k.name == new for k in self.workspace.kinds):
                return f"kind '{new}' exists already"
        else:
            return "only nodes and kinds can be renamed"
        return None

    # --- hover ----------------------------------------------------------------------------

    def hover(self, sym: Symbol) -> str | None:
        """Markdown about the name under the cursor."""
        if sym.kind == "node":
            node = self.nodes.get(sym.key)
            return _node_hover(self, node) if node is not None else None
        if sym.kind == "loop":
            return _loop_hover(self, sym.key)
        if sym.kind == "kind":
            chain = _kind_chain(self.workspace, sym.key)
            return f"**kind** `{sym.key}`: " + " → ".join(f"`{k}`" for k in chain)
        if sym.kind == "code":
            rule = self.registry.lookup(sym.key)
            if rule is None:
                return f"`{sym.key}`: not a rule code or name"
            return f"**{rule.code} {rule.name}** ({rule.default_severity}): {rule.summary}."
        if sym.kind == "system":
            system = next(s for s in self.workspace.systems if s.id == sym.key)
            owner = system.attributes.get("owner")
            return (f"**system** `{system.id}` — {system.label}"
                    + (f"\n\nowner: {owner}" if owner else ""))
        return None


def _kind_chain(workspace: Workspace, kind: str) -> list[str]:
    kinds = {k.name: k for k in workspace.kinds}
    chain = [kind]
    while chain[-1] in kinds and kinds[chain[-1]].base not in chain:
        chain.append(kinds[chain[-1]].base)
    return chain


def _node_hover(analysis: Analysis, node: Node) -> str:
    role = node.role.value if node.role is not None else "unknown role"
    lines = [f"**{role}** `{node.qualified_id}` — {node.label}"]
    chain = _kind_chain(analysis.workspace, node.kind)
    if len(chain) > 1:
        lines.append("kind: " + " → ".join(f"`{k}`" for k in chain))
    if node.attributes:
        lines.append("\n".join(f"- `{k}`: {v!r}" for k, v in node.attributes.items()))
    holding = [f"`{lp.system}.{lp.id}`" for lp in analysis.workspace.loops()
               if any(node.qualified_id in key for key in lp.flows)]
    if holding:
        lines.append("loops: " + ", ".join(holding))
    return "\n\n".join(lines)


def _loop_hover(analysis: Analysis, key: str) -> str | None:
    from loopdsl.loops import loop_statuses

    status = loop_statuses(analysis.workspace).get(key)
    loop = next((lp for lp in analysis.workspace.loops() if f"{lp.system}.{lp.id}" == key),
                None)
    if loop is None or status is None:
        return None
    from loopdsl.printable import plain

    system = key.split(".", 1)[0]
    cycle = " → ".join(q.split(".", 1)[1] if q.startswith(system + ".") else q
                       for q in status.cycle)
    budget = (f" against a budget of {plain(status.budget_ms)} ms"
              + (" (over)" if status.over_budget else "")) if status.budget_ms is not None else ""
    return "\n\n".join([
        f"**loop** `{key}` — {loop.label}",
        f"cycle: {cycle}" if cycle else "no cycle",
        f"closes: {'yes' if status.closes else 'no'}; learns: {'yes' if status.learns else 'no'}"
        + ("; bounded by `max_iterations`" if status.bounded else ""),
        f"latency per turn: {plain(status.latency_ms)} ms{budget}",
    ])


# --- the index -----------------------------------------------------------------------------


def _part(span: Span, name: str) -> Span:
    """The last ``name`` characters of a one-line span (the node in `system.node`)."""
    if span.line != span.end_line:
        return span
    return replace(span, column=span.end_column - len(name))


def _index(workspace: Workspace, registry: object) -> list[Symbol]:
    out: list[Symbol] = []
    custom = {k.name for k in workspace.kinds}
    for kind in workspace.kinds:
        out.append(Symbol("kind", kind.name, kind.span, True))
    for system in workspace.systems:
        out.append(Symbol("system", system.id, system.span, True))
        for node in system.nodes:
            out.append(Symbol("node", node.qualified_id, node.span, True))
            if node.kind in custom:
                out.append(Symbol("kind", node.kind, node.kind_span))
        for lp in system.loops:
            out.append(Symbol("loop", f"{system.id}.{lp.id}", lp.span, True))
    for ref in workspace.references:
        out.append(Symbol("node", ref.node, _part(ref.span, ref.node.split(".", 1)[1])))
    for f in workspace.files:
        for comment in f.comments:
            m = _CODES.search(comment.text)
            if not m:
                continue
            start = comment.span.column + m.start(1)
            for part in re.finditer(r"[^,\s]+", m.group(1)):
                column = start + part.start()
                out.append(Symbol("code", part.group(), replace(
                    comment.span, column=column, end_column=column + len(part.group()))))
    return out


# --- where a suppression comment can go ---------------------------------------------------

_DIRECTIVE = re.compile(r"#\s*loopdsl:\s*ignore\s*\[([^\]]*)\]", re.IGNORECASE)


@functools.cache
def _strings_and_comments() -> re.Pattern[str]:
    """Strings and comments, as the grammar spells them, and anything else a
    piece at a time: a scan that tells code from text the way the lexer does."""
    from loopdsl.vocabulary import terminal

    return re.compile(f"(?P<string>{terminal('STRING')})|(?P<comment>{terminal('COMMENT')})"
                      r'|[^"#]+|["#]')


def suppression_edit(text: str, line: int, code: str) -> tuple[int, int, str] | None:
    """How to suppress ``code`` on ``line`` (0-based) of ``text``: the columns
    (0-based, code points) to replace and the new text, adding the code to a
    directive comment already on the line or a directive at its end; None
    when the line ends inside a string, where no comment can go."""
    lines = text.split("\n")
    if line >= len(lines):
        return None
    start = sum(len(x) + 1 for x in lines[:line])
    end = start + len(lines[line])
    for m in _strings_and_comments().finditer(text):
        if m.start() > end:
            break
        if m.lastgroup == "string" and m.start() < end < m.end():
            return None  # the line ends inside a (multi-line) string
        if m.lastgroup == "comment" and start <= m.start() <= end:
            directive = _DIRECTIVE.search(m.group())
            if directive:
                at = m.start() - start
                codes = directive.group(1).rstrip()
                joined = f"{codes}, {code}" if codes.strip() else code
                return (at + directive.start(1), at + directive.end(1), joined)
    return (len(lines[line]), len(lines[line]), f"  # loopdsl: ignore[{code}]")
