"""The user's modules against the design, read with ``ast`` and never run:
what ``gen --check`` lists and ``gen`` warns about."""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass

from loopdsl.codegen.emit import USER_NODES
from loopdsl.codegen.plan import Package, plan
from loopdsl.model import Workspace


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
