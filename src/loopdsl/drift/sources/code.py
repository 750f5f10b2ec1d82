"""What a function's source says, read with ``ast`` (never run): the
literals a router can return, and whether a node asks a person
(LangGraph's ``interrupt()``)."""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal, get_args, get_origin, get_type_hints


@dataclass(frozen=True, slots=True)
class Returns:
    values: tuple[str, ...]  # the literals it can return, in source order
    only_literals: bool  # every return is one (else a key never returned may be live)


def function_of(runnable: Any) -> Any:
    """The Python function behind a LangGraph node or router, or None."""
    for attr in ("func", "afunc"):
        func = getattr(runnable, attr, None)
        if inspect.isfunction(func) or inspect.ismethod(func):
            return func
    return runnable if inspect.isfunction(runnable) or inspect.ismethod(runnable) else None


def _tree(func: Any) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    try:
        source = textwrap.dedent(inspect.getsource(func))
        module = ast.parse(source)
    except (OSError, TypeError, SyntaxError, ValueError):
        return None  # no source (a builtin, a lambda inside an expression, a REPL)
    return next((n for n in ast.walk(module)
                 if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)), None)


def _own(node: ast.AST) -> Iterator[ast.AST]:
    """The function's own nodes: not those of functions or lambdas inside it."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
                      | ast.ClassDef):
            continue
        yield child
        yield from _own(child)


def returns(func: Any) -> Returns:
    """The string literals ``func`` returns: ``return "x"``, a module constant
    (``return END``), both arms of ``a if c else b``, ``Command(goto="x")``,
    and its ``Literal[...]`` return annotation."""
    values: list[str] = []
    only = True
    try:
        hint = get_type_hints(func).get("return")
    except Exception:  # a forward reference that does not resolve
        hint = None
    values += _literals_of(hint)
    tree = _tree(func)
    if tree is None:
        return Returns(tuple(dict.fromkeys(values)), False)
    names = {**getattr(func, "__globals__", {}), **_closure(func)}
    for node in _own(tree):
        if isinstance(node, ast.Return):
            found = _values(node.value, names)
            if found is None:
                only = False
            else:
                values += found
    return Returns(tuple(dict.fromkeys(values)), only)


def _literals_of(hint: Any) -> list[str]:
    """``Literal["a", "b"]`` → a, b (inside ``Command[...]`` or a union too)."""
    if hint is None:
        return []
    if get_origin(hint) is Literal:
        return [a for a in get_args(hint) if isinstance(a, str)]
    return [v for arg in get_args(hint) for v in _literals_of(arg)]


def _closure(func: Any) -> dict[str, Any]:
    code, cells = getattr(func, "__code__", None), getattr(func, "__closure__", None) or ()
    if code is None:
        return {}
    out = {}
    for name, cell in zip(code.co_freevars, cells, strict=False):
        try:
            out[name] = cell.cell_contents
        except ValueError:
            continue
    return out


def _values(node: ast.expr | None, names: dict[str, Any]) -> list[str] | None:
    """The literals an expression evaluates to, or None when it is not one."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.Name) and isinstance(names.get(node.id), str):
        return [names[node.id]]
    if isinstance(node, ast.IfExp):
        a, b = _values(node.body, names), _values(node.orelse, names)
        return None if a is None or b is None else a + b
    if isinstance(node, ast.Call) and _called_name(node) == "Command":
        goto = next((k.value for k in node.keywords if k.arg == "goto"), None)
        if goto is None:
            return []  # a Command that only updates state goes where the edges say
        if isinstance(goto, ast.List | ast.Tuple):
            parts = [_values(e, names) for e in goto.elts]
            return None if any(p is None for p in parts) else [v for p in parts for v in p or []]
        return _values(goto, names)
    return None


def _called_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def calls(func: Any, name: str) -> bool:
    """``func``'s own body calls ``name(...)`` (or ``something.name(...)``)."""
    tree = _tree(func)
    return tree is not None and any(isinstance(n, ast.Call) and _called_name(n) == name
                                    for n in _own(tree))
