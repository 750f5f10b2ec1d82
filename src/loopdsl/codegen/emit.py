"""The planned package -> its files' text, through the jinja2 templates
beside this module."""

from __future__ import annotations

import functools
from pathlib import Path

import jinja2

from loopdsl.codegen.names import package_name
from loopdsl.codegen.plan import plan
from loopdsl.model import Workspace


@functools.lru_cache(maxsize=1)
def _templates() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=False, undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
        trim_blocks=True, lstrip_blocks=True)
    # The only way user text enters the code: a literal in ASCII (no
    # confusable or invisible character reaches the source).
    env.filters["py"] = ascii
    return env


GENERATED = "generated.py"
USER_NODES = "nodes.py"


def default_package(workspace: Workspace) -> str:
    """The package's name when none is given: the first design file's."""
    first = workspace.systems[0].file if workspace.systems else "design"
    return package_name(Path(first).stem)


def generate(workspace: Workspace, package: str | None = None,
             root: Path | None = None) -> dict[str, tuple[str, bool]]:
    """Every file of the package (by default named after the first design
    file): path -> (text, regenerated?). With ``root``, the header names the
    design's files from the workspace root, so the text is the same whichever
    folder ``gen`` runs in."""
    project = plan(workspace, package or default_package(workspace), root)
    env = _templates()
    top = project.name
    out = {f"{top}/{GENERATED}": (env.get_template("base.py.j2").render(project=project), True),
           f"{top}/__init__.py": (env.get_template("package.py.j2").render(project=project),
                                  False)}
    for pkg in project.packages:
        for template, name, regenerated in [
            ("generated.py.j2", GENERATED, True),
            ("init.py.j2", "__init__.py", False),
            ("nodes.py.j2", USER_NODES, False),
            ("test.py.j2", f"test_{pkg.name}.py", False),
        ]:
            text = env.get_template(template).render(p=pkg, project=project)
            out[f"{top}/{pkg.name}/{name}"] = (text, regenerated)
    return out
