"""Check functions: the closed set a rule file may name (docs/team-rules.md).

Each function is registered with the element types it accepts, a pydantic
model for its options, and the placeholders it adds to messages. Graph work
is memoised per lint run, so rules sharing a question share its answer, and
every function is linear in nodes + flows. More functions come from Python
packages through the entry-point group ``loopdsl.functions``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from loopdsl.graph import FlowGraph
from loopdsl.linter.rulefile import EndFilter, RuleFileError
from loopdsl.loops import on_cycle
from loopdsl.model import Flow, Kind, Loop, Node, Related, Role, Span, System, Workspace

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
            return f"{_short(obj.source, obj.system)} -> {_short(obj.target, obj.system)}"
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
            values |= {"source": _short(self.obj.source, self.system),
                       "target": _short(self.obj.target, self.system)}
        return values


def _short(qid: str, system: str) -> str:
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
            return self.graph.matching(lambda n: self.node_matches(n, f))

        found: list[str] = self.memo(("nodes", memo_key(f)), compute)
        return found


def narrows_beyond_role(f: EndFilter) -> bool:
    """Does ``f`` ask more of a node than its role? Most filters do not, and
    then one comparison per node decides."""
    return bool(f.kind or f.attributes or f.has or f.missing)


def memo_key(options: BaseModel) -> str:
    """A key equal for equal filters or options: their repr, which, unlike
    ``model_dump_json``, needs no serializer (building one costs 45 ms)."""
    return repr(options)


def attributes_match(attributes: dict[str, Any], written: dict[str, Span],
                     f: EndFilter) -> bool:
    """Equality on ``attributes``; presence on ``has`` and absence on ``missing``
    of the keys ``written`` (set, even with an invalid value)."""
    if not (f.attributes or f.has or f.missing):  # most filters: asked per element
        return True
    return (all(attributes.get(k) == v and k in attributes for k, v in f.attributes.items())
            and all(k in written for k in f.has)
            and not any(k in written for k in f.missing))


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


# --- the functions --------------------------------------------------------------------


class NodeSet(Options, EndFilter):
    """Options naming a set of nodes by role, kind or attributes."""

    @model_validator(mode="after")
    def _not_empty(self) -> NodeSet:
        if not (self.role or self.kind or self.attributes or self.has or self.missing):
            raise ValueError("name the nodes with role, kind, attributes, has or missing")
        return self


def _connected(ctx: RuleContext, elements: list[Element], opts: NodeSet,
               forward: bool) -> Iterator[Finding]:
    """Nodes not on a path from (forward) or to the named set: one traversal."""
    def compute() -> set[str]:
        ends = ctx.nodes_matching(opts)
        return ctx.graph.reachable_from(ends) if forward else ctx.graph.reaching(ends)

    hits = ctx.memo((forward, memo_key(opts)), compute)
    for e in elements:
        assert isinstance(e.obj, Node)
        if e.obj.qualified_id not in hits:
            yield Finding(e)


@check_function("reachable-from", elements={"node"}, options=NodeSet, graph=True)
def reachable_from(ctx: RuleContext, elements: list[Element], opts: NodeSet) -> Iterator[Finding]:
    """Holds when a path leads to the node from a node of the named set."""
    return _connected(ctx, elements, opts, forward=True)


@check_function("reaches", elements={"node"}, options=NodeSet, graph=True)
def reaches(ctx: RuleContext, elements: list[Element], opts: NodeSet) -> Iterator[Finding]:
    """Holds when a path leads from the node to a node of the named set."""
    return _connected(ctx, elements, opts, forward=False)


@check_function("in-flow", elements={"node"}, graph=True)
def in_flow(ctx: RuleContext, elements: list[Element], opts: Options) -> Iterator[Finding]:
    """Holds when the node is the source or target of at least one flow."""
    for e in elements:
        assert isinstance(e.obj, Node)
        if e.obj.qualified_id not in ctx.graph.in_flow:
            yield Finding(e)


@check_function("closed", elements={"loop"}, graph=True)
def closed(ctx: RuleContext, elements: list[Element], opts: Options) -> Iterator[Finding]:
    """Holds when the loop's flows contain a directed cycle."""
    for e in elements:
        assert isinstance(e.obj, Loop)
        if not on_cycle(e.obj):
            yield Finding(e)


@check_function("cycle-through", elements={"loop"}, options=NodeSet, graph=True)
def cycle_through(ctx: RuleContext, elements: list[Element], opts: NodeSet) -> Iterator[Finding]:
    """Holds when the loop has no cycle, or one of its cycles passes through
    a node of the named set."""
    wanted = set(ctx.nodes_matching(opts))
    for e in elements:
        assert isinstance(e.obj, Loop)
        cycling = on_cycle(e.obj)
        if cycling and not cycling & wanted:
            yield Finding(e)


class Present(Options):
    names: list[str] = Field(default_factory=list)
    from_kind: str | None = Field(default=None, alias="from-kind")
    or_label: bool = Field(default=False, alias="or-label")


@check_function("attributes-present", elements={"node", "flow", "loop", "system"},
                options=Present, provides={"missing"})
def attributes_present(ctx: RuleContext, elements: list[Element],
                       opts: Present) -> Iterator[Finding]:
    """Holds when the element sets every attribute in ``names`` and every one
    its kind (or a base kind) lists under ``from-kind``; with ``or-label``, a
    label different from the id also satisfies it."""
    for e in elements:
        needed = list(opts.names)
        if opts.from_kind and isinstance(e.obj, Node):
            for kind in ctx.kind_chain(e.obj.kind):
                if kind in ctx.kinds:
                    listed = ctx.kinds[kind].attributes.get(opts.from_kind, [])
                    if isinstance(listed, list):
                        needed += [n for n in listed if isinstance(n, str)]
        missing = [n for n in dict.fromkeys(needed) if n not in e.written]
        if missing and opts.or_label and e.label != e.id:
            continue
        if missing:
            yield Finding(e, {"missing": ", ".join(missing)})


class Matches(Options):
    attribute: str
    pattern: str | None = None
    one_of: list[Any] | None = Field(default=None, alias="one-of")
    type: Literal["string", "number", "integer", "boolean", "list"] | None = None
    required: bool = False

    @model_validator(mode="after")
    def _one_test(self) -> Matches:
        if sum(x is not None for x in (self.pattern, self.one_of, self.type)) != 1:
            raise ValueError("give exactly one of pattern, one-of or type")
        return self

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, pattern: str | None) -> str | None:
        if pattern is not None:
            compile_pattern(pattern)
        return pattern


def compile_pattern(pattern: str) -> Any:
    """A team rule's regular expression, compiled by RE2: matching takes time
    linear in the text, so no pattern (``(a+)+$``, say) can hang a check.
    A pattern RE2 cannot compile is a ``ValueError`` saying why."""
    import re2  # type: ignore[import-untyped]

    options = re2.Options()
    options.log_errors = False  # the reason goes into our one-line error instead
    try:
        return re2.compile(pattern, options)
    except re2.error as e:
        why = e.args[0].decode() if e.args and isinstance(e.args[0], bytes) else str(e)
        raise ValueError(f"pattern {pattern!r} is not a regular expression RE2 accepts: "
                         f"{why}") from None


_TYPES: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "list": lambda v: isinstance(v, list),
}


@check_function("attribute-matches", elements={"node", "flow", "loop", "system"},
                options=Matches, provides={"attribute", "value"})
def attribute_matches(ctx: RuleContext, elements: list[Element],
                      opts: Matches) -> Iterator[Finding]:
    """Holds when the attribute matches a regular expression (``pattern``),
    is one of a list (``one-of``) or has a type (``type``); an absent
    attribute holds unless ``required``."""
    regex = compile_pattern(opts.pattern) if opts.pattern is not None else None
    for e in elements:
        if opts.attribute not in e.attributes:
            if opts.required and opts.attribute not in e.written:
                yield Finding(e, {"attribute": opts.attribute, "value": "(not set)"})
            continue  # unset, or set to a value LD006 already reports
        value = e.attributes[opts.attribute]
        if regex is not None:
            ok = isinstance(value, str) and regex.fullmatch(value) is not None
        elif opts.one_of is not None:
            ok = value in opts.one_of
        else:
            ok = _TYPES[opts.type or "string"](value)
        if not ok:
            yield Finding(e, {"attribute": opts.attribute, "value": value})


class SumWithin(Options):
    attribute: str = "latency_ms"
    limit: str = "budget_ms"


def _number(v: Any) -> float | None:
    return v if isinstance(v, int | float) and not isinstance(v, bool) else None


def plain(n: float) -> str:
    """A number as people write it: 1300 (not 1300.0), 1234567.5 (never
    1.23457e+06), 0.3 (not the 0.30000000000000004 a sum can make)."""
    if not math.isfinite(n):
        return str(n)
    if float(n).is_integer():
        return str(int(n))
    from decimal import Decimal

    return format(Decimal(repr(round(n, 6))), "f")


@check_function("sum-within", elements={"loop", "system"}, options=SumWithin,
                provides={"total", "limit", "attribute"})
def sum_within(ctx: RuleContext, elements: list[Element], opts: SumWithin) -> Iterator[Finding]:
    """Holds when the sum of ``attribute`` over the element's nodes and flows
    is at most its ``limit`` attribute (no limit set: holds)."""
    for e in elements:
        limit = _number(e.attributes.get(opts.limit))
        if limit is None:
            continue
        if isinstance(e.obj, Loop):
            keys = e.obj.flows
            node_ids = list(dict.fromkeys(q for key in keys for q in key))
        else:
            assert isinstance(e.obj, System)
            keys = [f.key for f in e.obj.flows]
            node_ids = [n.qualified_id for n in e.obj.nodes]
        total = ctx.graph.total(opts.attribute, node_ids, keys)
        if total > limit:
            yield Finding(e, {"total": plain(total), "limit": plain(limit),
                              "attribute": opts.attribute})


@check_function("not-self-flow", elements={"flow"}, graph=True)
def not_self_flow(ctx: RuleContext, elements: list[Element], opts: Options) -> Iterator[Finding]:
    """Holds when the flow's source and target are different nodes."""
    for e in elements:
        assert isinstance(e.obj, Flow)
        if e.obj.source == e.obj.target:
            yield Finding(e)


@check_function("consistent-flow", elements={"flow"}, provides={"first"}, graph=True)
def consistent_flow(ctx: RuleContext, elements: list[Element],
                    opts: Options) -> Iterator[Finding]:
    """Holds when every restatement of the flow has the label and attributes of
    its first statement; each differing restatement is a finding."""
    for e in elements:
        assert isinstance(e.obj, Flow)
        first, *rest = e.obj.statements
        for again in rest:
            if (again.label, again.attributes) != (first.label, first.attributes):
                where = f"{first.span.file}:{first.span.line}:{first.span.column}"
                yield Finding(e, {"first": where}, span=again.span,
                              related=[Related(message="first stated here", span=first.span)])


class Bounded(Options):
    through: EndFilter = Field(default_factory=lambda: EndFilter(role=[Role.FEEDBACK]))
    bound: str = "max_iterations"


@check_function("bounded-cycles", elements={"flow"}, options=Bounded, provides={"cycle"},
                graph=True)
def bounded_cycles(ctx: RuleContext, elements: list[Element], opts: Bounded) -> Iterator[Finding]:
    """Holds when every cycle of the selected flows that avoids the
    ``through`` nodes has a loop holding one of its flows that sets ``bound``.
    A cycle is a strongly connected component (two nodes or more) of the flow
    graph without those nodes; findings go to each loop holding a flow of the
    cycle, or to its first flow when no loop holds one."""
    excluded = set(ctx.nodes_matching(opts.through))
    components = ctx.graph.cycles_avoiding(excluded)
    component_of = {qid: i for i, component in enumerate(components) for qid in component}
    flows_of: dict[int, list[Element]] = {}  # one pass over the flows, not one per cycle
    for e in elements:
        assert isinstance(e.obj, Flow)
        i = component_of.get(e.obj.source)
        if i is not None and component_of.get(e.obj.target) == i:
            flows_of.setdefault(i, []).append(e)
    for i, component in enumerate(components):
        flows = sorted(flows_of.get(i, []),
                       key=lambda e: (e.span.file, e.span.line, e.span.column))
        if not flows:
            continue
        holding = {(lp.system, lp.id): lp for e in flows
                   for lp in ctx.loops.get(e.obj.key, [])}  # type: ignore[union-attr]
        loops = list(holding.values())
        if any(opts.bound in lp.attribute_spans for lp in loops):  # even an invalid bound
            continue
        cycle = " -> ".join(_short(q, flows[0].system) for q in ctx.graph.cycle_path(component))
        if loops:
            for lp in loops:
                yield Finding(Element("loop", lp), {"cycle": cycle})
        else:
            yield Finding(flows[0], {"cycle": cycle})


@check_function("declares-loops", elements={"system"}, graph=True)
def declares_loops(ctx: RuleContext, elements: list[Element],
                   opts: Options) -> Iterator[Finding]:
    """Holds when the system declares a loop, or states no flow at all (a flow
    belongs to every system whose body or loops state it)."""
    stating = ctx.memo("systems stating flows", lambda: {
        st.system for f in ctx.graph.flows for st in f.statements})
    for e in elements:
        assert isinstance(e.obj, System)
        if e.obj.id in stating and not e.obj.loops:
            yield Finding(e)


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


@check_function("none", elements={"node", "flow", "loop", "system"})
def none(ctx: RuleContext, elements: list[Element], opts: Options) -> Iterator[Finding]:
    """Never holds: every selected element is a finding (forbidden patterns)."""
    for e in elements:
        yield Finding(e)
