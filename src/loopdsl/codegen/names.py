"""Names in generated code: every id and label made a valid, unique, ASCII
Python identifier (transliterated, keywords and builtins suffixed, twins
numbered), and the top-level package's name, which must shadow nothing."""

from __future__ import annotations

import builtins
import keyword
import re
import sys
import unicodedata
from collections.abc import Iterable

from loopdsl.model import Role

METHOD = {Role.CONTEXT: "provide", Role.MODEL: "infer", Role.INTERFACE: "present",
          Role.FEEDBACK: "observe"}
MESSAGE = {Role.CONTEXT: "Information", Role.MODEL: "Inference", Role.INTERFACE: "Interaction",
           Role.FEEDBACK: "Signal"}
# Names a system's generated module defines or imports itself, and the
# attributes and locals of its runners (a node's variable is also the
# runner's attribute holding it).
RESERVED = {"ABC", "abstractmethod", "dataclass", "ClassVar", "LoopLimitError", "LoopRunner",
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

    def __init__(self, reserved: Iterable[str] = RESERVED) -> None:
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
        return self._unique(camel_case(raw))

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


def camel_case(raw: str) -> str:
    """``DrafterV2``: a class name, not yet made unique."""
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
