"""``render`` and ``diff --render``: a design or a change drawn in one of
the diagram formats. DOT and Mermaid are text; SVG, PNG and PDF are drawn
by Graphviz's ``dot``, whose absence is an ``AppError`` saying how to
install it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from loopdsl.app import AppError
from loopdsl.app.workspace import design
from loopdsl.diff import Diff

IMAGE_FORMATS = ("svg", "png", "pdf")


def _image(dot: str, fmt: str) -> bytes:
    from loopdsl.render.dot import GraphvizFailed, GraphvizMissing, to_image

    try:
        return to_image(dot, fmt)
    except (GraphvizMissing, GraphvizFailed) as e:
        raise AppError(str(e)) from None


@dataclass(frozen=True, slots=True)
class Drawing:
    data: str | bytes
    inputs: list[Path]  # the files it was drawn from (never an output)


def drawing(file: str, fmt: str, *, loop_id: str | None = None, findings: bool = False,
            direction: str = "auto", config_file: Path | None = None,
            traces: Sequence[Path] = ()) -> Drawing:
    """FILE's workspace, or one loop of it, in ``fmt`` (dot, mermaid, svg,
    png or pdf); with ``findings``, nodes and flows with findings marked;
    with ``traces``, what the runs in them did drawn on it."""
    from loopdsl.app.conform import drawn_runs
    from loopdsl.render.view import ViewError

    found = design(file, config_file)
    marked = found.findings if findings else None
    done = drawn_runs(found.workspace, traces)
    try:
        if fmt == "mermaid":
            from loopdsl.render.mermaid import to_mermaid

            data: str | bytes = to_mermaid(found.workspace, loop=loop_id, findings=marked,
                                           direction=direction, runs=done)
        else:
            from loopdsl.render.dot import to_dot

            data = to_dot(found.workspace, loop=loop_id, findings=marked, direction=direction,
                          runs=done)
            if fmt in IMAGE_FORMATS:
                data = _image(data, fmt)
    except ViewError as e:
        raise AppError(str(e)) from None
    return Drawing(data, [*found.inputs(), *traces])


def change_drawing(result: Diff, fmt: str) -> Drawing:
    """The union of a diff's two versions in ``fmt`` (mermaid, dot or svg)."""
    from loopdsl.diff import diagram

    data: str | bytes = (diagram.to_mermaid(result) if fmt == "mermaid"
                         else diagram.to_dot(result))
    if fmt == "svg":
        data = _image(str(data), "svg")
    cwd = Path.cwd()
    inputs = [cwd / f.path for ws in (result.old, result.new_workspace) for f in ws.files]
    return Drawing(data, inputs)
