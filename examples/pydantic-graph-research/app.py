"""A research writer built with pydantic-graph's GraphBuilder: plan, search,
draft, then a critique that sends the draft back until it passes, then
publish. Plain functions: no model call and no network, so `loopdsl drift`
can read the graph anywhere.

    loopdsl drift design.loop --app app:graph
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic_graph import GraphBuilder, StepContext


@dataclass
class Research:
    question: str = ""
    notes: list[str] = field(default_factory=list)
    rounds: int = 0


g = GraphBuilder(name="research_writer", state_type=Research, input_type=str, output_type=str)


@g.step
async def plan(ctx: StepContext[Research, None, str]) -> str:
    """Turn the question into search queries (a stand-in for a model call)."""
    ctx.state.question = ctx.inputs
    return ctx.inputs


@g.step
async def search(ctx: StepContext[Research, None, str]) -> list[str]:
    """Search for sources (a stand-in: no index here)."""
    return [f"source about {ctx.inputs}"]


@g.step
async def draft(ctx: StepContext[Research, None, list[str]]) -> str:
    """Write a draft from the sources (a stand-in for a model call)."""
    ctx.state.rounds += 1
    return " / ".join(ctx.inputs)


@g.step
async def critique(ctx: StepContext[Research, None, str]) -> str:
    """Judge the draft: passes after two rounds."""
    return "pass" if ctx.state.rounds >= 2 else "revise"


@g.step
async def publish(ctx: StepContext[Research, None, str]) -> str:
    """Hand the finished piece to the reader."""
    return ctx.inputs


g.add(
    g.edge_from(g.start_node).to(plan),
    g.edge_from(plan).to(search),
    g.edge_from(search).to(draft),
    g.edge_from(draft).to(critique),
    g.edge_from(critique).to(
        g.decision()
        .branch(g.match(str, matches=lambda verdict: verdict == "revise").label("revise")
                .transform(lambda ctx: ctx.state.notes).to(draft))
        .branch(g.match(str).label("pass").to(publish))
    ),
    g.edge_from(publish).to(g.end_node),
)
graph = g.build()
