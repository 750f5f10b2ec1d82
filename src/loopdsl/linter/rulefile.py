"""Rule files: the TOML schema of SPEC §7, loaded strictly.

A rule file names what it selects and which check function must hold for
each selected element. Nothing in it is executed: the function is chosen by
name from a closed registry, its options are validated by that function's
own model, and message templates may only name placeholders.
"""

from __future__ import annotations

import string
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from loopdsl.config import read_toml
from loopdsl.model import Role, Value

ElementType = Literal["node", "flow", "loop", "system"]
SeverityName = Literal["error", "warning", "info", "off"]
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


class RuleFile(_Strict):
    """One rule, as written in its TOML file."""

    code: str = Field(pattern=CODE_PATTERN)
    name: str = Field(pattern=NAME_PATTERN)
    severity: SeverityName
    summary: str | None = None
    message: str
    help: str | None = None
    rationale: str | None = None
    select: Select
    check: Check
    examples: list[Example] = Field(default_factory=list)


def template_fields(template: str) -> list[str]:
    """The placeholders of a message template; only plain names are allowed
    (no attribute access, indexing or conversions)."""
    fields = []
    for _, name, spec, conversion in string.Formatter().parse(template):
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
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
        why = {"extra_forbidden": "unknown field",
               "missing": "required field is missing"}.get(err["type"], err["msg"])
        raise RuleFileError(f"{path}: field '{field}': {why}") from None
