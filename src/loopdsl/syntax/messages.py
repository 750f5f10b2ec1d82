"""Syntax-error wording in the user's words: what was found, what was expected,
and which ``{`` a missing ``}`` belongs to. Never lark's terminal names."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from lark import Token

# Terminal names of grammar/loopdsl.lark, as a user would write them; the
# order is the order they are listed in "expected ..." messages.
_TERMINALS = {
    "NAME": "a name",
    "STRING": "a string",
    "NUMBER": "a number",
    "TRUE": "'true'",
    "FALSE": "'false'",
    "COLON": "':'",
    "ARROW": "'->'",
    "DOT": "'.'",
    "COMMA": "','",
    "LBRACE": "'{'",
    "RBRACE": "'}'",
    "LSQB": "'['",
    "RSQB": "']'",
    "IMPORT": "'import'",
    "KIND": "'kind'",
    "SYSTEM": "'system'",
    "LOOP": "'loop'",
    "$END": "end of file",
}
_ORDER = {name: i for i, name in enumerate(_TERMINALS)}


def describe_expected(names: Iterable[str]) -> str:
    """``{'RBRACE', 'ARROW'}`` -> ``"'->' or '}'"``."""
    words = [_TERMINALS.get(n, n.lower()) for n in sorted(set(names), key=_sort_key)]
    if not words:
        return "nothing more"
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " or " + words[-1]


def _sort_key(name: str) -> tuple[int, str]:
    return (_ORDER.get(name, len(_ORDER)), name)


def describe_token(tok: Token) -> str:
    """How a found token is named in a message: ``name 'm'``, ``'}'``."""
    text = str(tok)
    if tok.type == "$END":
        return "end of file"
    if tok.type == "NAME":
        return f"name '{text}'"
    if tok.type == "STRING":
        short = text if len(text) <= 24 else text[:20] + '..."'
        return f"string {short.splitlines()[0] if short else short}"
    if tok.type == "NUMBER":
        return f"number {text}"
    return f"'{text}'"


# Characters the lexer cannot start a token with, and what the user meant.
_CHARACTER_HINTS = {
    "=": "attributes are written `key: value`, with ':'",
    "'": 'strings are written with double quotes: "..."',
    ";": "statements need no ';': one per line",
    "→": "flows are written with '->'",
    "(": "loopdsl has no parentheses; attribute blocks use '{' and '}'",
    ")": "loopdsl has no parentheses; attribute blocks use '{' and '}'",
}


def unexpected_character(text: str, pos: int) -> tuple[str, str | None, int]:
    """Message, help and span length for a character no token can start with."""
    ch = text[pos]
    if ch == '"' and text.startswith('""', pos - 2) and not text.startswith('"""', pos - 3):
        return ('unterminated """ string', 'close it with """', 1)
    if ch == '"':
        end = text.find("\n", pos)
        length = (end if end != -1 else len(text)) - pos
        return ("unterminated string", 'close it with \'"\' on the same line, '
                'or use """...""" for text over several lines', max(length, 1))
    if ch == "-" and pos > 0 and (text[pos - 1].isalnum() or text[pos - 1] == "_"):
        return ("'-' cannot be part of a name",
                "names are letters, digits and '_': write `my_node`, not `my-node`", 1)
    if ch == "=" and text.startswith("=>", pos):
        return ("unexpected '=>'", "flows are written with '->'", 2)
    if ch == "/" and text.startswith("//", pos):
        return ("unexpected '/'", "comments start with '#'", 1)
    if ch.isprintable() and not ch.isspace():
        shown = f"'{ch}'"
    else:
        name = unicodedata.name(ch, "")
        shown = f"U+{ord(ch):04X}" + (f" ({name.lower()})" if name else "")
    return (f"unexpected character {shown}", _CHARACTER_HINTS.get(ch), 1)


# --- which `{` is open where -------------------------------------------------

_BRACE_SCAN = re.compile(r'"""[\s\S]*?"""|"(?:[^"\\\n]|\\.)*"|#[^\n]*|[{}]')
_OWNER = [
    (re.compile(r"\bsystem\s+(\w+)[^{]*$"), "system '{}'"),
    (re.compile(r"\bloop\s+(\w+)[^{]*$"), "loop '{}'"),
    (re.compile(r"\bkind\s+(\w+)[^{]*$"), "kind '{}'"),
    (re.compile(r"(\w+(?:\.\w+)*\s*->[^{]*?)\s*(?:\"[^\"]*\")?\s*$"), "flow '{}'"),
    (re.compile(r"\b\w+\s+(\w+)\s*(?:\"[^\"]*\")?\s*$"), "node '{}'"),
]


class _Brace:
    __slots__ = ("block", "column", "indent", "line", "lost", "owner")

    def __init__(self, line: int, column: int, indent: int, owner: str, block: bool):
        self.line, self.column, self.indent = line, column, indent
        self.owner, self.block = owner, block
        self.lost = False  # closed by indentation guess: its own '}' is missing

    def describe(self) -> str:
        return f"the '{{' of {self.owner} (line {self.line}, column {self.column})"


class Braces:
    """Which '{' are open at a point of the text, found by one forward scan
    shared by every error of a parse (errors come in text order), so a file
    with thousands of errors or braces costs one pass, not one per error.

    A '}' that starts its line closes the open '{' whose line has the same
    indentation, when there is one: the braces opened after it have lost
    their '}' (how a reader pairs braces, not how a counter does).
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.stack: list[_Brace] = []
        self.lost: list[_Brace] = []
        self._matches = _BRACE_SCAN.finditer(text)
        self._pending: re.Match[str] | None = None
        self._line, self._line_at = 1, 0  # line number of offset _line_at

    def upto(self, end: int) -> tuple[list[_Brace], list[_Brace]]:
        """Braces still open at offset ``end``, and braces whose '}' seems missing."""
        text = self.text
        while True:
            m = self._pending or next(self._matches, None)
            self._pending = None
            if m is None:
                break
            if m.start() >= end:
                self._pending = m
                break
            tok = m.group()
            if tok not in "{}":
                continue
            self._line += text.count("\n", self._line_at, m.start())
            self._line_at = m.start()
            start = text.rfind("\n", 0, m.start()) + 1
            before = text[start : m.start()]
            indent = len(before) - len(before.lstrip(" \t"))
            if tok == "{":
                owner, block = _owner(text, m.start())
                self.stack.append(_Brace(self._line, m.start() - start + 1, indent, owner, block))
                continue
            stack = self.stack
            if not stack:
                continue
            if not before.strip() and stack[-1].indent > indent:
                match = next((i for i in range(len(stack) - 1, -1, -1)
                              if stack[i].indent == indent), None)
                if match is not None:
                    self.lost.extend(stack[match + 1 :])
                    del stack[match + 1 :]
            stack.pop()
        return self.stack, self.lost


def _owner(text: str, brace: int) -> tuple[str, bool]:
    # What stands before the '{' on its line, since the last brace; only its end
    # matters, and a bounded look keeps a line of 30,000 braces linear.
    start = max(text.rfind("\n", 0, brace), text.rfind("}", 0, brace),
                text.rfind("{", 0, brace), brace - 300) + 1
    head = text[start:brace]
    for pattern, form in _OWNER:
        m = pattern.search(head)
        if m:
            what = form.format(" ".join(m.group(1).split()))
            return what, form.startswith(("system", "loop"))
    return "an attribute block", False


def open_brace_hint(braces: Braces, tok: Token) -> str | None:
    """A help line when the error sits inside an attribute block opened earlier."""
    if tok.start_pos is None:
        return None
    stack, _ = braces.upto(tok.start_pos)
    if stack and not stack[-1].block and stack[-1].line < (tok.line or 0):
        return f"{stack[-1].describe()} is still open here: is its '}}' missing?"
    return None


def unclosed_at_eof(braces: Braces) -> tuple[str | None, str | None]:
    """Message and help for the end of a file with unclosed blocks, if any."""
    stack, lost = braces.upto(len(braces.text))
    culprits = lost or stack
    if not culprits:
        return None, None
    first = min(culprits, key=lambda b: (b.line, b.column))
    return (f"unexpected end of file: {first.describe()} is never closed",
            "add the missing '}'")
