"""The review as Markdown or HTML, through the jinja2 templates beside this
module. Markdown escapes user text for tables and inline markup; HTML
autoescapes everything but the Graphviz SVG, which Graphviz escaped."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import jinja2
from markupsafe import Markup

from loopdsl.printable import printable
from loopdsl.review import Review

_MD_INLINE = re.compile(r"([\\`*_\[\]|~#])")
_MD_LINE_START = re.compile(r"^(\s*)([-+>]|\d+[.)])(?=\s|$)", re.M)  # list, quote


def md(value: object, table: bool = True) -> str:
    """User text made literal in Markdown. In a table cell (the default) a
    newline is a ``<br>``; in a paragraph (``table=False``) it stays."""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_INLINE.sub(r"\\\1", text)
    text = _MD_LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), text)
    return text.replace("\n", "<br>") if table else text


@functools.lru_cache(maxsize=2)
def _environment(html: bool) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=html, undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
        trim_blocks=True, lstrip_blocks=True,
    )
    env.filters["md"] = md
    env.filters["svg"] = lambda svg: Markup(_svg_element(svg))
    return env


def to_markdown(review: Review) -> str:
    """GitHub-flavoured Markdown; the diagram is a ```mermaid block."""
    return printable(_environment(False).get_template("review.md.j2").render(r=review))


def to_html(review: Review) -> str:
    """One self-contained HTML file: inline CSS, SVG and the viewer's script
    (pan, zoom, loop picker; live updates when `serve` sent it), no network."""
    svg = Markup(_svg_element(review.svg)) if review.svg else None
    script, digest = _viewer()
    return printable(_environment(True).get_template("review.html.j2").render(
        r=review, svg=svg, script=Markup(script), script_hash=digest))


def body(page: str) -> str:
    """The part of a page from ``to_html`` that `serve` replaces after a save."""
    start = page.index('<main id="review">') + len('<main id="review">')
    return page[start : page.index("</main>", start)]


@functools.lru_cache(maxsize=1)
def _viewer() -> tuple[str, str]:
    """The viewer's script and the hash the page's CSP allows it by."""
    import base64
    import hashlib

    script = (Path(__file__).parent / "templates" / "viewer.js").read_text(encoding="utf-8")
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()
    return script, f"sha256-{digest}"


def _svg_element(svg: str) -> str:
    """Graphviz's SVG without its XML prolog and doctype, ready to inline."""
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else ""
