"""Baselines: adopt loopdsl on an existing design and fail only on new
problems. A baseline records findings by code, file and element (never by
line), with a count for repeats, so it survives edits elsewhere in a file.
File paths are stored relative to the baseline file's folder."""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from loopdsl.model import Diagnostic

if TYPE_CHECKING:
    from loopdsl.linter.registry import Registry

VERSION = 1
MAX_COUNT = 1_000_000  # repeats of one finding: more is a corrupt file, not a design
Key = tuple[str, str, str]


class BaselineError(Exception):
    """A baseline file that cannot be read."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a baseline did to one run's findings."""

    new: list[Diagnostic]  # not in the baseline: these count
    matched: int  # let pass by the baseline
    fixed: list[tuple[Key, int]]  # entries nothing matched any more, with how many times


def _key(d: Diagnostic, folder: Path, cwd: Path) -> Key:
    file = Path(os.path.relpath(os.path.normpath(cwd / d.span.file), folder)).as_posix()
    return (d.code, file, d.element or d.message)


def dump(findings: list[Diagnostic], folder: Path, cwd: Path) -> str:
    """The baseline file's text for these findings (sorted, deterministic)."""
    counts = Counter(_key(d, folder, cwd) for d in findings)
    entries = [{"code": c, "file": f, "element": e, "count": n}
               for (c, f, e), n in sorted(counts.items())]
    return json.dumps({"loopdsl-baseline": VERSION, "findings": entries}, indent=2,
                      ensure_ascii=False) + "\n"


def parse(text: str, where: str, registry: Registry | None = None) -> Counter[Key]:
    """Read a baseline file's text, or raise ``BaselineError``. With a
    registry, a code recorded under a rule's former code or name (or in
    another case) counts as the rule's code today."""
    try:
        data: Any = json.loads(text)
        if data.get("loopdsl-baseline") != VERSION:
            raise ValueError(f"not a loopdsl baseline of version {VERSION}")
        counts: Counter[Key] = Counter()
        for entry in data["findings"]:
            code = str(entry["code"])
            rule = registry.lookup(code) if registry is not None else None
            key = (rule.code if rule is not None else code, str(entry["file"]),
                   str(entry["element"]))
            count = entry.get("count", 1)
            if type(count) is not int or not 1 <= count <= MAX_COUNT:
                raise ValueError(f"'count' must be a whole number from 1 to {MAX_COUNT:,}")
            counts[key] += count
        return counts
    except RecursionError:
        raise BaselineError(f"{where}: not a valid baseline file (nested too deeply)") from None
    except (ValueError, KeyError, TypeError, AttributeError, OverflowError) as e:
        raise BaselineError(f"{where}: not a valid baseline file ({e})") from None


def apply(findings: list[Diagnostic], recorded: Counter[Key], folder: Path,
          cwd: Path) -> Outcome:
    """Let recorded findings pass; report what is new and what was fixed."""
    left = Counter(recorded)
    new = []
    for d in findings:
        key = _key(d, folder, cwd)
        if left[key] > 0:
            left[key] -= 1
        else:
            new.append(d)
    fixed = sorted((k, n) for k, n in left.items() if n > 0)
    return Outcome(new, len(findings) - len(new), fixed)
