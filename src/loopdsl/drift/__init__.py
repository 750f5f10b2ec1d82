"""A design and the graph its code builds: the differences, as findings
(``compare``), and the first design of an app (``to_design``, for
``loopdsl import``).

Pure: ``loopdsl.drift.graph`` is the graph in one shape for every framework
and its JSON; ``loopdsl.drift.sources`` reads it from the app.
"""

from loopdsl.drift.compare import DriftError, choose_system, compare
from loopdsl.drift.design import guessed_roles, to_design
from loopdsl.drift.graph import SPECIAL, Bound, CodeEdge, CodeGraph, CodeNode, Route, from_json

__all__ = ["SPECIAL", "Bound", "CodeEdge", "CodeGraph", "CodeNode", "DriftError", "Route",
           "choose_system", "compare", "from_json", "guessed_roles", "to_design"]
