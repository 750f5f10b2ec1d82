"""Syntax trees of a workspace's files -> one resolved ``Workspace``.

Pure: the files are already read and parsed (``loopdsl.load`` does that).
Kinds are resolved to roles, references to qualified node ids, flows are
deduplicated by (source, target), and every structural problem found on the
way (LD002-LD006) becomes a diagnostic rather than an exception.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lark import Token

from loopdsl.diagnostics import did_you_mean, structural
from loopdsl.model import (
    Comment,
    Diagnostic,
    Flow,
    FlowStatement,
    Kind,
    Loop,
    Node,
    Reference,
    Related,
    Role,
    SourceFile,
    Span,
    System,
    Workspace,
    trusted,
)
from loopdsl.syntax import ast
from loopdsl.vocabulary import INHERITED, TYPED, describe_value


@dataclass(slots=True)
class ParsedSource:
    """One file as the loader hands it over."""

    path: str
    text: str
    tree: ast.ParsedFile
    imports: list[str] = field(default_factory=list)  # paths of the files it imported


def span_of(path: str, start: Token, end: Token | None = None) -> Span:
    """The span from the start of ``start`` to the end of ``end`` (or ``start``)."""
    (line, column), (end_line, end_column) = ast.start_of(start), ast.end_of(end or start)
    return Span(path, line, column, end_line, end_column)


def resolve(sources: list[ParsedSource], diagnostics: list[Diagnostic]) -> Workspace:
    """Build the workspace; ``diagnostics`` holds what loading found so far.

    The sources' system statements are consumed (each system's are let go
    once it is built); their comments, errors and text are kept."""
    return _Resolver(sources, list(diagnostics)).run()


_ROLES: dict[str, Role] = {r.value: r for r in Role}

# --- the resolver -----------------------------------------------------------


@dataclass(slots=True)
class _FlowAcc:
    """A flow while statements of it are still being found."""

    source: str
    target: str
    system: str
    statements: list[FlowStatement] = field(default_factory=list)


class _Resolver:
    def __init__(self, sources: list[ParsedSource], diagnostics: list[Diagnostic]):
        self.sources = sources
        self.diags = diagnostics
        self.kinds: dict[str, Kind] = {}
        self.kind_decls: dict[str, tuple[ast.KindDecl, str]] = {}
        # system id -> (decl, file); node ids per system
        self.system_decls: dict[str, tuple[ast.SystemDecl, str]] = {}
        self.nodes: dict[str, dict[str, Node]] = {}
        self.flows: dict[tuple[str, str], _FlowAcc] = {}
        # systems with a name that did not resolve, or a node or loop defined twice
        self.incomplete: set[str] = set()
        self.references: list[Reference] = []
        self._node_index: dict[str, list[str]] | None = None
        # (file, name, index in diags) of each LD002/LD004 an unknown name caused
        self.unresolved: list[tuple[str, str, int]] = []

    def run(self) -> Workspace:
        self._collect_kinds()
        self._resolve_kinds()
        self._collect_systems()
        systems = []
        for sid, (decl, path) in self.system_decls.items():
            systems.append(self._build_system(sid, decl, path))
            # The model holds no token: the system's statements can go now, so
            # that the trees of all files and the whole model never coexist.
            decl.body.clear()
        # Flows are attached to their system once every statement is known.
        by_system: dict[str, list[Flow]] = {}
        for acc in self.flows.values():
            first = acc.statements[0]
            by_system.setdefault(acc.system, []).append(trusted(Flow,
                source=acc.source, target=acc.target, system=acc.system,
                label=first.label, attributes=first.attributes,
                attribute_spans=first.attribute_spans, span=first.span,
                statements=acc.statements,
            ))
        systems = [s.model_copy(update={"flows": by_system.get(s.id, [])}) for s in systems]
        files = [
            trusted(SourceFile,
                path=src.path, syntax_error=bool(src.tree.errors), text=src.text,
                comments=[trusted(Comment, text=str(c), span=span_of(src.path, c))
                          for c in src.tree.comments],
            )
            for src in self.sources
        ]
        self._fold_into_failed_imports()
        return trusted(Workspace, files=files, kinds=list(self.kinds.values()),
                       systems=systems, diagnostics=self.diags, references=self.references)

    def _fold_into_failed_imports(self) -> None:
        """Names a file cannot resolve because an import failed (its own or one
        of the files it imports) are listed in that LD005's help instead of
        being reported one by one."""
        failed: dict[str, int] = {}
        for i, d in enumerate(self.diags):
            if d.code == "LD005":
                failed.setdefault(d.span.file, i)
        if not failed or not self.unresolved:
            return
        imports = {src.path: src.imports for src in self.sources}
        blame: dict[str, int | None] = {}

        def blamed(file: str) -> int | None:
            # Depth first through the imports, each file once: linear however deep.
            stack = [(file, iter(imports.get(file, ())))]
            blame[file] = failed.get(file)
            while stack:
                current, rest = stack[-1]
                if blame[current] is not None:
                    stack.pop()
                    if stack:
                        blame[stack[-1][0]] = blame[current]
                    continue
                nxt = next(rest, None)
                if nxt is None:
                    stack.pop()
                elif nxt not in blame:
                    blame[nxt] = failed.get(nxt)
                    stack.append((nxt, iter(imports.get(nxt, ()))))
                elif blame[nxt] is not None:
                    blame[current] = blame[nxt]
            return blame[file]

        names: dict[int, list[str]] = {}
        dropped: set[int] = set()
        for file, name, index in self.unresolved:
            culprit = blame[file] if file in blame else blamed(file)
            if culprit is None:
                continue
            dropped.add(index)
            listed = names.setdefault(culprit, [])
            if name not in listed:
                listed.append(name)
        for culprit, listed in names.items():
            d = self.diags[culprit]
            because = "unresolved because of it: " + ", ".join(listed)
            self.diags[culprit] = d.model_copy(
                update={"help": f"{d.help}; {because}" if d.help else because})
        self.diags = [d for i, d in enumerate(self.diags) if i not in dropped]

    # --- helpers -------------------------------------------------------------

    def report(self, code: str, message: str, span: Span, **kw: Any) -> None:
        self.diags.append(structural(code, message, span, **kw))

    def unknown(self, code: str, message: str, span: Span, hint: str | None,
                element: str, name: str) -> None:
        """An unknown ``name``: the suggestion, if any, is in the message and the help."""
        self.unresolved.append((span.file, name, len(self.diags)))
        self.report(code, f"{message}; {hint}" if hint else message, span, help=hint,
                    element=element)

    def attributes(self, attrs: list[ast.Attr], path: str,
                   owner: str) -> dict[str, Any]:
        """Attribute values and spans as keyword arguments for a model."""
        values: dict[str, Any] = {}
        # Every key written, with a valid value or not: a key whose value is
        # invalid (LD006) still counts as set, and is left out of `attributes`.
        spans: dict[str, Span] = {}
        for attr in attrs:
            key = str(attr.key)
            span = span_of(path, attr.key)
            if key in spans:
                self.report("LD003", f"attribute '{key}' is set twice on {owner}", span,
                            related=[Related(message="first set here", span=spans[key])],
                            help="remove one of them", element=key)
                continue
            spans[key] = span
            value = attr.value.value
            typed = TYPED.get(key)
            if typed and not typed.holds(value):
                hint = None
                if typed.choices:
                    wrong = [v for v in (value if isinstance(value, list) else [value])
                             if isinstance(v, str) and v not in typed.choices]
                    hint = did_you_mean(wrong[0], set(typed.choices)) if wrong else None
                self.report(
                    "LD006",
                    f"'{key}' must be {typed.expected}, not {describe_value(value)}",
                    span_of(path, attr.value.start, attr.value.end),
                    help=hint or f"write `{key}: ` followed by {typed.expected}", element=key,
                )
                continue
            values[key] = value
        return {"attributes": values, "attribute_spans": spans}

    # --- kinds ---------------------------------------------------------------

    def _collect_kinds(self) -> None:
        for src in self.sources:
            for item in src.tree.items:
                if not isinstance(item, ast.KindDecl):
                    continue
                name = str(item.name)
                span = span_of(src.path, item.name)
                if name in _ROLES:
                    self.report("LD003", f"kind '{name}' is a built-in role", span,
                                help="choose another name for the custom kind",
                                element=name)
                    continue
                if name in self.kind_decls:
                    first, fpath = self.kind_decls[name]
                    self.report("LD003", f"kind '{name}' is declared twice", span,
                                related=[Related(message="first declared here",
                                                 span=span_of(fpath, first.name))],
                                element=name)
                    self.attributes(item.attrs, src.path, f"kind '{name}'")  # LD006s
                    continue
                self.kind_decls[name] = (item, src.path)

    def _resolve_kinds(self) -> None:
        roles: dict[str, Role | None] = dict(_ROLES)
        candidates = set(roles) | set(self.kind_decls)
        for name, (decl, path) in self.kind_decls.items():
            chain = [name]
            role: Role | None = None
            current = str(decl.base)
            while True:
                if current in roles:
                    role = roles[current]
                    break
                if current not in self.kind_decls:
                    if len(chain) == 1:  # report once, at the kind that names it
                        self.unknown(
                            "LD004", f"kind '{name}' derives from unknown kind '{current}'",
                            span_of(path, decl.base),
                            did_you_mean(current, candidates - {name}), element=name,
                            name=current,
                        )
                    break
                if current in chain:
                    cycle = [*chain[chain.index(current):], current]
                    if name == min(cycle[:-1], key=lambda k: self._kind_order(k)):
                        self.report(
                            "LD004",
                            f"kind '{name}' never reaches a role: "
                            + " -> ".join(cycle),
                            span_of(path, decl.base),
                            help="derive one kind of the cycle from "
                                 "context, model, interface or feedback",
                            element=name,
                        )
                    break
                chain.append(current)
                current = str(self.kind_decls[current][0].base)
            roles[name] = role
            self.kinds[name] = trusted(Kind,
                name=name, base=str(decl.base), role=role,
                **self.attributes(decl.attrs, path, f"kind '{name}'"),
                span=span_of(path, decl.name),
            )

    def _kind_order(self, name: str) -> tuple[str, int, int]:
        decl, path = self.kind_decls[name]
        return (path, *ast.start_of(decl.name))

    def _inherited(self, kind: str, written: dict[str, Span]) -> dict[str, Any]:
        """The inherited attributes (``INHERITED``) the nearest kind of the chain
        sets with a valid value, for a node that does not set them itself."""
        out: dict[str, Any] = {}
        seen: set[str] = set()
        while kind in self.kinds and kind not in seen:
            seen.add(kind)
            k = self.kinds[kind]
            for key in INHERITED:
                if key not in written and key not in out and key in k.attributes:
                    out[key] = k.attributes[key]
            kind = k.base
        return out

    def role_of(self, kind: str) -> Role | None:
        if kind in _ROLES:
            return _ROLES[kind]
        k = self.kinds.get(kind)
        return k.role if k else None

    # --- systems and nodes ------------------------------------------------------

    def _collect_systems(self) -> None:
        for src in self.sources:
            for item in src.tree.items:
                if not isinstance(item, ast.SystemDecl):
                    continue
                sid = str(item.id)
                if sid in self.system_decls:
                    first, fpath = self.system_decls[sid]
                    self.report("LD003", f"system '{sid}' is defined twice",
                                span_of(src.path, item.id),
                                related=[Related(message="first defined here",
                                                 span=span_of(fpath, first.id))],
                                help="system ids are unique across the workspace",
                                element=sid)
                    continue
                self.system_decls[sid] = (item, src.path)
        for sid, (decl, path) in self.system_decls.items():
            self.nodes[sid] = self._collect_nodes(sid, decl, path)

    def _collect_nodes(self, sid: str, decl: ast.SystemDecl, path: str) -> dict[str, Node]:
        nodes: dict[str, Node] = {}
        kinds = set(_ROLES) | set(self.kind_decls)
        for stmt in decl.body:
            if not isinstance(stmt, ast.NodeDecl):
                continue
            nid, kind = str(stmt.id), str(stmt.kind)
            span = span_of(path, stmt.id)
            if nid in nodes:
                self.report("LD003", f"node '{nid}' is defined twice in system '{sid}'",
                            span, related=[Related(message="first defined here",
                                                   span=nodes[nid].span)],
                            element=f"{sid}.{nid}")
                self.attributes(stmt.attrs, path, f"node '{nid}'")  # its LD006s
                self.incomplete.add(sid)  # which definition the graph means is unknown
                continue
            if kind not in kinds:
                self.unknown("LD004", f"unknown kind '{kind}' for node '{nid}'",
                             span_of(path, stmt.kind), did_you_mean(kind, kinds),
                             element=f"{sid}.{nid}", name=kind)
            role = self.role_of(kind)
            if role is None:  # an unknown kind, or one that never reaches a role
                self.incomplete.add(sid)
            written = self.attributes(stmt.attrs, path, f"node '{nid}'")
            inherited = self._inherited(kind, written["attribute_spans"])
            if inherited:
                written["attributes"] = {**inherited, **written["attributes"]}
            nodes[nid] = trusted(Node,
                id=nid, system=sid, kind=kind, role=role,
                label=stmt.label.text if stmt.label else nid,
                **written, span=span, kind_span=span_of(path, stmt.kind),
            )
        return nodes

    def _build_system(self, sid: str, decl: ast.SystemDecl, path: str) -> System:
        attrs = [s for s in decl.body if isinstance(s, ast.Attr)]
        loops: list[Loop] = []
        seen_loops: dict[str, Span] = {}
        for stmt in decl.body:
            if isinstance(stmt, ast.FlowChain):
                self._flows(stmt, sid, path, None)
            elif isinstance(stmt, ast.LoopDecl):
                loop = self._loop(stmt, sid, path)
                if loop.id in seen_loops:
                    self.report("LD003", f"loop '{loop.id}' is defined twice in system '{sid}'",
                                loop.span, related=[Related(message="first defined here",
                                                            span=seen_loops[loop.id])],
                                element=f"{sid}.{loop.id}")
                    self.incomplete.add(sid)  # its flows are kept, its bound is not
                    continue
                seen_loops[loop.id] = loop.span
                loops.append(loop)
        return trusted(System,
            id=sid, label=decl.label.text if decl.label else sid, file=path,
            **self.attributes(attrs, path, f"system '{sid}'"),
            nodes=list(self.nodes[sid].values()), loops=loops,
            span=span_of(path, decl.id), complete=sid not in self.incomplete,
        )

    def _loop(self, decl: ast.LoopDecl, sid: str, path: str) -> Loop:
        lid = str(decl.id)
        keys: dict[tuple[str, str], None] = {}  # in order, each once
        for stmt in decl.body:
            if isinstance(stmt, ast.FlowChain):
                keys.update(dict.fromkeys(self._flows(stmt, sid, path, lid)))
        attrs = [s for s in decl.body if isinstance(s, ast.Attr)]
        return trusted(Loop,
            id=lid, system=sid, label=decl.label.text if decl.label else lid,
            **self.attributes(attrs, path, f"loop '{lid}'"),
            flows=list(keys), span=span_of(path, decl.id),
        )

    # --- flows -----------------------------------------------------------------

    def _flows(self, chain: ast.FlowChain, sid: str, path: str,
               loop: str | None) -> list[tuple[str, str]]:
        """Record each flow of a chain; the keys of those whose ends resolved."""
        ends = [self._ref(ref, sid, path) for ref in chain.refs]
        # one span per reference, shared by its Reference and the statements
        # it ends (spans are immutable): a chain's inner reference ends two
        spans = [span_of(path, ref.parts[0], ref.parts[-1]) for ref in chain.refs]
        for end, span in zip(ends, spans, strict=True):
            if end is not None:
                self.references.append(Reference(end, span))
        label = chain.label.text if chain.label else None
        attributes = self.attributes(chain.attrs, path, "the flow")
        keys = []
        for i in range(len(chain.refs) - 1):
            source, target = ends[i], ends[i + 1]
            if source is None or target is None:
                continue
            statement = trusted(FlowStatement,
                label=label, **attributes, span=spans[i], target_span=spans[i + 1],
                system=sid, loop=loop,
            )
            key = (source, target)
            acc = self.flows.get(key)
            if acc is None:
                acc = self.flows[key] = _FlowAcc(source, target, sid)
            acc.statements.append(statement)
            keys.append(key)
        return keys

    def _ref(self, ref: ast.Ref, sid: str, path: str) -> str | None:
        """The qualified id a reference names, or None after reporting LD002."""
        qid = self._resolve_ref(ref, sid, path)
        if qid is None:
            self.incomplete.add(sid)
        return qid

    def _systems_with(self) -> dict[str, list[str]]:
        """Node id -> systems declaring it, built on the first unresolved reference
        (once: a scan of every system per bad reference would be quadratic)."""
        if self._node_index is None:
            self._node_index = {}
            for system, nodes in self.nodes.items():
                for nid in nodes:
                    self._node_index.setdefault(nid, []).append(system)
        return self._node_index

    def _resolve_ref(self, ref: ast.Ref, sid: str, path: str) -> str | None:
        parts = [str(p) for p in ref.parts]
        if len(parts) == 1:
            name = parts[0]
            if name in self.nodes[sid]:
                return f"{sid}.{name}"
            elsewhere = sorted(f"{s}.{name}" for s in self._systems_with().get(name, ()))
            help: str | None
            if elsewhere:
                help = (f"did you mean '{elsewhere[0]}'? "
                        "nodes of other systems are named system.node")
            else:
                help = did_you_mean(name, set(self.nodes[sid]))
            self.unknown("LD002", f"undefined node '{name}' in system '{sid}'",
                         span_of(path, ref.parts[0]), help, element=name, name=name)
            return None
        if len(parts) == 2:
            system, name = parts
            if system not in self.nodes:
                self.unknown("LD002", f"undefined system '{system}' in reference '{ref.text}'",
                             span_of(path, ref.parts[0]), did_you_mean(system, set(self.nodes)),
                             element=ref.text, name=ref.text)
                return None
            if name not in self.nodes[system]:
                self.unknown("LD002", f"undefined node '{name}' in system '{system}'",
                             span_of(path, ref.parts[1]),
                             did_you_mean(name, set(self.nodes[system])), element=ref.text,
                             name=ref.text)
                return None
            return f"{system}.{name}"
        self.report("LD002", f"'{ref.text}' is not a node reference",
                    span_of(path, ref.parts[0], ref.parts[-1]),
                    help="write `node` for a node of this system, `system.node` for another's",
                    element=ref.text)
        return None
