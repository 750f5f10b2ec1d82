"""The commands that stay up are not one-shot commands: `serve` and `lsp`
keep the garbage collector on, and an edit to `loopdsl.toml` or to a team
rule file changes what they report without a restart."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pygls.uris import from_fs_path
from pytest_lsp import ClientServerConfig, LanguageClient

from conftest import Server, start, subprocess_run, with_team_rules

DESIGN = """system s {
  owner: "x"
  context c
  model m
  interface i
  feedback f
  context spare
  c -> m -> i -> f -> c
  loop answer { c -> m -> i -> f -> c }
}
"""
TEAM_RULE = """code = "ACME001"
name = "models-have-a-provider"
severity = "warning"
message = "model '{id}' names no provider"
[select]
element = "node"
role = "model"
[check]
function = "attributes-present"
names = ["provider"]
"""


def _workspace(folder: Path) -> Path:
    (folder / "rules").mkdir()
    (folder / "loopdsl.toml").write_text('ignore = ["LD108", "LD107"]\n')
    (folder / "design.loop").write_text(DESIGN)
    return folder


def _now_strict(folder: Path) -> None:
    """The edit under test: the configuration stops ignoring LD107/LD108 and
    names a folder of team rules, which gains a rule."""
    with_team_rules(folder, {"provider.toml": TEAM_RULE})


# --- the collector ------------------------------------------------------------------

PROBE = textwrap.dedent("""
    import gc, sys
    import loopdsl.serve, loopdsl.cli.output as output

    def run(site, host, port, announce):  # instead of serving: say what serve runs with
        print("serve collects:", gc.isenabled(), flush=True)

    finish = output.finish
    def finished(*args, **kwargs):
        print("check collects:", gc.isenabled(), flush=True)
        finish(*args, **kwargs)

    loopdsl.serve.run, output.finish = run, finished
    from loopdsl.cli import main
    main(sys.argv[1:])
""")


@pytest.mark.parametrize("command, expected", [
    (["check", "design.loop"], "check collects: False"),
    (["serve", "--port", "0", "design.loop"], "serve collects: True"),
])
def test_the_collector_is_off_for_one_shot_commands_only(tmp_path, command, expected):
    _workspace(tmp_path)
    proc = subprocess.run([sys.executable, "-c", PROBE, *command], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert expected in proc.stdout, proc.stdout + proc.stderr


# --- serve --------------------------------------------------------------------------


@pytest.mark.slow
def test_serve_picks_up_an_edited_configuration_and_team_rule(tmp_path):
    folder = _workspace(tmp_path)
    server: Server = start(folder)
    try:
        first = server.state()
        _, page, _ = server.get("")
        assert "ACME001" not in page and "LD108" not in page
        time.sleep(0.05)  # a new modification time even on coarse clocks
        _now_strict(folder)
        after = server.wait_for(first["version"])
        assert "ACME001" in after["html"] and "LD108" in after["html"]
    finally:
        server.proc.kill()
        server.proc.wait()


# --- lsp ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def lsp_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _workspace(tmp_path_factory.mktemp("lsp-settings"))


@pytest_lsp.fixture(scope="module", config=ClientServerConfig(
    server_command=[sys.executable, "-m", "loopdsl", "lsp"]))
async def client(lsp_client: LanguageClient, lsp_folder: Path):
    lsp_client.registrations = []  # type: ignore[attr-defined]

    @lsp_client.feature(lsp.CLIENT_REGISTER_CAPABILITY)
    def register(params: lsp.RegistrationParams) -> None:
        lsp_client.registrations += params.registrations  # type: ignore[attr-defined]

    await lsp_client.initialize_session(lsp.InitializeParams(
        capabilities=pytest_lsp.client_capabilities("visual-studio-code"),
        root_uri=from_fs_path(str(lsp_folder))))
    yield
    await lsp_client.shutdown_session()


async def _diagnostics(client: LanguageClient, uri: str) -> set[str]:
    while True:
        params = await client.wait_for_notification(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        if params.uri == uri:
            return {str(d.code) for d in params.diagnostics}


@pytest.mark.slow
@pytest.mark.asyncio(loop_scope="module")
async def test_lsp_picks_up_an_edited_configuration_and_team_rule(client: LanguageClient,
                                                                  lsp_folder: Path):
    design = lsp_folder / "design.loop"
    uri = from_fs_path(str(design)) or ""
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(
        text_document=lsp.TextDocumentItem(uri=uri, language_id="loopdsl", version=1,
                                           text=design.read_text())))
    assert await _diagnostics(client, uri) == set()
    # The server asked to hear of changed configuration and rule files.
    (watched,) = [r for r in client.registrations  # type: ignore[attr-defined]
                  if r.method == lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES]
    options = watched.register_options
    watchers = options["watchers"] if isinstance(options, dict) else options.watchers
    globs = [w["globPattern"] if isinstance(w, dict) else w.glob_pattern for w in watchers]
    assert "**/*.toml" in globs and "**/loopdsl.toml" in globs
    _now_strict(lsp_folder)
    client.workspace_did_change_watched_files(lsp.DidChangeWatchedFilesParams(changes=[
        lsp.FileEvent(uri=from_fs_path(str(lsp_folder / name)) or "",
                      type=lsp.FileChangeType.Changed)
        for name in ("loopdsl.toml", "rules/provider.toml")]))
    codes = await _diagnostics(client, uri)
    assert {"ACME001", "LD108"} <= codes
    # What check says now, the editor says too.
    proc = subprocess_run("check", "-f", "concise", "design.loop", cwd=lsp_folder)
    assert {line.split()[1] for line in proc.stdout.splitlines()} == codes
