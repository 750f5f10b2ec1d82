"""The rule registry: the one place that knows which codes exist.

Every code is described by a TOML file (docs/team-rules.md): the rules the engine runs,
built-in and the team's (``rule-paths``), and the codes other stages report
(the parser's LD001, the resolver's LD002-LD006, the suppression pass's
LD007, drift's LD3xx, conform's LD4xx), which carry the same summary, rationale, help and
examples. ``build(config)`` loads them, checks each rule against the check
functions, and applies the configuration (select, ignore, extend-select,
severity); the value it returns is handed to lint, to every report format,
to ``rules``, ``explain``, the rule reference and the review checklist.

Codes and names are matched without regard to case, and a rule's former
codes and names (``aliases``) keep old configurations, suppressions and
baselines working.
"""

from __future__ import annotations

import functools
import string
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

import loopdsl.linter.checks  # noqa: F401 -- the built-in check functions register on import
from loopdsl.cache import cached
from loopdsl.config import Config, ConfigError
from loopdsl.diagnostics import did_you_mean
from loopdsl.linter.functions import CheckFunction, Options, known_functions, lookup
from loopdsl.linter.rulefile import (
    ELEMENT_PLACEHOLDERS,
    RuleFile,
    RuleFileError,
    read_rule_file,
    template_fields,
)
from loopdsl.model import Diagnostic, Severity
from loopdsl.paths import display_path
from loopdsl.resources import data_dir

# Codes that configuration may not switch off: a file that does not parse must
# always fail the run.
ALWAYS_ON = frozenset({"LD001"})


@dataclass(frozen=True, slots=True)
class Rule:
    """One code: its rule file, and for rules the engine runs, the function."""

    spec: RuleFile
    origin: str  # "builtin" or the path of a team's rule file
    function: CheckFunction | None = None
    options: Options | None = None

    @property
    def code(self) -> str:
        return self.spec.code

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def default_severity(self) -> str:
        """error, warning, info or off, as the rule file says."""
        return self.spec.severity

    @property
    def summary(self) -> str:
        """One line; a team rule without a summary shows its message."""
        return self.spec.summary or filled(self.spec.message or self.name)

    @property
    def runs(self) -> bool:
        """Is this a rule the engine runs (rather than another stage's code)?"""
        return self.function is not None

    @property
    def graph(self) -> bool:
        """Does the rule follow flows? Such rules skip a system whose graph is
        incomplete (an unresolved reference, a node of unknown kind)."""
        return self.function is not None and self.function.graph


def filled(template: str) -> str:
    """A message or help template shown for the rule rather than a finding:
    placeholders read ``<id>``, never ``{id}``."""
    out = []
    for literal, name, _, _ in string.Formatter().parse(template):
        out.append(literal)
        if name is not None:
            out.append(f"<{name}>")
    return "".join(out)


@dataclass(frozen=True, slots=True)
class Registry:
    """Every known code, in catalog order, and what this run does with each."""

    rules: tuple[Rule, ...]
    severity: dict[str, Severity]  # enabled codes only
    _keys: dict[str, Rule] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if not self._keys:
            for rule in self.rules:
                for key in (rule.code, rule.name, *rule.spec.aliases):
                    self._keys.setdefault(key.casefold(), rule)

    def lookup(self, key: str) -> Rule | None:
        """The rule a code, name or alias names, whatever its case."""
        return self._keys.get(key.strip().casefold())

    def suggest(self, key: str) -> str | None:
        """``"did you mean 'LD101'?"`` for an unknown code or name."""
        spelled = {k: r.code if k == r.code.casefold() else r.name
                   for k, r in self._keys.items() if r.spec.status != "removed"}
        hint = did_you_mean(key.casefold(), set(spelled))
        if hint is None:
            return None
        guess = hint.split("'")[1]
        return f"did you mean '{spelled[guess]}'?"

    def enabled(self, code: str) -> bool:
        return code in self.severity

    def structural(self, code: str) -> bool:
        """Is ``code`` reported while reading the design (parser, loader,
        resolver): a design with such an error cannot be drawn or generated."""
        rule = self.lookup(code)
        return rule is not None and rule.spec.reported_by in ("parser", "loader", "resolver")

    def running(self) -> list[Rule]:
        """The enabled rules the engine runs, in code order."""
        return [r for r in self.rules if r.runs and r.code in self.severity]

    def grade(self, d: Diagnostic) -> Diagnostic:
        """``d`` with the severity this run gives its code."""
        sev = self.severity.get(d.code)
        return d if sev is None or sev == d.severity else d.model_copy(update={"severity": sev})

    def only(self, code: str) -> Registry:
        """The same rules with just ``code`` enabled (and what is always on), at
        its default severity: what a rule's examples are checked with."""
        enabled = {code, *ALWAYS_ON}
        return Registry(self.rules, {r.code: Severity(r.default_severity
                                                      if r.default_severity != "off"
                                                      else "warning")
                                     for r in self.rules if r.code in enabled}, self._keys)

    def union(self, other: Registry) -> Registry:
        """Both registries' rules (the first's where codes meet), for one report
        over workspaces checked with different configurations."""
        mine = {r.code for r in self.rules}
        return Registry((*self.rules, *(r for r in other.rules if r.code not in mine)),
                        {**other.severity, **self.severity})


# --- loading ----------------------------------------------------------------------


def _builtin_files() -> list[Any]:
    folder = data_dir("rules")
    return sorted((f for f in folder.iterdir() if f.name.endswith(".toml")),
                  key=lambda f: f.name)


@functools.lru_cache(maxsize=1)
def builtin_rules() -> tuple[Rule, ...]:
    """The shipped rule files, validated (memoised on disk by their bytes)."""
    import hashlib

    import pydantic

    from loopdsl import __version__

    files = _builtin_files()
    digest = hashlib.sha256(f"{__version__}\0{pydantic.VERSION}".encode())
    for f in files:
        digest.update(f.name.encode() + b"\0" + f.read_bytes())
    stored = cached(f"builtin-rules-{digest.hexdigest()[:16]}.pickle", lambda: [
        (r.spec, r.options) for r in (_validate(read_rule_file(Path(str(f))), "builtin",
                                                f.name, builtin=True) for f in files)])
    return tuple(_revived(spec, options, "builtin") for spec, options in stored)


def _revived(spec: RuleFile, options: Options | None, origin: str) -> Rule:
    """A stored rule with its function looked up again: code is never pickled."""
    if spec.check is None:
        return Rule(spec, origin)
    fn = lookup(spec.check.function)
    if fn is None:  # a plugin uninstalled since the rule was stored
        raise RuleFileError(f"{origin}: field 'check.function': unknown function "
                            f"'{spec.check.function}'")
    return Rule(spec, origin, fn, options)


def team_rules(paths: tuple[Path, ...], cwd: Path) -> tuple[Rule, ...]:
    """Every ``*.toml`` in the ``rule-paths`` folders, validated; read again
    when a file is added, removed or changed (`serve` and `lsp` stay up)."""
    stamp = []
    for folder in paths:
        for path in sorted(folder.glob("*.toml")) if folder.is_dir() else []:
            try:
                st = path.stat()
            except OSError:
                continue  # read (and reported) below
            stamp.append((str(path), st.st_mtime_ns, st.st_size))
    return _team_rules(paths, cwd, tuple(stamp))


@functools.lru_cache(maxsize=8)
def _team_rules(paths: tuple[Path, ...], cwd: Path,
                stamp: tuple[tuple[str, int, int], ...]) -> tuple[Rule, ...]:
    rules = []
    for folder in paths:
        if not folder.is_dir():
            raise RuleFileError(f"{folder}: rule-paths entry is not a folder")
        for path in sorted(folder.glob("*.toml")):
            shown = display_path(path, cwd)
            rules.append(_validate(read_rule_file(path), shown, shown, builtin=False))
    return tuple(rules)


def all_rules(rule_paths: Sequence[Path] = ()) -> tuple[Rule, ...]:
    """Built-in codes, then the team's; a code, name or alias used twice is an error."""
    rules = builtin_rules() + team_rules(tuple(rule_paths), Path.cwd())
    seen: dict[str, Rule] = {}
    for rule in rules:
        for field_name, key in [("code", rule.code), ("name", rule.name),
                                *(("aliases", a) for a in rule.spec.aliases)]:
            other = seen.get(key.casefold())
            if other is not None and other is not rule:
                raise RuleFileError(f"{rule.origin}: field '{field_name}': '{key}' is "
                                    f"already used by {other.code} ({other.origin})")
            seen[key.casefold()] = rule
    return rules


def _validate(spec: RuleFile, origin: str, where: str, *, builtin: bool) -> Rule:
    if spec.select is None or spec.check is None:
        if not builtin:
            raise RuleFileError(f"{where}: field 'reported-by': a team's rules are "
                                "run by the rule engine; leave it out")
        return Rule(spec, origin)
    fn = lookup(spec.check.function)
    if fn is None:
        raise RuleFileError(f"{where}: field 'check.function': unknown function "
                            f"'{spec.check.function}' (known: {', '.join(known_functions())})")
    select = spec.select
    element = select.element
    if element not in fn.elements:
        raise RuleFileError(f"{where}: field 'select.element': '{spec.check.function}' checks "
                            f"{', '.join(sorted(fn.elements))}, not {element}")
    if element != "flow" and (select.source or select.target):
        raise RuleFileError(f"{where}: field 'select.source': only flows have a source "
                            "and a target")
    if element != "node" and (select.role or select.kind):
        field_name = "select.role" if select.role else "select.kind"
        raise RuleFileError(f"{where}: field '{field_name}': only nodes have a role and a kind"
                            + ("; use [select.source] or [select.target]"
                               if element == "flow" else ""))
    try:
        options = fn.options.model_validate(spec.check.options)
    except ValidationError as e:
        err = e.errors()[0]
        loc = ".".join(str(x) for x in err["loc"])
        what = ("unknown option" if err["type"] == "extra_forbidden"
                else str(err["ctx"]["error"]) if err["type"] == "value_error" else err["msg"])
        raise RuleFileError(f"{where}: field 'check{'.' + loc if loc else ''}': {what}") from None
    allowed = ELEMENT_PLACEHOLDERS[element] | fn.provides
    for field_name in ("message", "help"):
        template = getattr(spec, field_name)
        if template is None:
            continue
        try:
            names = template_fields(template)
        except ValueError as e:
            raise RuleFileError(f"{where}: field '{field_name}': {e}") from None
        unknown = [n for n in names if n not in allowed]
        if unknown:
            raise RuleFileError(
                f"{where}: field '{field_name}': placeholder '{{{unknown[0]}}}' is not "
                f"provided (available: {', '.join('{' + a + '}' for a in sorted(allowed))})")
    return Rule(spec, origin, fn, options)


# --- applying a configuration -------------------------------------------------------


def build(config: Config | None = None) -> Registry:
    """The registry of one run: every rule, and the severity of each enabled code.

    An unknown or removed code, name or prefix in the configuration is a
    ``ConfigError`` that suggests the closest valid one.
    """
    config = config if config is not None else Config.defaults()
    try:
        rules = all_rules(config.rule_paths)
    except RuleFileError as e:
        raise ConfigError(str(e)) from None
    known = Registry(rules, {})
    live = [r for r in rules if r.spec.status != "removed"]

    def expand(selectors: Iterable[str], setting: str) -> Iterator[tuple[Rule, bool]]:
        """The rules a setting names, each with whether it was named exactly."""
        for sel in selectors:
            exact = known.lookup(sel)
            if exact is not None:
                if exact.spec.status == "removed" and setting != "ignore":
                    raise ConfigError(f"{setting}: rule '{sel}' ({exact.code} {exact.name}) "
                                      f"was removed; {exact.summary}")
                yield exact, True
                continue
            wanted = sel.strip().upper()
            hits = live if wanted == "ALL" else [r for r in live if r.code.startswith(wanted)]
            if not hits:
                hint = known.suggest(sel)
                raise ConfigError(f"{setting}: unknown rule code or name '{sel}'"
                                  + (f"; {hint}" if hint else "")
                                  + " (see `loopdsl rules`)")
            # Preview rules are opted into one by one, never by a prefix.
            yield from ((r, False) for r in hits if r.spec.status == "stable")

    def codes(selectors: Iterable[str], setting: str) -> set[str]:
        return {r.code for r, _ in expand(selectors, setting)}

    if config.select is None:
        enabled = {r.code for r in live
                   if r.spec.status == "stable" and r.default_severity != "off"}
    else:
        enabled = codes(config.select, "select")
    enabled |= codes(config.extend_select, "extend-select")
    # A severity other than off turns a rule on, e.g. one that is off by default.
    graded = {r.code: sev for key, sev in config.severity.items()
              for r, _ in expand([key], "severity")}
    enabled |= {code for code, sev in graded.items() if sev != "off"}
    enabled -= codes(config.ignore, "ignore")
    enabled -= {code for code, sev in graded.items() if sev == "off"}
    enabled |= ALWAYS_ON
    by_code = {r.code: r for r in rules}
    severity: dict[str, Severity] = {}
    for code in sorted(enabled):
        default = by_code[code].default_severity
        sev = graded.get(code, default) if code not in ALWAYS_ON else default
        # A rule that is off by default runs as a warning once selected.
        severity[code] = Severity(sev if sev != "off" else "warning")
    return Registry(rules, severity, known._keys)
