"""The conform report (``--report OUT``) in JSON, Markdown or HTML, from the
figures ``loopdsl.conform`` counts."""

from __future__ import annotations

import html
import json
from typing import Any

from loopdsl.printable import json_safe, plain, printable

FORMATS = {".json": "json", ".md": "md", ".html": "html", ".htm": "html"}


def _n(value: Any) -> str:
    return "-" if value is None else plain(value)


def _tables(report: dict[str, Any]) -> list[tuple[str, list[str], list[list[str]]]]:
    """The report's tables: title, header, rows (text, unescaped)."""
    nodes = [[n["id"], str(n["visits"]), _n(n["median_ms"]), _n(n["p95_ms"]),
              _n(n["latency_ms"])] for n in report["nodes"]]
    flows = [[f"{f['source']} -> {f['target']}", str(f["taken"])] for f in report["flows"]]
    loops = []
    for lp in report["loops"]:
        t, lat, tok = lp["turns"], lp["turn_latency_ms"], lp["tokens_per_turn"]
        loops.append([lp["id"], str(lp["runs"]), f"{_n(t['p50'])} / {_n(t['p95'])} / "
                      f"{_n(t['max'])}", _n(lp["max_iterations"]), str(lp["runs_at_bound"]),
                      f"{_n(lat['p50'])} / {_n(lat['p95'])}", _n(lp["budget_ms"]),
                      f"{_n(tok['p50'])} / {_n(tok['p95'])}" if tok else "-"])
    unmapped = [[u["name"], str(u["spans"])] for u in report["unmapped"]]
    return [
        ("Nodes", ["node", "visits", "median ms", "p95 ms", "latency_ms declared"], nodes),
        ("Flows", ["flow", "taken"], flows),
        ("Loops", ["loop", "runs", "turns p50 / p95 / max", "max_iterations",
                   "runs at the bound", "turn ms p50 / p95", "budget_ms",
                   "tokens per turn p50 / p95"], loops),
        ("Spans that are no visit (most frequent)", ["name", "spans"], unmapped),
    ]


def _summary(report: dict[str, Any]) -> str:
    if not report["runs"]:
        return (f"No runs of system '{report['system']}' in the traces read "
                f"({report['spans']} spans): nothing to compare.")
    runs = f"{report['runs']} run{'s' if report['runs'] != 1 else ''}"
    return (f"{runs} of system '{report['system']}': {report['spans']} spans "
            f"read, {report['visits']} visits of its nodes.")


def to_json(report: dict[str, Any]) -> str:
    return json_safe(json.dumps(report, indent=2, ensure_ascii=False)) + "\n"


def to_markdown(report: dict[str, Any]) -> str:
    def cell(text: str) -> str:
        return printable(text).replace("|", "\\|").replace("\n", " ")

    out = [f"# Design against runs: {cell(report['system'])}", "", cell(_summary(report))]
    for title, header, rows in _tables(report):
        if not rows:
            continue
        out += ["", f"## {title}", "", "| " + " | ".join(header) + " |",
                "|" + "---|" * len(header)]
        out += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(out) + "\n"


def to_html(report: dict[str, Any]) -> str:
    def esc(text: str) -> str:
        return html.escape(printable(text))

    title = f"Design against runs: {report['system']}"
    out = ["<!doctype html>", '<html lang="en"><head><meta charset="utf-8">',
           '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
           'style-src \'unsafe-inline\'">',
           f"<title>{esc(title)}</title>",
           "<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;"
           "padding:0 1rem}table{border-collapse:collapse;margin:.5rem 0 1.5rem}"
           "td,th{border:1px solid #ccc;padding:.25rem .6rem;text-align:left}"
           "td:not(:first-child){text-align:right}</style></head><body>",
           f"<h1>{esc(title)}</h1>", f"<p>{esc(_summary(report))}</p>"]
    for caption, header, rows in _tables(report):
        if not rows:
            continue
        out.append(f"<h2>{esc(caption)}</h2><table><tr>"
                   + "".join(f"<th>{esc(h)}</th>" for h in header) + "</tr>")
        out += ["<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>" for row in rows]
        out.append("</table>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def render(report: dict[str, Any], fmt: str) -> str:
    return {"json": to_json, "md": to_markdown, "html": to_html}[fmt](report)
