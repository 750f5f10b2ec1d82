"""Workspace -> what the generated package holds: a subpackage per system,
its node interfaces, messages and loop runners, each with its names, the
wires between nodes and the order of a loop's turn. The templates lay it
out (``codegen.emit``)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import rustworkx as rx

from loopdsl.codegen.names import MESSAGE, METHOD, RESERVED, Names, camel_case
from loopdsl.model import Loop, Node, Role, System, Workspace
from loopdsl.paths import from_root
from loopdsl.vocabulary import is_positive_integer


@dataclass(slots=True, eq=False)
class Wire:
    """An incoming flow as a field of a node's inputs, or an external input as
    an argument of a loop's runner."""

    name: str
    source: NodeCode
    type: str  # the source's output class, as the module using it spells it
    test_type: str  # the same, as the system's test module spells it
    position: int = 0  # a field's place in its inputs dataclass


@dataclass(slots=True, eq=False)
class NodeCode:
    node: Node
    pkg: str  # its system's subpackage
    cls: str  # the abstract interface
    impl: str  # the user's concrete class
    inputs: str  # the inputs dataclass
    output: str  # the output message class
    var: str  # its parameter, attribute and variable name
    method: str
    message: str  # the role's message base class
    fields: dict[str, Wire] = field(default_factory=dict)  # per incoming flow, by its source
    field_names: Names = field(default_factory=lambda: Names({"self"}))


@dataclass(slots=True)
class Step:
    """One node's call in a turn: each field of its inputs from a variable of
    this turn, the previous turn (``previous.x``) or an argument."""

    node: NodeCode
    args: list[tuple[str, str]]  # (field, expression in turn())
    expected: list[list[tuple[str, str]]]  # per turn of the generated test: (field, value)
    level: int  # its step in the turn: 0, or one more than the last node of this turn it reads


@dataclass(slots=True)
class LoopCode:
    id: str
    label: str
    cls: str  # the abstract runner
    impl: str  # the user's runner, with done()
    turn_cls: str
    max_iterations: int | None
    steps: list[Step]  # the own nodes, in turn order
    levels: int  # the steps of a turn (its nodes' levels)
    externals: list[Wire]  # the arguments of turn() and run()
    uses_previous: bool
    path: str  # a -> b -> c, for the docstring (sanitised names)
    test: str  # its tests' name: unique once lower-cased (`ab` and `a_b` differ)
    test_turns: int  # how many turns the test's run takes before done() says so


@dataclass(slots=True)
class Package:
    """One system's subpackage."""

    system: System
    name: str
    names: Names
    file: str  # the design file, named from the workspace root
    nodes: list[NodeCode] = field(default_factory=list)
    loops: list[LoopCode] = field(default_factory=list)
    aliases: dict[str, str] = field(default_factory=dict)  # other subpackage -> alias

    def type_of(self, code: NodeCode) -> tuple[str, str]:
        """A node's output class as this package's generated module and its
        test module spell it (another system's through an import alias)."""
        if code.pkg == self.name:
            return code.output, f"generated.{code.output}"
        # `_platform`: a sanitised name never starts with '_', so no field,
        # argument or local (`platform_generated`, say) can hide the module
        alias = self.aliases.setdefault(code.pkg, f"_{code.pkg}")
        spelled = f"{alias}.{code.output}"
        return spelled, spelled

    @property
    def source(self) -> str:
        """Its design file, made safe for a one-line comment."""
        return _comment_safe(self.file)

    @property
    def generated_imports(self) -> str:
        """The generated module's imports of the shared module and of the
        systems its flows come from."""
        wanted = [("..generated", m) for m in {n.message for n in self.nodes}]
        wanted += [("..generated", "LoopRunner")] if self.loops else []
        return _from_imports(wanted + [(f"..{other}", f"generated as {alias}")
                                       for other, alias in self.aliases.items()])

    @property
    def test_imports(self) -> str:
        """The test module's imports: its own modules and the systems its
        loops' external inputs come from."""
        wanted = [(".", "generated")]
        if self.loops:
            wanted += [(".", "nodes"), ("..generated", "LoopLimitError")]
        used = {w.source.pkg for lp in self.loops for w in lp.externals} - {self.name}
        return _from_imports(wanted + [(f"..{other}", f"generated as {alias}")
                                       for other, alias in self.aliases.items()
                                       if other in used])


def _natural(text: str) -> list[str | int]:
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", text)]


def _from_imports(wanted: list[tuple[str, str]]) -> str:
    """``from MODULE import NAME`` statements (NAME may be ``x as y``) as
    ruff's isort writes them: one statement per module, and one per alias;
    the furthest relative modules first, in natural order; names by type
    (constants, classes, others); a statement longer than 88 characters
    wrapped one name a line."""
    plain: dict[str, set[str]] = {}
    statements: list[tuple[str, list[str]]] = []
    for module, name in wanted:
        if " as " in name:
            statements.append((module, [name]))
        else:
            plain.setdefault(module, set()).add(name)
    statements += [(module, sorted(names, key=lambda n: (
        0 if n.isupper() and len(n) > 1 else 1 if n[0].isupper() else 2, _natural(n))))
        for module, names in plain.items()]
    statements.sort(key=lambda s: (-(len(s[0]) - len(s[0].lstrip("."))),
                                   _natural(s[0].lstrip(".")), " as " in s[1][0]))
    lines = []
    for module, names in statements:
        line = f"from {module} import {', '.join(names)}"
        if len(line) > 88:
            line = f"from {module} import (\n" + "".join(f"    {n},\n" for n in names) + ")"
        lines.append(line)
    return "\n".join(lines)


@dataclass(slots=True)
class Project:
    """The whole output: the top-level package and its subpackages."""

    name: str
    source: str  # the design, made safe for a one-line comment
    packages: list[Package]


def _comment_safe(text: str) -> str:
    """ASCII on one line: a character that is not printable ASCII is escaped."""
    return "".join(c if c.isascii() and c.isprintable() else ascii(c)[1:-1] for c in text)


def _bound(loop: Loop) -> int | None:
    value = loop.attributes.get("max_iterations")
    return value if is_positive_integer(value) else None


def _turn_order(loop: Loop, own: list[NodeCode], entry: NodeCode) -> list[NodeCode]:
    """The own nodes in the order a turn calls them: from the entry along the
    loop's flows, each node after the nodes whose flows reach it in the same
    turn (a topological order once the flows back to earlier nodes, the
    cycles' way back, are set aside), ties in the order the loop names them."""
    g = rx.PyDiGraph()
    index = {c.node.qualified_id: g.add_node(c) for c in own}
    edges = dict.fromkeys((index[s], index[t]) for s, t in loop.flows
                          if s in index and t in index and s != t)
    g.add_edges_from_no_data(list(edges))
    back: list[tuple[int, int]] = []

    class Back(rx.visit.DFSVisitor):
        def back_edge(self, edge: tuple[int, int, object]) -> None:
            back.append((edge[0], edge[1]))

    rx.dfs_search(g, [index[entry.node.qualified_id], *index.values()], Back())
    for s, t in back:
        g.remove_edge(s, t)
    position = {c.var: f"{i:09d}" for i, c in enumerate(own)}
    return list(rx.lexicographical_topological_sort(
        g, key=lambda c: "" if c is entry else position[c.var]))


def _plan_loop(pkg: Package, loop: Loop, codes: dict[str, NodeCode],
               always: dict[str, list[str]], fed: set[str], tests: Names) -> LoopCode:
    named = list(dict.fromkeys(q for key in loop.flows for q in key))
    own = [codes[q] for q in named if q in codes and codes[q].pkg == pkg.name
           and not (codes[q].node.role == Role.CONTEXT and q not in fed)]
    own_ids = {c.node.qualified_id for c in own}
    # What a turn wires into each own node: the flows the loop states and the
    # flows every loop holding the node wires (never all of a shared node's
    # inputs: each loop would take every other loop's).
    wired: dict[str, dict[str, None]] = {q: {} for q in own_ids}
    for s, t in loop.flows:
        if t in wired and s in codes:
            wired[t][s] = None
    for q, sources in wired.items():
        sources.update(dict.fromkeys(always.get(q, [])))
    locals_ = Names({*RESERVED, *(c.var for c in own)})
    externals: dict[str, Wire] = {}
    for c in own:
        for q in wired[c.node.qualified_id]:
            if q not in own_ids and q not in externals:
                externals[q] = Wire(locals_.snake(_external_name(pkg, codes[q])), codes[q],
                                    *pkg.type_of(codes[q]))
    entry = next((c for c in own if any(q in externals for q in wired[c.node.qualified_id])),
                 own[0] if own else None)
    order = _turn_order(loop, own, entry) if entry is not None else []
    position = {c.node.qualified_id: i for i, c in enumerate(order)}
    bound = _bound(loop)
    test_turns = 1 if bound == 1 else 2  # the second reads the first's outputs
    steps = []
    level: dict[str, int] = {}
    for c in order:
        q_c = c.node.qualified_id
        # its step: one after the last node of this turn whose output it reads
        level[q_c] = 1 + max((level[q] for q in wired[q_c]
                              if q in position and position[q] < position[q_c]), default=-1)
        args: list[tuple[str, str]] = []
        expected: list[list[tuple[str, str]]] = [[] for _ in range(test_turns)]
        # in the order of the node's fields (the order the flows are stated)
        for q in sorted(wired[c.node.qualified_id], key=lambda q: c.fields[q].position):
            wire = c.fields[q]
            if q in externals:
                args.append((wire.name, externals[q].name))
                for values in expected:
                    values.append((wire.name, externals[q].name))
            elif q in position:
                now = position[q] < position[c.node.qualified_id]
                args.append((wire.name, wire.source.var if now else f"previous.{wire.source.var}"))
                value = f"{wire.test_type}(content={wire.source.node.id!a})"
                for turn, values in enumerate(expected):
                    values.append((wire.name, value if now or turn > 0 else "None"))
        steps.append(Step(c, args, expected, level[q_c]))
    name = camel_case(loop.id)
    return LoopCode(
        id=loop.id, label=loop.label, cls=pkg.names.derived(name, "Loop"),
        impl=pkg.names.derived(name, "Runner"), turn_cls=pkg.names.derived(name, "Turn"),
        max_iterations=bound, steps=steps, levels=1 + max(level.values(), default=-1),
        externals=list(externals.values()),
        uses_previous=any(e.startswith("previous.") for s in steps for _, e in s.args),
        path=" -> ".join(c.var for c in order), test=tests.snake(loop.id), test_turns=test_turns)


def _external_name(pkg: Package, source: NodeCode) -> str:
    return source.node.id if source.pkg == pkg.name else f"{source.pkg}_{source.node.id}"


def plan(workspace: Workspace, package: str, root: Path | None = None) -> Project:
    """Names, wiring and turn order for every system's subpackage; the design's
    files are named from ``root`` (the workspace root) when given."""
    subpackages = Names({"generated"})
    packages = [Package(s, subpackages.snake(s.id), Names(), from_root(s.file, root))
                for s in workspace.systems]
    codes: dict[str, NodeCode] = {}
    for pkg in packages:
        for n in pkg.system.nodes:
            role = n.role or Role.CONTEXT
            cls = pkg.names.camel(n.id)
            codes[n.qualified_id] = code = NodeCode(
                node=n, pkg=pkg.name, cls=cls, impl=pkg.names.derived(cls, "Node"),
                inputs=pkg.names.derived(cls, "Inputs"),
                output=pkg.names.derived(cls, MESSAGE[role]), var=pkg.names.snake(n.id),
                method=METHOD[role], message=MESSAGE[role])
            pkg.nodes.append(code)
    by_name = {pkg.name: pkg for pkg in packages}
    fed: set[str] = set()
    # per node, the flows into it that every loop holding it wires: from
    # context (information, whoever keeps it) and from other systems
    always: dict[str, list[str]] = {}
    for f in dict((f.key, f) for f in workspace.flows()).values():
        if f.source in codes and f.target in codes:
            fed.add(f.target)
            target, source = codes[f.target], codes[f.source]
            home = by_name[target.pkg]
            wire = Wire(target.field_names.snake(_external_name(home, source)), source,
                        *home.type_of(source), position=len(target.fields))
            target.fields[f.source] = wire
            if source.node.role in (Role.CONTEXT, None) or source.pkg != target.pkg:
                always.setdefault(f.target, []).append(f.source)
    for pkg in packages:
        tests = Names(())  # test_<loop>_...: any name will do once prefixed
        pkg.loops = [_plan_loop(pkg, lp, codes, always, fed, tests) for lp in pkg.system.loops]
    files = list(dict.fromkeys(from_root(s.file, root) for s in workspace.systems))
    more = f" and {len(files) - 3} more" if len(files) > 3 else ""
    return Project(package, _comment_safe(", ".join(files[:3]) + more), packages)
