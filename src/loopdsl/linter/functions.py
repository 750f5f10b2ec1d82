"""The check-function API: what a function is given (elements, a rule
context with the flow graph and a memo), what it returns (findings), how it
is registered and looked up. Rule files name functions from a closed set
(docs/team-rules.md); the built-in ones live in ``linter.checks``, grouped
by what they check, and more come from Python packages through the
entry-point group ``loopdsl.functions``, built on this module.

Graph work is memoised per lint run, so rules sharing a question share its
answer, and every function is linear in nodes + flows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict

from loopdsl.graph import FlowGraph
from loopdsl.linter.rulefile import EndFilter, RuleFileError
from loopdsl.model import Flow, Kind, Loop, Node, Related, Span, System, Workspace

# --- what functions work on ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Element:
    """A node, flow, loop or system, with what messages and filters need.

    Only the type and the object are stored; ids, keys and labels are worked
    out when asked, which is rarely (a finding's message, its key): a lint
    run makes one element per node and flow, and most never fail a check.
    """

    type: str
    obj: Node | Flow | Loop | System

    @property
    def attributes(self) -> dict[str, Any]:
        """The element's attributes with valid values."""
        return self.obj.attributes

    @property
    def written(self) -> dict[str, Span]:
        """Every attribute key the element sets, whether or not its value is
        valid: a typed attribute with the wrong type (LD006) still counts as set."""
        return self.obj.attribute_spans

    @property
    def span(self) -> Span:
        """Where the element is defined (a flow: its first statement)."""
        return self.obj.span

    @property
    def system(self) -> str:
        """The id of the system the element belongs to (a system: its own)."""
        return self.obj.id if isinstance(self.obj, System) else self.obj.system

    @property
    def id(self) -> str:
        """The id as messages show it; a flow's reads ``source -> target``."""
        obj = self.obj
        if isinstance(obj, Flow):
            return f"{short_id(obj.source, obj.system)} -> {short_id(obj.target, obj.system)}"
        return obj.id

    @property
    def key(self) -> str:
        """What diagnostics name the element by: ``node:s.n``, ``flow:s.a->s.b``, ..."""
        obj = self.obj
        if isinstance(obj, Node):
            return f"node:{obj.qualified_id}"
        if isinstance(obj, Flow):
            return f"flow:{obj.source}->{obj.target}"
        if isinstance(obj, Loop):
            return f"loop:{obj.system}.{obj.id}"
        return f"system:{obj.id}"

    @property
    def label(self) -> str:
        """The label, or for a flow without one, its id."""
        return (self.obj.label or self.id) if isinstance(self.obj, Flow) else self.obj.label

    def placeholders(self) -> dict[str, str]:
        """Values for ``{id}``, ``{label}``, ... in message templates."""
        values = {"id": self.id, "label": self.label, "system": self.system}
        if isinstance(self.obj, Node):
            values |= {"kind": self.obj.kind, "role": self.obj.role or "unknown"}
        elif isinstance(self.obj, Flow):
            values |= {"source": short_id(self.obj.source, self.system),
                       "target": short_id(self.obj.target, self.system)}
        return values


def short_id(qid: str, system: str) -> str:
    """A node id as a message of ``system`` names it: ``kb``, or ``platform.kb``."""
    return qid.split(".", 1)[1] if qid.startswith(system + ".") else qid


def elements_of(workspace: Workspace, element_type: str) -> list[Element]:
    """Every element of one type, in source order."""
    objects: list[Node] | list[Flow] | list[Loop] | list[System]
    if element_type == "node":
        objects = workspace.nodes()
    elif element_type == "flow":
        objects = workspace.flows()
    elif element_type == "loop":
        objects = workspace.loops()
    else:
        objects = workspace.systems
    return [Element(element_type, obj) for obj in objects]


@dataclass(slots=True)
class Finding:
    """A check that did not hold: where, and values for the message."""

    element: Element
    values: dict[str, Any] = field(default_factory=dict)
    span: Span | None = None
    related: list[Related] = field(default_factory=list)


class RuleContext:
    """What check functions may consult: the workspace, its graph, and a memo."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.graph = FlowGraph(workspace)
        self.kinds: dict[str, Kind] = {k.name: k for k in workspace.kinds}
        self.loops: dict[tuple[str, str], list[Loop]] = {}
        for loop in workspace.loops():
            for key in loop.flows:
                self.loops.setdefault(key, []).append(loop)
        self._memo: dict[Any, Any] = {}

    def memo(self, key: Any, compute: Callable[[], Any]) -> Any:
        """``compute()`` once per lint run for each ``key``."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def kind_chain(self, kind: str) -> list[str]:
        """``kind`` and the kinds it derives from, ending at a role when it does."""
        chain = [kind]
        while kind in self.kinds and self.kinds[kind].base not in chain:
            kind = self.kinds[kind].base
            chain.append(kind)
        return chain

    def node_matches(self, node: Node, f: EndFilter) -> bool:
        """Does ``node`` pass a role / kind / attribute filter?"""
        if f.role and node.role not in f.role:
            return False
        if f.kind and not set(f.kind) & set(self.kind_chain(node.kind)):
            return False
        return attributes_match(node.attributes, node.attribute_spans, f)

    def nodes_matching(self, f: EndFilter) -> list[str]:
        """Qualified ids of the nodes that pass ``f`` (memoised)."""
        def compute() -> list[str]:
            if f.role and not narrows_beyond_role(f):
                return [q for q, n in self.graph.nodes.items() if n.role in f.role]
            needed = [*f.attributes, *f.any_of, *f.has]
            if needed:  # only nodes with every key needed can pass: the fewest first
                with_key = self.nodes_with_key()
                fewest = min((with_key.get(k, []) for k in needed), key=len)
                return [q for q in fewest if self.node_matches(self.graph.nodes[q], f)]
            return self.graph.matching(lambda n: self.node_matches(n, f))

        found: list[str] = self.memo(("nodes", memo_key(f)), compute)
        return found

    def nodes_with_key(self) -> dict[str, list[str]]:
        """Attribute key -> the nodes that have it, set or inherited or written
        with an invalid value, in the graph's order (memoised)."""
        def compute() -> dict[str, list[str]]:
            out: dict[str, list[str]] = {}
            for q, n in self.graph.nodes.items():
                for key in n.attributes.keys() | n.attribute_spans.keys():
                    out.setdefault(key, []).append(q)
            return out

        found: dict[str, list[str]] = self.memo("nodes by attribute", compute)
        return found


def narrows_beyond_role(f: EndFilter) -> bool:
    """Does ``f`` ask more of a node than its role? Most filters do not, and
    then one comparison per node decides."""
    return bool(f.kind or f.attributes or f.any_of or f.has or f.missing)


def memo_key(options: BaseModel) -> str:
    """A key equal for equal filters or options: their repr, which, unlike
    ``model_dump_json``, needs no serializer (building one costs 45 ms)."""
    return repr(options)


def attributes_match(attributes: dict[str, Any], written: dict[str, Span],
                     f: EndFilter) -> bool:
    """Equality on ``attributes``; presence on ``has`` and absence on ``missing``
    of the keys ``written`` (set, even with an invalid value)."""
    if not (f.attributes or f.any_of or f.has or f.missing):  # most filters: per element
        return True
    return (all(attributes.get(k) == v and k in attributes for k, v in f.attributes.items())
            and all(_one_of(attributes.get(k), v) for k, v in f.any_of.items())
            and all(k in written for k in f.has)
            and not any(k in written for k in f.missing))


def _one_of(value: Any, wanted: list[Any]) -> bool:
    """``value`` is one of ``wanted``, or a list holding one of them."""
    if isinstance(value, list):
        return any(v in wanted for v in value)
    return value is not None and value in wanted


# --- the registry -------------------------------------------------------------------


class Options(BaseModel):
    """Base of every function's options: unknown options are errors."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True,
                              defer_build=True)


RunFunction = Callable[[RuleContext, list[Element], Any], Iterable[Finding]]


@dataclass(frozen=True, slots=True)
class CheckFunction:
    """A named check: which elements it takes, its options, what it provides."""

    name: str
    elements: frozenset[str]
    run: RunFunction
    options: type[Options] = Options
    provides: frozenset[str] = frozenset()
    description: str = ""
    # Follows flows: skipped on a system whose graph is incomplete.
    graph: bool = False


FUNCTIONS: dict[str, CheckFunction] = {}


def check_function(
    name: str,
    *,
    elements: Iterable[str],
    options: type[Options] = Options,
    provides: Iterable[str] = (),
    graph: bool = False,
) -> Callable[[RunFunction], CheckFunction]:
    """Register a built-in check function (plugins build ``CheckFunction`` directly)."""

    def register(run: RunFunction) -> CheckFunction:
        fn = CheckFunction(name, frozenset(elements), run, options, frozenset(provides),
                           (run.__doc__ or "").strip().splitlines()[0], graph)
        FUNCTIONS[name] = fn
        return fn

    return register


def lookup(name: str) -> CheckFunction | None:
    """A built-in function, else one from the ``loopdsl.functions`` entry points."""
    if name in FUNCTIONS:
        return FUNCTIONS[name]
    from importlib.metadata import entry_points

    for ep in entry_points(group="loopdsl.functions"):
        if ep.name == name:
            try:
                fn = ep.load()
            except Exception as e:  # another package's code: its failure is reported
                raise RuleFileError(f"check function '{name}' (entry point {ep.value}) cannot "
                                    f"be loaded: {type(e).__name__}: {e}") from None
            if not isinstance(fn, CheckFunction):
                raise RuleFileError(f"check function '{name}' (entry point {ep.value}) is "
                                    f"not a loopdsl CheckFunction but {type(fn).__name__}")
            FUNCTIONS[name] = fn
            return fn
    return None


def known_functions() -> list[str]:
    """Names of the built-in and installed functions."""
    from importlib.metadata import entry_points

    return sorted(set(FUNCTIONS) | {ep.name for ep in entry_points(group="loopdsl.functions")})
