"""User text made safe to show, and numbers shown as people write them.

Labels and ids are the user's, and a design may come from a stranger's pull
request: C0 and C1 control characters (a terminal escape sequence can rewrite
the screen or the clipboard), line and paragraph separators, and
bidirectional overrides (which reorder what a reviewer reads) never reach an
output as they are."""

from __future__ import annotations

import math
import re
from decimal import Decimal

_CONTROLS = r"\x00-\x08\x0b-\x1f\x7f-\x9f"
# Characters json.dumps(..., ensure_ascii=False) writes as they are.
_FORMATTING = r"\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
_SHOWN = re.compile(f"[{_CONTROLS}{_FORMATTING}]")
_IN_JSON = re.compile(f"[{_FORMATTING}]")


def printable(text: str) -> str:
    """``text`` with every unsafe character replaced by U+FFFD (newline and tab kept)."""
    return _SHOWN.sub("\ufffd", text)


def json_safe(document: str) -> str:
    """JSON text with the unsafe characters that ``json.dumps`` leaves as they
    are written as ``\\uXXXX`` escapes: the same data, nothing raw on a terminal."""
    return _IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", document)


def plain(n: float | Decimal) -> str:
    """A number as people write it: 1300 (not 1300.0), 1234567.5 (never
    1.23457e+06), 0.3 (not the 0.30000000000000004 a sum can make)."""
    if isinstance(n, Decimal):
        return format(n.normalize(), "f") if n.is_finite() else str(n)
    if not math.isfinite(n):
        return str(n)
    if float(n).is_integer():
        return str(int(n))
    return format(Decimal(repr(round(n, 6))), "f")
