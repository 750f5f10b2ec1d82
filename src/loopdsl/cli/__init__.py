"""The ``loopdsl`` command: reads arguments, calls the application layer
(``loopdsl.app``), prints what it returns and chooses the exit code. One
module per command (or small family of commands) under ``commands/``; the
options several commands share in ``options``, writing and printing in
``output``.

Exit codes, for every command: 0 success or nothing at or above
``fail-on``; 1 findings at or above ``fail-on``; 2 usage error, unreadable
file, bad configuration or internal error, with one line on stderr (a
traceback only when ``LOOPDSL_DEBUG=1``).
"""

from __future__ import annotations

import gc
import os
import signal
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

import click

from loopdsl import __version__
from loopdsl.cli.commands import (
    check,
    conform,
    diff,
    drift,
    fmt,
    gen,
    project,
    render,
    rules,
    serve,
)
from loopdsl.cli.output import (
    EXIT_ERROR,
    EXIT_FINDINGS,
    EXIT_READER_LEFT,
    UserError,
    show_errors,
)

# Commands that stay up: they keep the garbage collector on (see ``cli``).
LONG_RUNNING = frozenset({"serve", "lsp"})


class _Group(click.Group):
    """Turns known failures into one-line errors and unknown ones into exit 2."""

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True,
             **extra: Any) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            return super().main(args, prog_name, complete_var, False, **extra)
        except click.UsageError as e:
            # One line, like every other error (click prints usage and a hint).
            where = e.ctx.command_path if e.ctx is not None else "loopdsl"
            click.echo(f"loopdsl: error: {e.format_message()} (see `{where} --help`)", err=True)
            sys.exit(e.exit_code)
        except click.ClickException as e:
            e.show()
            sys.exit(e.exit_code)
        except click.Abort:
            click.echo("loopdsl: interrupted", err=True)
            sys.exit(130)

    def invoke(self, ctx: click.Context) -> Any:
        from loopdsl.app import AppError, DesignErrors, UsageProblem
        from loopdsl.config import ConfigError
        from loopdsl.loader import LoadError

        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except UsageProblem as e:  # as click's own usage errors are told
            where = " ".join(filter(None, [ctx.command_path, ctx.invoked_subcommand]))
            click.echo(f"loopdsl: error: {e} (see `{where} --help`)", err=True)
            sys.exit(click.UsageError.exit_code)
        except (AppError, LoadError, ConfigError) as e:
            raise UserError(str(e)) from None
        except DesignErrors as e:
            show_errors(e.errors)
            sys.exit(EXIT_FINDINGS)
        except KeyboardInterrupt:
            click.echo("loopdsl: interrupted", err=True)
            sys.exit(130)
        except BrokenPipeError:
            _reader_left()
        except Exception as e:
            if os.environ.get("LOOPDSL_DEBUG") == "1":
                raise
            _internal_error(e)


def _reader_left() -> NoReturn:
    """The program reading the output stopped reading (`loopdsl rules | head -1`):
    no failure of loopdsl, nothing to report. End as Unix tools end on SIGPIPE,
    with nothing more written to the closed pipe."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    sys.exit(EXIT_READER_LEFT)


def _internal_error(e: BaseException) -> NoReturn:
    detail = str(e).splitlines()[0] if str(e) else ""
    detail = detail if len(detail) <= 200 else detail[:199] + "…"
    click.echo(
        f"loopdsl: internal error: {type(e).__name__}{': ' + detail if detail else ''} "
        "(set LOOPDSL_DEBUG=1 for a traceback, and please report it)",
        err=True,
    )
    sys.exit(EXIT_ERROR)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="loopdsl")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Architecture-as-code for AI systems.

    Describe a system as loops of context -> model -> interface -> feedback in
    .loop files; check them for broken loops (check, rules, explain), keep them
    tidy (fmt), draw them (render), write design reviews (doc, serve), generate
    stub code (gen), compare two versions (diff), the design with the app's
    code (drift, import, graph) or with traces of real runs (conform), and
    export the typed model (export, schema); `lsp` serves editors. Exit
    codes: 0 fine, 1 findings (or changes for fmt --check), 2 the run itself
    failed. Run `loopdsl COMMAND --help` for a
    command's options; docs/commands.md describes every command.
    """
    # `main` pauses the collector for one-shot commands (see there); a command
    # that stays up allocates for hours and keeps it on.
    if ctx.invoked_subcommand in LONG_RUNNING:
        gc.enable()


for command in (check.check, fmt.fmt, rules.rules, rules.explain, render.render, render.doc,
                serve.serve, gen.gen, project.export, project.schema, project.init,
                diff.diff, drift.drift, drift.import_, drift.graph, conform.conform, serve.lsp):
    cli.add_command(command)


def _ended(signum: int, frame: object) -> NoReturn:
    raise SystemExit(128 + signum)


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the console script."""
    # A one-shot command's objects form no cycles worth collecting, and the
    # collector's rescans of the model cost more than anything they free (a
    # third of `check` at 10,000 nodes). `serve` and `lsp` turn it back on.
    gc.disable()
    # A polite end (kill, a closed terminal) unwinds like an error: temporary
    # files and folders are removed on the way out, never left behind.
    for signum in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if signum is not None:
            signal.signal(signum, _ended)
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
    code: int | str | None = 0
    try:
        cli.main(args=list(argv) if argv is not None else None, prog_name="loopdsl")
    except SystemExit as e:  # click ends every run this way
        code = e.code
    if not isinstance(code, int):
        raise SystemExit(code)
    # Everything is written and closed: end the process without the interpreter's
    # teardown, which frees every module and model object one by one (a tenth of
    # a small `check`; mypy ends the same way).
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # a closed pipe (`loopdsl rules | head -1`), or stdout
        pass  # closed by the language server's exit: nothing left to say
    os._exit(code)
