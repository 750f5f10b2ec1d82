"""The rules of a run: built-in rule files plus the team's (``rule-paths``),
checked against the function registry, then narrowed and re-graded by the
configuration (select, ignore, extend-select, severity)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from loopdsl.cache import cached
from loopdsl.config import Config, ConfigError
from loopdsl.diagnostics import STRUCTURAL
from loopdsl.linter.functions import CheckFunction, Options, known_functions, lookup
from loopdsl.linter.rulefile import (
    ELEMENT_PLACEHOLDERS,
    RuleFile,
    RuleFileError,
    read_rule_file,
    template_fields,
)
from loopdsl.loader import display_path
from loopdsl.model import Severity
from loopdsl.resources import data_dir

# Structural codes that configuration may not switch off: a file that does
# not parse must always fail the run.
ALWAYS_ON = {"LD001"}


@dataclass(frozen=True, slots=True)
class Rule:
    """A validated rule, ready to run."""

    spec: RuleFile
    function: CheckFunction
    options: Options
    origin: str  # "builtin" or the rule file's path

    @property
    def code(self) -> str:
        return self.spec.code

    @property
    def name(self) -> str:
        return self.spec.name


@dataclass(frozen=True, slots=True)
class ActiveRules:
    """What one run checks: rules to run and the severity of every enabled code."""

    rules: list[Rule]
    severity: dict[str, Severity]  # enabled codes only, structural ones included


def builtin_rule_paths() -> list[Any]:
    """The shipped rule files, in code order."""
    folder = data_dir("rules")
    return sorted((f for f in folder.iterdir() if f.name.endswith(".toml")),
                  key=lambda f: f.name)


def load_rules(extra_paths: tuple[Path, ...] = ()) -> list[Rule]:
    """Built-in rules, then every ``*.toml`` in ``extra_paths``; strict."""
    return _load_rules(extra_paths, Path.cwd())


@functools.lru_cache(maxsize=8)
def _load_rules(extra_paths: tuple[Path, ...], cwd: Path) -> list[Rule]:
    """Validated rules, cached on disk under a hash of every rule file's bytes."""
    import hashlib

    import pydantic

    from loopdsl import __version__

    digest = hashlib.sha256(f"{__version__}\0{pydantic.VERSION}\0{cwd}".encode())
    try:
        for f in builtin_rule_paths():
            digest.update(f.name.encode() + b"\0" + f.read_bytes())
        for folder in extra_paths:
            for path in sorted(folder.glob("*.toml")) if folder.is_dir() else [folder]:
                digest.update(str(path).encode() + b"\0" + path.read_bytes())
    except OSError:
        return _validate_rules(extra_paths, cwd)
    # Functions are stored by name and looked up again: code is never pickled.
    stored = cached(f"rules-{digest.hexdigest()[:16]}.pickle", lambda: [
        (r.spec, r.options, r.origin) for r in _validate_rules(extra_paths, cwd)])
    rules = []
    for spec, options, origin in stored:
        fn = lookup(spec.check.function)
        if fn is None:  # a plugin uninstalled since: validate again, with its error
            return _validate_rules(extra_paths, cwd)
        rules.append(Rule(spec, fn, options, origin))
    return rules


def _validate_rules(extra_paths: tuple[Path, ...], cwd: Path) -> list[Rule]:
    rules: list[Rule] = []
    for f in builtin_rule_paths():
        rules.append(_validate(read_rule_file(Path(str(f))), "builtin", f.name))
    for folder in extra_paths:
        if not folder.is_dir():
            raise RuleFileError(f"{folder}: rule-paths entry is not a folder")
        for path in sorted(folder.glob("*.toml")):
            shown = display_path(path, cwd)
            rules.append(_validate(read_rule_file(path), shown, shown))
    seen: dict[str, str] = {code: "structural" for code in STRUCTURAL}
    seen |= {name: "structural" for name, _, _ in STRUCTURAL.values()}
    for rule in rules:
        for key in (rule.code, rule.name):
            if key in seen:
                field = "code" if key == rule.code else "name"
                raise RuleFileError(f"{rule.origin}: field '{field}': '{key}' is already used "
                                    f"by {seen[key]}")
            seen[key] = rule.origin
    return rules


def _validate(spec: RuleFile, origin: str, where: str) -> Rule:
    fn = lookup(spec.check.function)
    if fn is None:
        raise RuleFileError(f"{where}: field 'check.function': unknown function "
                            f"'{spec.check.function}' (known: {', '.join(known_functions())})")
    element = spec.select.element
    if element not in fn.elements:
        raise RuleFileError(f"{where}: field 'select.element': '{spec.check.function}' checks "
                            f"{', '.join(sorted(fn.elements))}, not {element}")
    if element != "flow" and (spec.select.source or spec.select.target):
        raise RuleFileError(f"{where}: field 'select.source': only flows have a source "
                            "and a target")
    if element != "node" and (spec.select.role or spec.select.kind):
        field = "select.role" if spec.select.role else "select.kind"
        raise RuleFileError(f"{where}: field '{field}': only nodes have a role and a kind"
                            + ("; use [select.source] or [select.target]"
                               if element == "flow" else ""))
    try:
        options = fn.options.model_validate(spec.check.options)
    except ValidationError as e:
        err = e.errors()[0]
        loc = ".".join(str(x) for x in err["loc"])
        what = "unknown option" if err["type"] == "extra_forbidden" else err["msg"]
        raise RuleFileError(f"{where}: field 'check{'.' + loc if loc else ''}': {what}") from None
    allowed = ELEMENT_PLACEHOLDERS[element] | fn.provides
    for field in ("message", "help"):
        template = getattr(spec, field)
        if template is None:
            continue
        try:
            names = template_fields(template)
        except ValueError as e:
            raise RuleFileError(f"{where}: field '{field}': {e}") from None
        unknown = [n for n in names if n not in allowed]
        if unknown:
            raise RuleFileError(
                f"{where}: field '{field}': placeholder '{{{unknown[0]}}}' is not provided "
                f"(available: {', '.join('{' + a + '}' for a in sorted(allowed))})")
    return Rule(spec, fn, options, origin)


def active_rules(config: Config) -> ActiveRules:
    """Apply the configuration to the rules; unknown codes are ``ConfigError``."""
    try:
        rules = load_rules(tuple(config.rule_paths))
    except RuleFileError as e:
        raise ConfigError(str(e)) from None
    defaults: dict[str, str] = {code: sev.value for code, (_, sev, _) in STRUCTURAL.items()}
    names: dict[str, str] = {name: code for code, (name, _, _) in STRUCTURAL.items()}
    for rule in rules:
        defaults[rule.code] = rule.spec.severity
        names[rule.name] = rule.code
    codes = list(defaults)

    def expand(selectors: Sequence[str], setting: str) -> set[str]:
        chosen: set[str] = set()
        for sel in selectors:
            if sel == "ALL":
                chosen |= set(codes)
            elif sel in names:
                chosen.add(names[sel])
            else:
                hits = {c for c in codes if c.startswith(sel)}
                if not hits:
                    raise ConfigError(f"{setting}: unknown rule code or name '{sel}' "
                                      f"(known codes: {', '.join(sorted(codes))})")
                chosen |= hits
        return chosen

    if config.select is None:
        enabled = {c for c, sev in defaults.items() if sev != "off"}
    else:
        enabled = expand(config.select, "select")
    enabled |= expand(config.extend_select, "extend-select")
    # A severity other than off turns a rule on, e.g. one that is off by default.
    graded = {code: sev for key, sev in config.severity.items()
              for code in expand([key], "severity")}
    enabled |= {code for code, sev in graded.items() if sev != "off"}
    enabled -= expand(config.ignore, "ignore")
    enabled -= {code for code, sev in graded.items() if sev == "off"}
    enabled |= ALWAYS_ON
    severity: dict[str, Severity] = {}
    for code in enabled:
        sev = graded.get(code, defaults[code]) if code not in ALWAYS_ON else defaults[code]
        # A rule that is off by default runs as a warning once selected.
        severity[code] = Severity(sev if sev != "off" else "warning")
    return ActiveRules([r for r in rules if r.code in severity], severity)
