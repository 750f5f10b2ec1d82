"""Where the data files shipped with loopdsl (grammar/, rules/) live.

In a wheel they are inside the package (pyproject's force-include). An
editable install maps only src/ onto the import path, so there the top-level
folders of the source checkout are used instead.
"""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path


def data_dir(name: str) -> Traversable:
    """The shipped folder ``name`` (``"grammar"`` or ``"rules"``)."""
    packaged = files("loopdsl").joinpath(name)
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parents[2] / name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"loopdsl is installed without its {name}/ folder")
