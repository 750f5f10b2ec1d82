"""`loopdsl serve` and `loopdsl lsp`: the commands that stay up, the live
review page and the language server."""

from __future__ import annotations

from pathlib import Path

import click

from loopdsl.cli.options import config_option, traces_option


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535),
              help="The port to listen on (0: any free one).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="The address to listen on; the default serves this machine only.")
@traces_option("Draw what the runs in these traces did (as `render --traces`), read again "
               "when they change. Traces")
@config_option("Read settings from this file instead of the nearest one above each path.")
def serve(paths: tuple[str, ...], port: int, host: str, traces: tuple[Path, ...],
          config_file: Path | None) -> None:
    """Serve the design-review page of PATHS (default: the current directory)
    on localhost, kept current: every save updates the open page in place,
    keeping its zoom and scroll.

    The diagram pans and zooms, a loop can be picked to highlight its flows;
    while a file does not parse, its syntax errors show above the last good
    page. Edits to loopdsl.toml, pyproject.toml's [tool.loopdsl] and the
    team's rule files count as saves. Everything the page needs comes from
    this command: no network. Ctrl-C stops it (exit code 0).
    """
    from loopdsl.app.review import LivePage, Page
    from loopdsl.cli.output import UserError, warn
    from loopdsl.serve import Site, is_loopback, run

    if not is_loopback(host):
        warn(f"serving on {host}: anyone who can reach this machine there can read the "
             "design (the default, 127.0.0.1, serves this machine only)")
    live = LivePage(paths, config_file, traces)

    def build(version: str) -> Page:
        page = live.build(version)
        for line in page.warnings:
            warn(line)
        return page

    try:
        site = Site(build, live.files)
        run(site, host, port, lambda line: click.echo(line, err=True))
    except KeyboardInterrupt:
        return  # Ctrl-C while the first page was built: as any other time, exit 0
    except OSError as e:
        raise UserError(f"cannot serve on {host}:{port}: {e.strerror or e}") from None


@click.command()
def lsp() -> None:
    """Run a language server on stdin and stdout, for any editor.

    Diagnostics as `check` gives them (unsaved text included), hover, go to
    definition, references, rename, completion, document symbols, formatting
    and quick fixes; edits to the configuration and team rule files are
    picked up. Needs the optional extra: pip install 'loopdsl[lsp]'.
    """
    from loopdsl.cli.output import UserError

    try:
        from loopdsl.lsp.server import main as serve_stdio
    except ImportError as e:
        if e.name not in ("pygls", "lsprotocol") and not str(e.name).startswith(
                ("pygls.", "lsprotocol.")):
            raise
        raise UserError("loopdsl lsp needs pygls: pip install 'loopdsl[lsp]'") from None
    serve_stdio()
