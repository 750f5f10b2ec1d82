"""Workspace -> stub Python code: one package with a subpackage per system
(the generation-gap pattern).

``generate`` returns ``{relative path: (text, regenerated)}``; the application
layer decides what to write: regenerated files always, the others only when absent (or with
``--force``). User text reaches the code only as ``ascii()`` literals; every
name is a sanitised, ASCII, collision-free identifier.

A loop's runner calls the loop's own nodes: the nodes of its system that its
flows name, except context fed by no flow at all (a question, a document
index: what the world hands the loop). A turn wires into each own node the
flows the loop states and every flow from context or from another system;
what those bring from outside the loop is the loop's external input, an
argument of ``turn`` and ``run``. A model, interface or feedback node's flow
stated elsewhere belongs to another loop's turn: its field stays None (so a
node shared by many loops does not make each of them take all their inputs).
"""

from loopdsl.codegen.audit import Problem, audit
from loopdsl.codegen.emit import GENERATED, USER_NODES, default_package, generate
from loopdsl.codegen.names import Names, package_name, package_problem
from loopdsl.codegen.plan import Project, plan

__all__ = ["GENERATED", "USER_NODES", "Names", "Problem", "Project", "audit", "default_package",
           "generate", "package_name", "package_problem", "plan"]
