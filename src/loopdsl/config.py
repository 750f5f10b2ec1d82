"""Configuration: ``[tool.loopdsl]`` in pyproject.toml or a ``loopdsl.toml``,
found by walking up from each path named on the command line, as ruff does
and the workspace root that bounds imports."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from loopdsl.model import trusted
from loopdsl.paths import anchor_of, work_tree_top

SeverityName = Literal["error", "warning", "info", "off"]


class ConfigError(Exception):
    """A configuration the user must fix before anything runs."""


class Config(BaseModel):
    """The settings of one run; keys are spelled as in the file (kebab-case)."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True,
                              defer_build=True)

    select: list[str] | None = Field(
        default=None,
        description="codes, names or prefixes to enable (default: every rule that is on)")
    ignore: list[str] = Field(default_factory=list,
                              description="codes, names or prefixes to disable")
    extend_select: list[str] = Field(
        default_factory=list, alias="extend-select",
        description="enable these on top of select (e.g. rules that are off by default)")
    severity: dict[str, SeverityName] = Field(
        default_factory=dict, description="code or name -> error, warning, info or off")
    fail_on: Literal["error", "warning", "info"] = Field(
        default="warning", alias="fail-on",
        description="the lowest severity that makes the exit code 1")
    rule_paths: list[Path] = Field(
        default_factory=list, alias="rule-paths", description="folders of extra rule files")
    exclude: list[str] = Field(default_factory=list, description="globs of paths to skip")
    root: Path | None = Field(default=None, description="workspace root for imports")
    source: Path | None = Field(default=None, exclude=True,
                                description="the file this configuration came from")

    @classmethod
    def defaults(cls) -> Config:
        """Every setting at its default; cheaper than ``model_construct``, whose
        defaults path inspects each factory's signature."""
        return trusted(cls)

    def root_for(self, anchor: Path, top: Path | None = None) -> Path:
        """Where imports of the files at ``anchor`` (a folder) must stay: ``root``,
        else this configuration's folder, else the top of the git work tree
        holding ``anchor`` (``top`` when the caller knows it), else ``anchor``."""
        if self.root is not None:
            return self.root
        if self.source is not None:
            return self.source.parent
        anchor = anchor.resolve()
        return top or work_tree_top(anchor) or anchor


CONFIG_KEYS = sorted(
    (f.alias or name) for name, f in Config.model_fields.items() if name != "source"
)


def settle(path: str | os.PathLike[str], config_file: Path | None = None, *,
           top: Path | None = None, read: dict[Path | None, Config] | None = None,
           **overrides: Any) -> tuple[Path | None, Config, Path]:
    """For one path named by the user: the configuration file that applies
    (``config_file``, else the nearest above the path), its settings, and the
    workspace root. ``read`` keeps the files one run has read
    already (pre-commit names every changed file)."""
    anchor = anchor_of(path)
    found = config_file if config_file is not None else find_config(anchor, top)
    cache = read if read is not None else {}
    if found not in cache:
        cache[found] = load_config(found, search=False, **overrides)
    config = cache[found]
    return found, config, config.root_for(anchor, top)


def find_config(start: Path | None = None, top: Path | None = None) -> Path | None:
    """The nearest loopdsl.toml, or pyproject.toml with [tool.loopdsl], upwards
    (no higher than ``top`` when given)."""
    here = (start or Path.cwd()).resolve()
    folders = (here, *here.parents)
    if top is not None:
        top = top.resolve()
        folders = tuple(f for f in folders if f == top or top in f.parents)
    for folder in folders:
        candidate = folder / "loopdsl.toml"
        if candidate.is_file():
            return candidate
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and _has_tool_section(pyproject):
            return pyproject
    return None


def _has_tool_section(path: Path) -> bool:
    from loopdsl.files import read_text

    try:
        text = read_text(path)
        if "loopdsl" not in text:  # most pyproject.toml files: no need to parse
            return False
        data = tomllib.loads(text)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError):
        return False  # someone else's broken pyproject is not our configuration
    return isinstance(data.get("tool"), dict) and "loopdsl" in data["tool"]


def load_config(path: Path | None, *, search: bool = True, **overrides: Any) -> Config:
    """Read ``path`` (or, with ``search``, the one found above the current
    directory), then apply command-line ``overrides``."""
    path = path if path is not None or not search else find_config()
    data: dict[str, Any] = {}
    if path is not None:
        data = _read(path)
    data.update({k: v for k, v in overrides.items() if v is not None})
    if not data and path is None:
        return Config.defaults()  # nothing to validate
    try:
        config = Config.model_validate({**data, "source": path.resolve() if path else None})
    except ValidationError as e:
        where = path.as_posix() if path else "command line"
        raise ConfigError(f"{where}: {_explain(e)}") from None
    return _anchor(config)


def read_toml(path: Path, error: type[Exception]) -> dict[str, Any]:
    """A TOML file as a dict; any problem is ``error`` with a one-line message."""
    from loopdsl.files import read_text

    try:
        return tomllib.loads(read_text(path, cap=1 << 20))
    except OSError as e:
        raise error(f"{path}: cannot read: {e.strerror or e}") from None
    except UnicodeDecodeError:
        raise error(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as e:
        raise error(f"{path}: invalid TOML: {e}") from None
    except RecursionError:
        raise error(f"{path}: invalid TOML: nested too deeply") from None


def _read(path: Path) -> dict[str, Any]:
    data = read_toml(path, ConfigError)
    if path.name == "pyproject.toml":
        section = data.get("tool", {}).get("loopdsl")
        if section is None:
            raise ConfigError(f"{path}: has no [tool.loopdsl] section")
        data = section
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: [tool.loopdsl] must be a table")
    return data


def _explain(e: ValidationError) -> str:
    from loopdsl.diagnostics import did_you_mean

    err = e.errors()[0]
    key = ".".join(str(x) for x in err["loc"])
    if err["type"] == "extra_forbidden":
        hint = did_you_mean(key, CONFIG_KEYS)
        return (f"unknown key '{key}'" + (f"; {hint}" if hint else "")
                + f" (valid keys: {', '.join(CONFIG_KEYS)})")
    return f"'{key}': {err['msg']}"


def _anchor(config: Config) -> Config:
    """Relative paths in a config file are relative to that file's folder."""
    base = config.source.parent if config.source else Path.cwd()
    root = (base / config.root).resolve() if config.root is not None else None
    if root is not None and not root.is_dir():
        where = config.source.as_posix() if config.source else "command line"
        what = "is not a folder" if root.exists() else "does not exist"
        raise ConfigError(f"{where}: 'root': {root.as_posix()} {what}")
    paths = [(base / p).resolve() for p in config.rule_paths]
    return config.model_copy(update={"root": root, "rule_paths": paths})
