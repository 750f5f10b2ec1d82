"""Names: node ids of one system that look alike (Unicode TR39 skeletons)."""

from __future__ import annotations

import functools
from collections.abc import Iterator

from loopdsl.linter.functions import Element, Finding, Options, RuleContext, check_function
from loopdsl.model import Node, Related


@functools.cache
def _prototypes() -> dict[str, str]:
    """Each identifier character's prototype, from Unicode's confusables.txt."""
    from importlib.resources import files

    table = {}
    text = files("loopdsl.linter").joinpath("confusables.txt").read_text(encoding="utf-8")
    for line in text.splitlines():
        if line and not line.startswith("#"):
            char, *prototype = line.split()
            table[chr(int(char, 16))] = "".join(chr(int(h, 16)) for h in prototype)
    return table


def skeleton(text: str) -> str:
    """The TR39 skeleton of ``text``: equal skeletons look alike."""
    import unicodedata

    table = _prototypes()
    mapped = "".join(table.get(c, c) for c in unicodedata.normalize("NFD", text))
    return unicodedata.normalize("NFD", mapped)


@check_function("distinct-ids", elements={"node"}, provides={"other"})
def distinct_ids(ctx: RuleContext, elements: list[Element], opts: Options) -> Iterator[Finding]:
    """Holds when no earlier node of the same system has an id that looks the
    same (equal TR39 skeletons: Latin `a` and Cyrillic `\u0430`, say). Pairs of
    ASCII ids are left alone (`l1` and `ll`), and a system whose ids are all
    ASCII is not even looked at."""
    by_system: dict[str, list[Node]] = {}
    for e in elements:
        assert isinstance(e.obj, Node)
        by_system.setdefault(e.obj.system, []).append(e.obj)
    for nodes in by_system.values():
        if all(n.id.isascii() for n in nodes):
            continue
        first_of: dict[str, Node] = {}
        for node in nodes:
            first = first_of.setdefault(skeleton(node.id), node)
            if first.id != node.id and not (first.id.isascii() and node.id.isascii()):
                yield Finding(Element("node", node), {"other": first.id},
                              related=[Related(message=f"'{first.id}' is here", span=first.span)])
