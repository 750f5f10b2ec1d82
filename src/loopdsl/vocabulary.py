"""The language's vocabulary, each fact once: the reserved words and the
shape of an identifier (both read from the grammar), the roles, the typed
attribute keys and the values they take, what counts as a number, and how
any name becomes a valid id. The parser, the resolver, the language server,
``import`` and the tests all read them here."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeGuard

from loopdsl.model import Role

ROLES: tuple[str, ...] = tuple(r.value for r in Role)


@functools.cache
def _grammar() -> str:
    from loopdsl.resources import data_dir

    return data_dir("grammar").joinpath("loopdsl.lark").read_text(encoding="utf-8")


@functools.cache
def reserved_terminals() -> dict[str, str]:
    """Each keyword terminal of the grammar and its word (``SYSTEM``: ``system``).

    A keyword is a terminal whose pattern is a literal word: the basic lexer
    reads it as that terminal everywhere, so it can never be a name.
    """
    return dict(re.findall(r'^([A-Z_]+):\s*"([a-z]+)"\s*$', _grammar(), re.MULTILINE))


def reserved_words() -> frozenset[str]:
    """The words that cannot be ids: ``system``, ``import``, ``kind``, ..."""
    return frozenset(reserved_terminals().values())


@functools.cache
def terminal(name: str) -> str:
    """The regular expression of one of the grammar's terminals (``NAME``,
    ``STRING``, ``COMMENT``...)."""
    found = re.search(rf"^{name}:\s*/(.+)/\s*$", _grammar(), re.MULTILINE)
    assert found is not None, f"the grammar defines {name}"
    return found.group(1)


@functools.cache
def identifier() -> re.Pattern[str]:
    """An id, as the grammar's NAME terminal spells it."""
    return re.compile(terminal("NAME"))


def is_id(text: str) -> bool:
    """Is ``text`` a valid, unreserved id?"""
    return identifier().fullmatch(text) is not None and text not in reserved_words()


def make_id(name: str, *, prefix: str = "n_", empty: str = "node") -> str:
    """A valid id made from any name: characters an id cannot hold become
    ``_``, a leading digit gets ``prefix``, a reserved word a trailing ``_``."""
    ident = re.sub(r"\W", "_", name) or empty
    if ident[0].isdigit():
        ident = prefix + ident
    if ident in reserved_words():
        ident += "_"
    return ident


# --- values -----------------------------------------------------------------------


def is_number(value: Any) -> TypeGuard[int | float]:
    """A number of the language: an int or float, never a boolean."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def number(value: Any) -> float | None:
    """``value`` when it is a number, else None."""
    return value if is_number(value) else None


def is_positive_integer(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _is_string_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(x, str) for x in value)


@dataclass(frozen=True, slots=True)
class Typed:
    """A typed attribute: what it must be, in words, and the test."""

    expected: str  # "a non-negative number"
    holds: Callable[[Any], bool]
    # The words it may be (or its list's items): a misspelt one gets a did-you-mean.
    choices: tuple[str, ...] = ()


def _one_of(*choices: str) -> Typed:
    listed = ", ".join(f'"{c}"' for c in choices)
    return Typed(f"one of {listed}", lambda v: isinstance(v, str) and v in choices, choices)


def _some_of(*choices: str) -> Typed:
    listed = ", ".join(f'"{c}"' for c in choices)
    return Typed(f"a list of {listed}",
                 lambda v: _is_string_list(v) and all(x in choices for x in v), choices)


def _non_negative(value: Any) -> bool:
    return is_number(value) and value >= 0


def _string(value: Any) -> bool:
    return isinstance(value, str)


# The attributes whose wrong type is LD006, and what each must be.
TYPED: dict[str, Typed] = {
    "owner": Typed("a string", _string),
    "description": Typed("a string", _string),
    "latency_ms": Typed("a non-negative number", _non_negative),
    "budget_ms": Typed("a non-negative number", _non_negative),
    "cost_usd": Typed("a non-negative number", _non_negative),
    "max_iterations": Typed("a positive integer", is_positive_integer),
    "requires": Typed("a list of strings", _is_string_list),
    "tags": Typed("a list of strings", _is_string_list),
    # what `loopdsl drift` maps a node to
    "impl": Typed("a string", _string),
    "entry": Typed("a list of node ids", _is_string_list),
    "external": Typed("a boolean", lambda v: isinstance(v, bool)),
    # risks and cost: where content comes from, what it carries, what an
    # interface does, what leaves the organisation, what stops or checks it
    "trust": _one_of("untrusted", "internal", "trusted"),
    "data": _some_of("pii", "secret", "confidential", "public"),
    "effect": _one_of("read", "write", "irreversible"),
    "egress": Typed("a boolean", lambda v: isinstance(v, bool)),
    "gate": _one_of("human", "policy", "sanitizer"),
    "budget_usd": Typed("a non-negative number", _non_negative),
    "runs_per_day": Typed("a non-negative number", _non_negative),
}

# The attributes a node inherits from its kind chain unless it sets them itself.
INHERITED = ("trust", "data", "effect", "egress", "gate", "cost_usd")


def describe_value(value: Any) -> str:
    """A value as a message names it: ``the string "x"``, ``the number 3``."""
    if isinstance(value, bool):
        return f"the boolean {'true' if value else 'false'}"
    if isinstance(value, str):
        shown = value if len(value) <= 30 else value[:27] + "..."
        return f'the string "{shown}"'
    if isinstance(value, list):
        return "a list" if _is_string_list(value) or not value else "a list with non-string items"
    return f"the number {value}"
