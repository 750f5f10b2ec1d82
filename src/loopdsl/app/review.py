"""The design-review document (``doc``), and the live page ``serve`` keeps:
rebuilt on every save with the configuration and team rules read again,
and while the design has errors, those errors above the last good page."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from loopdsl.app import AppError
from loopdsl.app.conform import drawn_runs
from loopdsl.app.workspace import check, design, files_of, runs, watched
from loopdsl.model import Diagnostic, Workspace
from loopdsl.review import Review, build_review

if TYPE_CHECKING:
    from loopdsl.render.view import Runs


def draw(review: Review, workspace: Workspace, findings: list[Diagnostic],
         direction: str = "auto", runs: Runs | None = None,
         drawn: dict[str, str] | None = None) -> list[str]:
    """The HTML page's diagrams (``drawn``: the SVGs of DOT sources drawn
    before, reused); without Graphviz, a warning to show (the page then
    shows the diagram's Mermaid source)."""
    from loopdsl.render.dot import GraphvizFailed, GraphvizMissing
    from loopdsl.review import add_mermaid
    from loopdsl.review import draw as draw_svgs

    try:
        draw_svgs(review, workspace, findings, direction, runs, drawn)
    except (GraphvizMissing, GraphvizFailed) as e:
        add_mermaid(review, workspace, findings, direction, runs, loops=False)
        return [f"{e}; the page shows the diagram's Mermaid source instead"]
    return []


@dataclass(frozen=True, slots=True)
class Document:
    text: str
    warnings: list[str]
    inputs: list[Path]


def document(file: str, fmt: str, *, direction: str = "auto",
             config_file: Path | None = None, traces: Sequence[Path] = ()) -> Document:
    """FILE's review as Markdown (``md``) or one HTML file (``html``); with
    ``traces``, what the runs in them did drawn on its diagrams."""
    from loopdsl.review.document import to_html, to_markdown

    found = design(file, config_file)
    done = drawn_runs(found.workspace, traces)
    review = build_review(found.workspace, found.findings, found.registry, direction=direction,
                          root=found.root, runs=done, mermaid=fmt != "html")
    warnings: list[str] = []
    if fmt == "html":
        warnings = draw(review, found.workspace, found.findings, direction, done)
        text = to_html(review)
    else:
        text = to_markdown(review)
    return Document(text, warnings, [*found.inputs(), *traces])


@dataclass(frozen=True, slots=True)
class Page:
    """One version of the live page."""

    version: str
    html: str  # the whole page
    body: str  # what replaces the page's <main> after a save
    warnings: tuple[str, ...] = ()


class LivePage:
    """The review of PATHS as ``serve`` shows it, built again on each save."""

    def __init__(self, paths: Sequence[str], config_file: Path | None = None,
                 traces: Sequence[Path] = ()) -> None:
        self.paths = list(paths)
        self.config_file = config_file
        self.traces = list(traces)  # read again on each build: new runs show
        self._good: Review | None = None  # the last review of a design without errors
        self._seen: list[Path] = []  # what the last build read: imports, configurations
        self._drawn: dict[str, str] = {}  # the last page's diagrams: DOT source -> SVG

    def build(self, version: str) -> Page:
        """The page now: the configuration is looked up again, so an edited
        ``loopdsl.toml`` or team rule takes effect on the next save. The
        cyclic collector waits until the page is built (``serve`` collects
        after publishing it): its rescans of the model cost a fifth of a
        build."""
        from loopdsl.loader import paused_gc

        with paused_gc():
            return self._build(version)

    def _build(self, version: str) -> Page:
        from loopdsl.review.document import body, to_html

        checked = check(runs(self.paths, self.config_file))
        workspace = checked.workspace
        self._seen = [Path(f.path) for f in workspace.files] + checked.watched()
        errors = checked.stops()
        warnings: list[str] = []
        if errors and self._good is not None:
            review = dataclasses.replace(self._good, version=version, problems=errors)
        else:
            try:
                done = drawn_runs(workspace, self.traces)
            except AppError as e:  # a traces file being rewritten: drawn without it
                done, warnings = None, [f"{e}; drawn without the traces"]
            review = build_review(workspace, checked.findings, checked.registry,
                                  root=checked.runs[0].root, runs=done, mermaid=False)
            warnings += draw(review, workspace, checked.findings, runs=done,
                             drawn=self._drawn)
            review.version, review.problems = version, errors
            if not errors:
                self._good = review
        page = to_html(review)
        return Page(version, page, body(page), tuple(warnings))

    def files(self) -> list[Path]:
        """Every file whose change makes a new page: the designs PATHS name,
        what the last build read, the configurations and team rule files,
        and the traces."""
        groups = runs(self.paths, self.config_file)
        return list(dict.fromkeys([*files_of(groups), *watched(groups), *self._seen,
                                   *self.traces]))
