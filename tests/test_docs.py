"""docs/commands.md documents every command `loopdsl --help` lists, each
option of each, and the exit codes; every command's --help stands on its
own (a summary, and no reference a user cannot follow)."""

from __future__ import annotations

import re

import click
import pytest

from conftest import ROOT
from loopdsl.cli import cli

COMMANDS = sorted(cli.list_commands(click.Context(cli)))
REFERENCE = (ROOT / "docs" / "commands.md").read_text(encoding="utf-8")


def _section(name: str) -> str:
    match = re.search(rf"^## {re.escape(name)}\n(.*?)(?=^## |\Z)", REFERENCE, re.M | re.S)
    assert match, f"docs/commands.md has no section for `{name}`"
    return match.group(1)


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_and_option_is_documented(name):
    section = _section(name)
    command = cli.get_command(click.Context(cli), name)
    assert command is not None
    for param in command.params:
        if isinstance(param, click.Option):
            longest = max(param.opts, key=len)
            assert longest in section, f"`{name}` section does not mention {longest}"
    assert f"[`{name}`](#{name})" in REFERENCE  # in the index at the top


def test_exit_codes_are_documented():
    codes = _section("Exit codes") if "## Exit codes" in REFERENCE else ""
    assert all(f"**{c}**" in codes for c in (0, 1, 2))


@pytest.mark.parametrize("name", COMMANDS)
def test_help_stands_on_its_own(run, name):
    result = run(name, "--help")
    assert result.exit_code == 0
    text = result.stdout
    assert text.startswith("Usage:")
    assert not re.search(r"§\s*\d", text)  # no section numbers of a document users lack
    command = cli.get_command(click.Context(cli), name)
    assert command is not None and command.help and len(command.help.split()) >= 8
