"""A question-answering workflow built with LlamaIndex Workflows: retrieve,
answer, then a judge that sends weak answers back to retrieval. Plain
functions: no model call and no network, so `loopdsl drift` can read the
workflow anywhere.

    loopdsl drift design.loop --app app:AnswerFlow
"""

from __future__ import annotations

from workflows import Context, Workflow, step
from workflows.events import Event, StartEvent, StopEvent


class Retrieved(Event):
    passages: list[str]


class Drafted(Event):
    answer: str


class Retry(Event):
    reason: str


class AnswerFlow(Workflow):
    @step
    async def retrieve(self, ctx: Context, ev: StartEvent | Retry) -> Retrieved:
        """Search the document index (a stand-in: no index here)."""
        return Retrieved(passages=["passage"])

    @step
    async def answer(self, ev: Retrieved) -> Drafted:
        """Answer from the passages (a stand-in for a model call)."""
        return Drafted(answer=" ".join(ev.passages))

    @step
    async def judge(self, ctx: Context, ev: Drafted) -> Retry | StopEvent:
        """Check the answer against the passages; retry once when weak."""
        tries = await ctx.store.get("tries", default=0)
        if tries < 1 and not ev.answer:
            await ctx.store.set("tries", tries + 1)
            return Retry(reason="empty answer")
        return StopEvent(result=ev.answer)
