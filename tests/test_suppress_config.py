"""Suppression comments and configuration, through the real CLI."""

from __future__ import annotations

import json

import pytest

from conftest import findings

# Clean but for: LD108 + LD102 at line 8 (orphan interface), LD201 at line 1.
DESIGN = """system s "S" {
  context c
  model m
  interface ui
  feedback fb
  loop l { c -> m -> ui -> fb -> c }
  c -> m
  interface old{SUFFIX}
}
"""


def design(suffix: str = "", head: str = "") -> str:
    return head + DESIGN.replace("{SUFFIX}", suffix)


def codes(result) -> list[tuple[str, int]]:
    return [(c, line) for c, line, _ in findings(result)]


def test_unsuppressed_baseline(run, write):
    write("d.loop", design())
    assert codes(run("check", "-f", "json", "d.loop")) == [
        ("LD201", 1), ("LD102", 8), ("LD108", 8)]


@pytest.mark.parametrize(("comment", "left"), [
    ("  # loopdsl: ignore[LD108]", [("LD201", 1), ("LD102", 8)]),
    ("  # loopdsl: ignore[orphan-node, open-loop]", [("LD201", 1)]),
    ("  # loopdsl: ignore", [("LD201", 1)]),
    ("  # loopdsl:ignore[LD108,LD102]", [("LD201", 1)]),
    ("  # note: legacy UI  # loopdsl: ignore[LD102, LD108]", [("LD201", 1)]),
    ("  # loopdsl: IGNORE[ld102, Orphan-Node]", [("LD201", 1)]),
    # prose that mentions the directive is not one
    ("  # note: legacy UI, loopdsl: ignore[LD102, LD108]",
     [("LD201", 1), ("LD102", 8), ("LD108", 8)]),
    ("  # TODO: remove once loopdsl: ignore works", [("LD201", 1), ("LD102", 8), ("LD108", 8)]),
    # a half-written directive suppresses nothing and says what is wrong
    ("  # loopdsl: ignore[LD102", [("LD201", 1), ("LD102", 8), ("LD108", 8), ("LD007", 8)]),
    ("  # loopdsl: ignore LD102", [("LD201", 1), ("LD102", 8), ("LD108", 8), ("LD007", 8)]),
])
def test_line_suppression(run, write, comment, left):
    write("d.loop", design(comment))
    assert codes(run("check", "-f", "json", "d.loop")) == left


def test_unused_suppressions_are_ld007_on_the_comment_line(run, write):
    write("d.loop", design("  # loopdsl: ignore[LD108, LD109, no-loops]",
                           "# loopdsl: ignore-file[LD202]\n# loopdsl: ignore\n"))
    got = codes(run("check", "-f", "json", "d.loop"))
    assert got == [("LD007", 1), ("LD007", 2), ("LD201", 3), ("LD102", 10), ("LD007", 10),
                   ("LD007", 10)]


def test_ld007_is_info_and_does_not_fail_the_run(run, write):
    write("d.loop", 'system s { owner: "x" }  # loopdsl: ignore[LD108]\n')
    result = run("check", "-f", "json", "d.loop")
    assert result.exit_code == 0
    assert [(f["code"], f["severity"]) for f in json.loads(result.stdout)] == [("LD007", "info")]


def test_file_suppression(run, write):
    write("d.loop", design(head="# loopdsl: ignore-file[LD201, open-loop]\n"))
    assert codes(run("check", "-f", "json", "d.loop")) == [("LD108", 9)]


def test_suppression_in_a_string_is_not_a_comment(run, write):
    write("d.loop", design(' "# loopdsl: ignore"'))
    assert ("LD108", 8) in codes(run("check", "-f", "json", "d.loop"))


# --- configuration ---------------------------------------------------------------


def test_select_ignore_extend_select_and_prefixes(run, write):
    write("d.loop", design())
    assert codes(run("check", "-f", "json", "--select", "LD2", "--ignore", "LD204",
                     "d.loop")) == [("LD201", 1)]
    assert codes(run("check", "-f", "json", "--ignore", "LD1", "d.loop")) == [("LD201", 1)]
    assert codes(run("check", "-f", "json", "--ignore", "open-loop,missing-owner",
                     "d.loop")) == [("LD108", 8)]
    write("loopdsl.toml", 'extend-select = ["LD204"]\nignore = ["LD201"]\n')
    assert ("LD204", 2) in codes(run("check", "-f", "json", "d.loop"))
    # ruff's precedence: the command line's --select replaces the file's selection
    assert codes(run("check", "-f", "json", "--select", "LD108", "d.loop")) == [("LD108", 8)]


def test_severity_overrides_and_fail_on(run, write):
    write("d.loop", design())
    write("loopdsl.toml", '[severity]\nLD102 = "info"\norphan-node = "info"\nLD201 = "off"\n')
    result = run("check", "-f", "json", "d.loop")
    assert [(f["code"], f["severity"]) for f in json.loads(result.stdout)] == [
        ("LD102", "info"), ("LD108", "info")]
    assert result.exit_code == 0
    assert run("check", "--fail-on", "info", "d.loop").exit_code == 1


def test_fail_on_error_lets_warnings_pass(run, write):
    write("d.loop", design().replace("interface old", "context old"))
    result = run("check", "-f", "json", "d.loop")
    assert result.exit_code == 1  # LD107/LD108 are warnings
    assert run("check", "--fail-on", "error", "d.loop").exit_code == 0


def test_pyproject_section(run, write):
    write("pyproject.toml", '[tool.loopdsl]\nignore = ["LD1"]\n')
    write("d.loop", design())
    assert codes(run("check", "-f", "json", "d.loop")) == [("LD201", 1)]


def test_config_is_found_walking_up_and_loopdsl_toml_wins(run, write, tmp_path):
    write("loopdsl.toml", 'ignore = ["LD1"]\n')
    write("pyproject.toml", '[tool.loopdsl]\nignore = ["LD2"]\n')
    write("sub/deeper/d.loop", design())
    result = run("check", "-f", "json", "d.loop", cwd=tmp_path / "sub" / "deeper")
    assert codes(result) == [("LD201", 1)]


def test_explicit_config_file(run, write):
    write("elsewhere/strict.toml", 'select = ["LD201"]\n')
    write("d.loop", design())
    result = run("check", "-f", "json", "--config", "elsewhere/strict.toml", "d.loop")
    assert codes(result) == [("LD201", 1)]


@pytest.mark.parametrize(("setting", "word"), [
    ('select = ["LD999"]', "LD999"),
    ('ignore = ["nope"]', "nope"),
    ('[severity]\nLD101 = "fatal"', "severity"),
    ('[severity]\nXX1 = "info"', "XX1"),
    ('colour = true', "colour"),
    ('fail-on = "never"', "fail-on"),
])
def test_unknown_keys_and_codes_are_clear_errors(run, write, setting, word):
    write("loopdsl.toml", setting + "\n")
    write("d.loop", design())
    result = run("check", "d.loop")
    assert result.exit_code == 2
    assert word in result.stderr and result.stderr.count("\n") == 1
    assert "Traceback" not in result.output


def test_unknown_selector_on_the_command_line(run, write):
    write("d.loop", design())
    result = run("check", "--select", "LD19", "d.loop")
    assert result.exit_code == 2
    assert "unknown rule code or name 'LD19'; did you mean 'LD109'?" in result.stderr


def test_ld001_cannot_be_switched_off(run, write):
    write("d.loop", "system s {")
    result = run("check", "--ignore", "LD001", "-f", "json", "d.loop")
    assert [f["code"] for f in json.loads(result.stdout)] == ["LD001"]


def test_default_settings_without_validation_equal_validated_defaults():
    # Config.defaults() skips pydantic (a cold check must not build a
    # validator); it must give exactly what validating nothing gives.
    from loopdsl.config import Config

    made, validated = Config.defaults(), Config.model_validate({})
    assert made == validated and made.model_dump() == validated.model_dump()
    assert made.ignore is not Config.defaults().ignore  # lists are not shared
