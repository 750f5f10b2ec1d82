"""Rule files: the TOML schema of docs/team-rules.md, loaded strictly.

A rule file names what it selects and which check function must hold for
each selected element. Nothing in it is executed: the function is chosen by
name from a closed registry, its options are validated by that function's
own model, and message templates may only name placeholders.

The built-in files also describe the codes that other stages report (the
parser's LD001, the resolver's LD002-LD006, ...): those name the stage in
``reported-by`` and have no ``[select]`` or ``[check]``, but the same
summary, rationale, help and examples, so every code is documented and
tested the same way.
"""

from __future__ import annotations

import re
import string
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from loopdsl.config import read_toml
from loopdsl.model import Role, Value

ElementType = Literal["node", "flow", "loop", "system"]
SeverityName = Literal["error", "warning", "info", "off"]
# Who reports a code: the rule engine (a check function), or another stage.
ReportedBy = Literal["rules", "parser", "loader", "resolver", "suppression", "drift",
                     "conform"]
# As in ruff: preview rules run only when selected by their exact code or name;
# a removed rule's code stays known so that configurations can be told.
Status = Literal["stable", "preview", "removed"]
CODE_PATTERN = r"^[A-Z]+[0-9]+$"
NAME_PATTERN = r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$"

# Placeholders every element offers to message templates.
ELEMENT_PLACEHOLDERS = {
    "node": {"id", "label", "kind", "role", "system"},
    "flow": {"id", "label", "system", "source", "target"},
    "loop": {"id", "label", "system"},
    "system": {"id", "label", "system"},
}


class RuleFileError(Exception):
    """A rule file the user must fix; the message names the file and field."""


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True,
                              defer_build=True)


class EndFilter(_Strict):
    """Filters on a node: a selected node, or a selected flow's source or target."""

    role: list[Role] = Field(default_factory=list)
    kind: list[str] = Field(default_factory=list)
    attributes: dict[str, Value] = Field(default_factory=dict)
    any_of: dict[str, list[Value]] = Field(
        default_factory=dict, alias="any-of",
        description="the attribute is one of these values, or a list holding one of them")
    has: list[str] = Field(default_factory=list)
    missing: list[str] = Field(default_factory=list)

    @field_validator("role", "kind", mode="before")
    @classmethod
    def _one_or_many(cls, v: Any) -> Any:
        return [v] if isinstance(v, str) else v


class Select(EndFilter):
    """``[select]``: which elements the rule looks at."""

    element: ElementType
    source: EndFilter | None = None
    target: EndFilter | None = None


class Check(BaseModel):
    """``[check]``: the function's name plus its options (validated by the function)."""

    model_config = ConfigDict(frozen=True, extra="allow", defer_build=True)

    function: str

    @property
    def options(self) -> dict[str, Any]:
        """Everything but ``function``, as written."""
        return dict(self.model_extra or {})


class Example(_Strict):
    """An example workspace: documentation and a test."""

    expect: Literal["finding", "clean"]
    source: str
    description: str | None = None
    # For codes reported by `loopdsl drift`: the code's graph, as JSON in the
    # shape of LangGraph's `get_graph().to_json()`.
    graph: str | None = None
    # For codes reported by `loopdsl conform`: traces of runs, as OTLP/JSON
    # (one object per line).
    traces: str | None = None


class Reference(_Strict):
    """A published list's entry the rule answers to (OWASP, ATLAS, a law)."""

    id: str = Field(min_length=1)  # as the list writes it: "LLM01:2025"
    url: str = Field(pattern=r"^https://")
    title: str | None = None


class RuleFile(_Strict):
    """One rule, as written in its TOML file."""

    code: str = Field(pattern=CODE_PATTERN)
    name: str = Field(pattern=NAME_PATTERN)
    severity: SeverityName
    reported_by: ReportedBy = Field(default="rules", alias="reported-by")
    status: Status = "stable"
    aliases: list[str] = Field(default_factory=list,
                               description="former codes or names, still understood")
    summary: str | None = None
    message: str | None = None
    help: str | None = None
    rationale: str | None = None
    select: Select | None = None
    check: Check | None = None
    examples: list[Example] = Field(default_factory=list)
    references: list[Reference] = Field(default_factory=list)

    @model_validator(mode="after")
    def _engine_rules_say_what_they_check(self) -> RuleFile:
        engine = self.reported_by == "rules"
        for field in ("select", "check", "message"):
            given = getattr(self, field) is not None
            if engine and not given:
                raise ValueError(f"field '{field}': required field is missing")
            if not engine and given and field != "message":
                raise ValueError(f"field '{field}': a code reported by the "
                                 f"{self.reported_by} has no {field}")
        for alias in self.aliases:
            if not re.fullmatch(CODE_PATTERN[1:-1] + "|" + NAME_PATTERN[1:-1], alias):
                raise ValueError(f"field 'aliases': '{alias}' is neither a code nor a name")
        return self


def template_fields(template: str) -> list[str]:
    """The placeholders of a message template; only plain names are allowed
    (no attribute access, indexing or conversions)."""
    fields = []
    for _, name, spec, conversion in string.Formatter().parse(template):
        if name is None:
            continue
        if spec or conversion:
            extra = f"!{conversion}" if conversion else f":{spec}"
            raise ValueError(f"placeholder '{{{name}{extra}}}' has a format or conversion "
                             f"('{extra}'); write it as '{{{name}}}'")
        if not name.isidentifier():
            raise ValueError(f"placeholder '{{{name}}}' must be a plain name such as {{id}}")
        fields.append(name)
    return fields


def read_rule_file(path: Path) -> RuleFile:
    """Parse and validate one rule file, or raise ``RuleFileError``."""
    data = read_toml(path, RuleFileError)
    try:
        return RuleFile.model_validate(data)
    except ValidationError as e:
        err = e.errors()[0]
        field = ".".join(str(x) for x in err["loc"]) or "(file)"
        if err["type"] == "value_error":  # the validator names the field itself
            raise RuleFileError(f"{path}: {err['ctx']['error']}") from None
        why = {"extra_forbidden": "unknown field",
               "missing": "required field is missing"}.get(err["type"], err["msg"])
        if err["type"] == "extra_forbidden":
            from loopdsl.diagnostics import did_you_mean

            *parent, last = (str(x) for x in err["loc"])
            model: Any = RuleFile
            for part in parent:
                model = getattr(model.model_fields.get(part), "annotation", None)
                model = next((a for a in getattr(model, "__args__", (model,))
                              if isinstance(a, type) and issubclass(a, BaseModel)), None)
            known = ({f.alias or n for n, f in model.model_fields.items()}
                     if model is not None else set())
            hint = did_you_mean(last, known)
            why += f"; {hint}" if hint else ""
        raise RuleFileError(f"{path}: field '{field}': {why}") from None
