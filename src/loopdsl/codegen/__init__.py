"""Workspace -> stub Python code: one package per system (generation gap).

``generate`` returns ``{relative path: (text, regenerated)}``; the CLI decides
what to write: regenerated files always, the others only when absent (or with
``--force``). User text reaches the code only as ``repr()`` literals; every
name is a sanitised, collision-free identifier.
"""

from __future__ import annotations

import ast
import builtins
import functools
import keyword
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from loopdsl.model import Node, Role, System, Workspace

METHOD = {Role.CONTEXT: "provide", Role.MODEL: "infer", Role.INTERFACE: "present",
          Role.FEEDBACK: "observe"}
MESSAGE = {Role.CONTEXT: "Information", Role.MODEL: "Inference", Role.INTERFACE: "Interaction",
           Role.FEEDBACK: "Signal"}
# Names the generated modules define or import themselves.
_RESERVED = {"ABC", "abstractmethod", "dataclass", "ClassVar", "Message", "LoopLimitError",
             "annotations", "pytest", "generated", "nodes", "loop", "turn", "run", "label",
             "node_id", "kind", "loop_id", "max_iterations", "self", "inputs", "content",
             "turns", "last", "previous",  # a runner's own attributes and locals
             *METHOD.values(), *MESSAGE.values()}


class Names:
    """Hands out valid, unique Python identifiers for arbitrary ids."""

    def __init__(self, taken: set[str] | None = None) -> None:
        self.taken = set(_RESERVED) | (taken or set())

    def _unique(self, name: str) -> str:
        candidate, n = name, 2
        while candidate in self.taken:
            candidate = f"{name}{n}"
            n += 1
        self.taken.add(candidate)
        return candidate

    def snake(self, raw: str) -> str:
        """``drafter_v2``-style: for modules, fields and parameters."""
        return self._unique(_clean(raw, lower=True) or "node")

    def camel(self, raw: str, suffix: str = "") -> str:
        """``DrafterV2``-style: for classes."""
        words = [w for w in _clean(raw, lower=False).split("_") if w]
        name = "".join(w[0].upper() + w[1:] for w in words) or "Node"
        if name[0].isdigit():
            name = "N" + name
        name += suffix
        if keyword.iskeyword(name) or hasattr(builtins, name):  # None, True, Exception
            name += "_"
        return self._unique(name)


def _clean(raw: str, *, lower: bool) -> str:
    """NFKC as Python normalises identifiers; anything not valid becomes '_'."""
    text = unicodedata.normalize("NFKC", raw)
    text = "".join(c if ("a" + c).isidentifier() else "_" for c in text)
    text = re.sub(r"_+", "_", text).strip("_")
    if lower:
        text = text.lower()
    if text and text[0].isdigit():
        text = "n_" + text
    if keyword.iskeyword(text) or keyword.issoftkeyword(text) or hasattr(builtins, text):
        text += "_"
    return text


@dataclass(slots=True)
class NodeCode:
    node: Node
    cls: str  # the abstract interface
    impl: str  # the user's concrete class
    inputs: str  # the inputs dataclass
    output: str  # the output message class
    var: str  # its field, parameter and variable name
    method: str
    message: str  # the role's message base class
    incoming: list[tuple[str, str]] = field(default_factory=list)  # (field, type) per flow


@dataclass(slots=True)
class LoopCode:
    id: str
    label: str
    cls: str
    turn_cls: str
    max_iterations: int | None
    order: list[NodeCode]  # the nodes, in flow order
    # per node field: [(source field, produced earlier in this turn?)]
    wiring: dict[str, list[tuple[str, bool]]]
    path: str  # a -> b -> c, for the docstring (ids only, sanitised)
    test: str  # its tests' name: unique once lower-cased (`ab` and `a_b` differ)


@dataclass(slots=True)
class Package:
    system: System
    name: str
    nodes: list[NodeCode]
    loops: list[LoopCode]
    source: str  # the file, made safe for a one-line comment


def _comment_safe(text: str) -> str:
    return "".join(c if c.isprintable() else "?" for c in text)


def plan(system: System) -> Package:
    """Names and wiring for one system's package."""
    names = Names()
    nodes: dict[str, NodeCode] = {}
    for n in system.nodes:
        role = n.role or Role.CONTEXT
        base = names.camel(n.id)
        nodes[n.qualified_id] = NodeCode(
            node=n, cls=base, impl=names.camel(n.id, "Node"),
            inputs=names.camel(n.id, "Inputs"), output=names.camel(n.id, MESSAGE[role]),
            var=names.snake(n.id), method=METHOD[role], message=MESSAGE[role])
    for f in system.flows:
        src, dst = nodes.get(f.source), nodes.get(f.target)
        if dst is not None and src is not None and (src.var, src.output) not in dst.incoming:
            dst.incoming.append((src.var, src.output))
    loops = []
    tests = Names()
    for lp in system.loops:
        order: list[NodeCode] = []
        for key in lp.flows:
            for q in key:
                code = nodes.get(q)
                if code is not None and code not in order:
                    order.append(code)
        position = {c.var: i for i, c in enumerate(order)}
        wiring: dict[str, list[tuple[str, bool]]] = {c.var: [] for c in order}
        for s, t in lp.flows:
            src, dst = nodes.get(s), nodes.get(t)
            if src is None or dst is None:
                continue
            wiring[dst.var].append((src.var, position[src.var] < position[dst.var]))
        bound = lp.attributes.get("max_iterations")
        loops.append(LoopCode(
            id=lp.id, label=lp.label, cls=names.camel(lp.id, "Loop"),
            turn_cls=names.camel(lp.id, "Turn"),
            max_iterations=bound if isinstance(bound, int) and not isinstance(bound, bool)
            else None,
            order=order, wiring=wiring,
            path=" -> ".join(c.var for c in order), test=tests.snake(lp.id)))
    return Package(system, "", list(nodes.values()), loops, _comment_safe(system.file))


@functools.lru_cache(maxsize=1)
def _templates() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=False, undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
        trim_blocks=True, lstrip_blocks=True)
    env.filters["py"] = repr  # the only way user text enters the code
    return env


GENERATED = "generated.py"
USER_NODES = "nodes.py"


def _packages(workspace: Workspace) -> list[Package]:
    packages, out = Names(), []
    for system in workspace.systems:
        pkg = plan(system)
        pkg.name = packages.snake(system.id)
        out.append(pkg)
    return out


def generate(workspace: Workspace) -> dict[str, tuple[str, bool]]:
    """Files of every system's package: path -> (text, regenerated?)."""
    out: dict[str, tuple[str, bool]] = {}
    env = _templates()
    for pkg in _packages(workspace):
        for template, name, regenerated in [
            ("generated.py.j2", f"{pkg.name}/{GENERATED}", True),
            ("init.py.j2", f"{pkg.name}/__init__.py", False),
            ("nodes.py.j2", f"{pkg.name}/nodes.py", False),
            ("test.py.j2", f"test_{pkg.name}.py", False),
        ]:
            out[name] = (env.get_template(template).render(p=pkg), regenerated)
    return out


def audit(workspace: Workspace, read: Callable[[str], str | None]) -> list[str]:
    """What the user's ``nodes.py`` modules say against the design, without
    running them: nodes without an implementation, classes implementing an
    interface the design no longer has, implementations whose method is not
    the role's. ``read(path)`` gives a file's text, or None when it is absent."""
    problems: list[str] = []
    for pkg in _packages(workspace):
        path = f"{pkg.name}/{USER_NODES}"
        text = read(path)
        if text is None:
            if pkg.nodes:
                problems.append(f"{path}: missing (`loopdsl gen` creates it)")
            continue
        try:
            tree = ast.parse(text, filename=path)
        except SyntaxError as e:
            problems.append(f"{path}:{e.lineno or 1}: does not parse: {e.msg}")
            continue
        wanted = {n.cls: n for n in pkg.nodes}
        done: set[str] = set()
        for cls in (c for c in tree.body if isinstance(c, ast.ClassDef)):
            for base in cls.bases:
                if not (isinstance(base, ast.Attribute) and isinstance(base.value, ast.Name)
                        and base.value.id == "generated"):
                    continue
                node = wanted.get(base.attr)
                if node is None:
                    problems.append(f"{path}:{cls.lineno}: class {cls.name} implements "
                                    f"generated.{base.attr}, which the design no longer has")
                    continue
                done.add(base.attr)
                methods = {f.name for f in cls.body
                           if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef)}
                if node.method not in methods:
                    problems.append(f"{path}:{cls.lineno}: class {cls.name} has no "
                                    f"{node.method}() for node {node.node.id!r} "
                                    f"({node.node.role.value if node.node.role else 'no role'})")
        problems += [f"{path}: node {n.node.id!r} has no implementation "
                     f"(a subclass of generated.{cls})"
                     for cls, n in wanted.items() if cls not in done]
    return problems
