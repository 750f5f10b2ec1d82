"""Time from a `didChange` to the `publishDiagnostics` it causes, with the real
server (`python -m loopdsl lsp`) and a real client (pytest-lsp's), on a
1,000-node file of the benchmark's workspace. The aim is half a second.

    python bench/lsp_latency.py [--nodes 1000] [--runs 10]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from generate import generate


async def measure(nodes: int, runs: int) -> list[float]:
    from lsprotocol import types as lsp
    from pygls.uris import from_fs_path
    from pytest_lsp import client_capabilities, make_test_lsp_client

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "loopdsl.toml").write_text("")
        files = generate(nodes, folder)
        path = max(files, key=lambda f: f.stat().st_size)
        text = path.read_text()
        uri = from_fs_path(str(path)) or ""
        client = make_test_lsp_client()
        await client.start_io(sys.executable, "-m", "loopdsl", "lsp")
        await client.initialize_session(lsp.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"), root_uri=from_fs_path(tmp)))
        client.text_document_did_open(lsp.DidOpenTextDocumentParams(
            text_document=lsp.TextDocumentItem(uri=uri, language_id="loopdsl", version=1,
                                               text=text)))
        await client.wait_for_notification(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        times = []
        for i in range(runs):
            edited = text + f"# edit {i}\n"
            start = time.perf_counter()
            client.text_document_did_change(lsp.DidChangeTextDocumentParams(
                text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=i + 2),
                content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=edited)]))
            await client.wait_for_notification(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
            times.append(time.perf_counter() - start)
        await client.shutdown_session()
        await client.stop()
        return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nodes", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=10)
    args = ap.parse_args()
    times = asyncio.run(measure(args.nodes, args.runs))
    print(f"didChange -> publishDiagnostics, {args.nodes:,}-node file: median "
          f"{statistics.median(times):.3f} s, worst {max(times):.3f} s over {args.runs} changes")


if __name__ == "__main__":
    main()
