"""The built-in codes as their rule files in ``rules/`` name and grade them:
code, name, default severity, the stage that reports it, and its message
and help templates. A plain table read from the files (no validation: the
rule registry validates them), so that the stages below the rule engine
(the parser, the loader, the resolver, drift) can build their findings
without reaching up to the registry."""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Code:
    code: str
    name: str
    severity: str  # error, warning, info or off
    reported_by: str  # rules, parser, loader, resolver, suppression, drift
    message: str | None
    help: str | None


@functools.cache
def builtin_codes() -> dict[str, Code]:
    """Every built-in code, by code."""
    from loopdsl.resources import data_dir

    out = {}
    for f in sorted(data_dir("rules").iterdir(), key=lambda f: f.name):
        if not f.name.endswith(".toml"):
            continue
        data = tomllib.loads(f.read_text(encoding="utf-8"))
        out[data["code"]] = Code(data["code"], data["name"], data["severity"],
                                 data.get("reported-by", "rules"), data.get("message"),
                                 data.get("help"))
    return out


def describe(code: str) -> Code:
    """A built-in code's entry (``KeyError`` for a code loopdsl does not have)."""
    return builtin_codes()[code]
