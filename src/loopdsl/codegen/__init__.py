"""Workspace -> stub Python code: one package with a subpackage per system
(the generation-gap pattern).

``generate`` returns ``{relative path: (text, regenerated)}``; the CLI decides
what to write: regenerated files always, the others only when absent (or with
``--force``). User text reaches the code only as ``ascii()`` literals; every
name is a sanitised, ASCII, collision-free identifier.

A loop's runner calls the loop's own nodes: the nodes of its system that its
flows name, except context fed by no flow at all (a question, a document
index: what the world hands the loop). A turn wires into each own node the
flows the loop states and every flow from context or from another system;
what those bring from outside the loop is the loop's external input, an
argument of ``turn`` and ``run``. A model, interface or feedback node's flow
stated elsewhere belongs to another loop's turn: its field stays None (so a
node shared by many loops does not make each of them take all their inputs).
"""

from __future__ import annotations

import ast
import builtins
import functools
import keyword
import re
import sys
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import rustworkx as rx

from loopdsl.model import Loop, Node, Role, System, Workspace

METHOD = {Role.CONTEXT: "provide", Role.MODEL: "infer", Role.INTERFACE: "present",
          Role.FEEDBACK: "observe"}
MESSAGE = {Role.CONTEXT: "Information", Role.MODEL: "Inference", Role.INTERFACE: "Interaction",
           Role.FEEDBACK: "Signal"}
# Names a system's generated module defines or imports itself, and the
# attributes and locals of its runners (a node's variable is also the
# runner's attribute holding it).
_RESERVED = {"ABC", "abstractmethod", "dataclass", "ClassVar", "LoopLimitError", "LoopRunner",
             "annotations", "pytest", "generated", "nodes", "loop", "turn", "run", "done",
             "label", "node_id", "kind", "loop_id", "max_iterations", "self", "inputs",
             "content", "turns", "last", "previous", "seen", "stop_after",
             *METHOD.values(), *MESSAGE.values()}
# What a top-level package must not be called: it would shadow these.
_TOP_RESERVED = {*sys.stdlib_module_names, "test", "tests", "pytest", "_pytest", "conftest",
                 "setup", "site", "loopdsl", "mypy", "ruff", "typing_extensions"}
# Letters that do not decompose into an ASCII letter and marks.
_LETTERS = str.maketrans({"ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ø": "o",
                          "Ø": "O", "đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "ł": "l", "Ł": "L",
                          "þ": "th", "Þ": "Th", "\u0131": "i"})


class Names:
    """Hands out valid, unique, ASCII Python identifiers for arbitrary ids."""

    def __init__(self, reserved: Iterable[str] = _RESERVED) -> None:
        self.taken = set(reserved)
        self._next: dict[str, int] = {}  # per name, the number its next twin tries first

    def _unique(self, name: str) -> str:
        candidate, n = name, self._next.get(name, 2)
        while candidate in self.taken:
            candidate = f"{name}{n}"
            n += 1
        self._next[name] = n
        self.taken.add(candidate)
        return candidate

    def snake(self, raw: str) -> str:
        """``drafter_v2``-style: for modules, fields and parameters."""
        return self._unique(_clean(raw, lower=True) or "node")

    def camel(self, raw: str) -> str:
        """``DrafterV2``-style: for classes."""
        return self._unique(_camel(raw))

    def derived(self, cls: str, suffix: str) -> str:
        """A class named after another: ``DrafterV2Inputs``, ``NoneInputs``."""
        name = cls.rstrip("_") + suffix
        return self._unique(name + "_" if hasattr(builtins, name) else name)


def _ascii(text: str) -> str:
    """Transliterated: NFKC as Python normalises identifiers (``ﬁ`` is ``fi``),
    then accents dropped; a character with no ASCII form becomes ``_uXXXX_``,
    so that distinct ids stay distinct."""
    text = unicodedata.normalize("NFKC", text).translate(_LETTERS)
    return "".join(c if c.isascii() else "" if unicodedata.combining(c) else f"_u{ord(c):04x}_"
                   for c in unicodedata.normalize("NFKD", text))


def _camel(raw: str) -> str:
    words = [w for w in _clean(raw, lower=False).split("_") if w]
    name = "".join(w[0].upper() + w[1:] for w in words) or "Node"
    if name[0].isdigit():
        name = "N" + name
    if keyword.iskeyword(name) or hasattr(builtins, name):  # None, True, Exception
        name += "_"
    return name


def _clean(raw: str, *, lower: bool) -> str:
    """An ASCII identifier: anything not a letter, digit or '_' becomes '_'."""
    text = re.sub(r"[^A-Za-z0-9_]", "_", _ascii(raw))
    text = re.sub(r"_+", "_", text).strip("_")
    if lower:
        text = text.lower()
    if text and text[0].isdigit():
        text = "n_" + text
    if keyword.iskeyword(text) or keyword.issoftkeyword(text) or hasattr(builtins, text):
        text += "_"
    return text


def package_name(raw: str) -> str:
    """The top-level package's name for a design file or folder name: ASCII,
    and never a keyword, builtin or module it would shadow (``json``,
    ``platform``, ``test``, ``pytest``): those get a trailing underscore."""
    name = _clean(raw, lower=True) or "design"
    while name in _TOP_RESERVED:
        name += "_"
    return name


def package_problem(name: str) -> str | None:
    """Why ``--package NAME`` cannot be used, or None."""
    if not (name.isascii() and name.isidentifier()) or keyword.iskeyword(name):
        return f"--package {name!r} is not an ASCII Python identifier"
    if name in _TOP_RESERVED or hasattr(builtins, name):
        return (f"--package {name!r} would shadow the builtin or module of that name (the "
                f"standard library's, or a tool's); try {package_name(name)!r}")
    return None


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


@dataclass(slots=True)
class LoopCode:
    id: str
    label: str
    cls: str  # the abstract runner
    impl: str  # the user's runner, with done()
    turn_cls: str
    max_iterations: int | None
    steps: list[Step]  # the own nodes, in turn order
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
        return _comment_safe(self.system.file)

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
    return value if isinstance(value, int) and not isinstance(value, bool) else None


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
    locals_ = Names({*_RESERVED, *(c.var for c in own)})
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
    for c in order:
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
        steps.append(Step(c, args, expected))
    name = _camel(loop.id)
    return LoopCode(
        id=loop.id, label=loop.label, cls=pkg.names.derived(name, "Loop"),
        impl=pkg.names.derived(name, "Runner"), turn_cls=pkg.names.derived(name, "Turn"),
        max_iterations=bound, steps=steps, externals=list(externals.values()),
        uses_previous=any(e.startswith("previous.") for s in steps for _, e in s.args),
        path=" -> ".join(c.var for c in order), test=tests.snake(loop.id), test_turns=test_turns)


def _external_name(pkg: Package, source: NodeCode) -> str:
    return source.node.id if source.pkg == pkg.name else f"{source.pkg}_{source.node.id}"


def plan(workspace: Workspace, package: str) -> Project:
    """Names, wiring and turn order for every system's subpackage."""
    subpackages = Names({"generated"})
    packages = [Package(s, subpackages.snake(s.id), Names()) for s in workspace.systems]
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
    files = list(dict.fromkeys(s.file for s in workspace.systems))
    more = f" and {len(files) - 3} more" if len(files) > 3 else ""
    return Project(package, _comment_safe(", ".join(files[:3]) + more), packages)


@functools.lru_cache(maxsize=1)
def _templates() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=False, undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
        trim_blocks=True, lstrip_blocks=True)
    # The only way user text enters the code: a literal in ASCII (no
    # confusable or invisible character reaches the source).
    env.filters["py"] = ascii
    return env


GENERATED = "generated.py"
USER_NODES = "nodes.py"


def default_package(workspace: Workspace) -> str:
    """The package's name when none is given: the first design file's."""
    first = workspace.systems[0].file if workspace.systems else "design"
    return package_name(Path(first).stem)


def generate(workspace: Workspace, package: str | None = None) -> dict[str, tuple[str, bool]]:
    """Every file of the package (by default named after the first design
    file): path -> (text, regenerated?)."""
    project = plan(workspace, package or default_package(workspace))
    env = _templates()
    top = project.name
    out = {f"{top}/{GENERATED}": (env.get_template("base.py.j2").render(project=project), True),
           f"{top}/__init__.py": (env.get_template("package.py.j2").render(project=project),
                                  False)}
    for pkg in project.packages:
        for template, name, regenerated in [
            ("generated.py.j2", GENERATED, True),
            ("init.py.j2", "__init__.py", False),
            ("nodes.py.j2", USER_NODES, False),
            ("test.py.j2", f"test_{pkg.name}.py", False),
        ]:
            text = env.get_template(template).render(p=pkg, project=project)
            out[f"{top}/{pkg.name}/{name}"] = (text, regenerated)
    return out


@dataclass(slots=True)
class _Wanted:
    """What a subclass of a generated class must define."""

    what: str  # node 'x' (model), loop 'y'
    method: str
    params: list[str | None]  # the generated classes its parameters after self are
    returns: str | None  # the generated class it returns (None: not one)


def _wanted(pkg: Package) -> dict[str, _Wanted]:
    out = {n.cls: _Wanted(f"node {n.node.id!r} ({n.node.role.value if n.node.role else 'no role'})",
                          n.method, [n.inputs], n.output)
           for n in pkg.nodes}
    out.update({lp.cls: _Wanted(f"loop {lp.id!r}", "done", [lp.turn_cls], None)
                for lp in pkg.loops})
    return out


@dataclass(frozen=True, slots=True)
class Problem:
    """Something in a user module out of step with the design."""

    path: str  # relative to the output folder
    line: int | None
    text: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.text}" if self.line else f"{self.path}: {self.text}"


def audit(workspace: Workspace, package: str,
          read: Callable[[str], str | None]) -> list[Problem]:
    """What the user's ``nodes.py`` modules say against the design, without
    running them: nodes and loops without an implementation, classes
    implementing something the design no longer has, implementations whose
    method is missing or whose signature no longer matches. ``read(path)``
    gives a file's text, or None when it is absent."""
    problems: list[Problem] = []
    for pkg in plan(workspace, package).packages:
        path = f"{package}/{pkg.name}/{USER_NODES}"
        text = read(path)
        if text is None:
            if pkg.nodes:
                problems.append(Problem(path, None, "missing (`loopdsl gen` creates it)"))
            continue
        try:
            tree = ast.parse(text, filename=path)
        except SyntaxError as e:
            problems.append(Problem(path, e.lineno or 1, f"does not parse: {e.msg}"))
            continue
        generated = _Generated(tree, f"{package}.{pkg.name}")
        wanted = _wanted(pkg)
        done: set[str] = set()
        for cls in (c for c in tree.body if isinstance(c, ast.ClassDef)):
            for base in filter(None, map(generated.name, cls.bases)):
                if base not in wanted:
                    problems.append(Problem(path, cls.lineno, f"class {cls.name} implements "
                                            f"generated.{base}, which the design no longer has"))
                    continue
                done.add(base)
                problems += [Problem(path, line, text)
                             for line, text in _signature(cls, wanted[base], generated)]
        problems += [Problem(path, None, f"{w.what} has no implementation (a subclass of "
                                         f"generated.{cls})")
                     for cls, w in wanted.items() if cls not in done]
    return problems


class _Generated:
    """How a user module names the generated module's classes: `generated.X`
    (`from . import generated`, also under another name or absolutely) or
    `X` (`from .generated import X`)."""

    def __init__(self, tree: ast.Module, package: str) -> None:
        self.modules: set[str] = {"generated"}
        self.classes: dict[str, str] = {}
        for node in tree.body:
            if not isinstance(node, ast.ImportFrom):
                continue
            module = "." * node.level + (node.module or "")
            for alias in node.names:
                if module in (".", package) and alias.name == "generated":
                    self.modules.add(alias.asname or alias.name)
                elif module in (".generated", f"{package}.generated"):
                    self.classes[alias.asname or alias.name] = alias.name

    def name(self, expr: ast.expr | None) -> str | None:
        """The generated class an expression names, if it names one."""
        if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name) \
                and expr.value.id in self.modules:
            return expr.attr
        if isinstance(expr, ast.Name):
            return self.classes.get(expr.id)
        if isinstance(expr, ast.Constant) and isinstance(expr.value, str):  # "generated.X"
            try:
                return self.name(ast.parse(expr.value, mode="eval").body)
            except SyntaxError:
                return None
        return None


def _signature(cls: ast.ClassDef, wanted: _Wanted,
               generated: _Generated) -> list[tuple[int, str]]:
    """Where a class's method differs from what its generated base declares:
    missing, taking another number of arguments, or annotated with other
    generated classes (a renamed node's)."""
    method = next((f for f in cls.body if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef)
                   and f.name == wanted.method), None)
    if method is None:
        return [(cls.lineno, f"class {cls.name} has no {wanted.method}() for {wanted.what}")]
    declared = method.args.args[1:]
    if len(declared) != len(wanted.params):
        return [(method.lineno, f"{cls.name}.{wanted.method}() takes {len(declared)} "
                                f"arguments, the design's {len(wanted.params)}")]
    pairs = [(generated.name(a.annotation), w) for a, w in zip(declared, wanted.params,
                                                                strict=True)]
    pairs.append((generated.name(method.returns), wanted.returns))
    return [(method.lineno, f"{cls.name}.{wanted.method}() is annotated with generated.{got}, "
                            f"the design's is generated.{want}")
            for got, want in pairs if got is not None and want is not None and got != want]
