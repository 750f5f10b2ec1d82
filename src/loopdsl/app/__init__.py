"""The application layer: what every front end does between reading its
arguments and showing a result. The command line, the language server,
``serve`` and the benchmark call these functions; none repeats them.

Each returns values and raises typed errors (``AppError`` and its kin, and
the lower stages' ``LoadError`` and ``ConfigError``); nothing here prints,
reads the terminal or exits. Its modules:

- ``workspace``: paths grouped by configuration, loaded, linted and merged;
  the fail decision; the errors that stop a command; baselines.
- ``outputs``: the one gate every written file goes through.
- ``diff``: both sides of a diff, from two paths or a git revision.
- ``drift``: the code graph of an app, drift findings, a first design.
- ``gen``: generated code as a plan of writes, and its check.
- ``review``: the review document, and the live page's last good state.
"""

from __future__ import annotations

from loopdsl.model import Diagnostic


class AppError(Exception):
    """A problem the user must fix before the command can run: one line."""


class UsageProblem(AppError):
    """Options that do not go together (a usage error)."""


class DesignErrors(Exception):
    """The design has errors that stop the command (a syntax error, an
    unresolved name, a duplicate...): ``errors`` lists them."""

    def __init__(self, errors: list[Diagnostic]) -> None:
        super().__init__(f"{len(errors)} errors in the design")
        self.errors = errors
