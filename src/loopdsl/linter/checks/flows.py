"""Single flows: a self-flow, a flow restated with another label or
attributes."""

from __future__ import annotations

from collections.abc import Iterator

from loopdsl.linter.functions import Element, Finding, Options, RuleContext, check_function
from loopdsl.model import Flow, Related


class SelfFlow(Options):
    # A loop holding the flow that sets this attribute makes the self-flow a
    # bounded retry, which is fine (the built-in LD109 names max_iterations).
    bound: str | None = None


@check_function("not-self-flow", elements={"flow"}, options=SelfFlow, graph=True)
def not_self_flow(ctx: RuleContext, elements: list[Element],
                  opts: SelfFlow) -> Iterator[Finding]:
    """Holds when the flow's source and target are different nodes, or (with
    ``bound``) a loop holding the flow sets that attribute."""
    for e in elements:
        assert isinstance(e.obj, Flow)
        if e.obj.source != e.obj.target:
            continue
        if opts.bound and any(opts.bound in lp.attribute_spans  # even an invalid bound
                              for lp in ctx.loops.get(e.obj.key, [])):
            continue
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
