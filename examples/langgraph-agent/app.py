"""A help-desk agent built with LangGraph: plain functions and a fake chat
model, no network, so that `loopdsl drift` can import it and run it anywhere.

    loopdsl drift design.loop --langgraph app:graph
"""

from __future__ import annotations

import itertools
from typing import Literal, TypedDict

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from langgraph.graph import END, START, StateGraph

# A stand-in for a chat model: the same short answer every time, with the
# token counts a real one reports.
model = GenericFakeChatModel(messages=itertools.cycle([AIMessage(
    "Restart the router, then sign in again.",
    usage_metadata={"input_tokens": 42, "output_tokens": 9, "total_tokens": 51})]))


class State(TypedDict, total=False):
    question: str
    articles: list[str]
    draft: str
    rating: int
    rounds: int


def retrieve(state: State) -> State:
    """Search the knowledge base for the question (a stand-in: no index here)."""
    return {"articles": [f"article about {state.get('question', '')}"]}


def draft(state: State) -> State:
    """Draft an answer from the articles with the chat model."""
    prompt = f"Answer {state.get('question', '')!r} from: {state.get('articles', [])}"
    return {"draft": str(model.invoke(prompt).content), "rounds": state.get("rounds", 0) + 1}


def respond(state: State) -> State:
    """Show the answer to the user."""
    return {}


def rate(state: State) -> State:
    """The user's rating of the answer (a stand-in: a first answer about a
    refund disappoints)."""
    poor = "refund" in state.get("question", "") and state.get("rounds", 0) < 2
    return {"rating": 2 if poor else 5}


def retry(state: State) -> Literal["retrieve", "__end__"]:
    """Search again after a poor rating, at most three rounds."""
    poor = state.get("rating", 0) < 3 and state.get("rounds", 0) < 3
    return "retrieve" if poor else END


builder = StateGraph(State)
builder.add_node("retrieve", retrieve, metadata={"loopdsl": {"role": "context"}})
builder.add_node("draft", draft, metadata={"loopdsl": {"role": "model"}})
builder.add_node("respond", respond, metadata={"loopdsl": {"role": "interface"}})
builder.add_node("rate", rate, metadata={"loopdsl": {"role": "feedback"}})
builder.add_edge(START, "retrieve")
builder.add_edge("retrieve", "draft")
builder.add_edge("draft", "respond")
builder.add_edge("respond", "rate")
builder.add_conditional_edges("rate", retry)
graph = builder.compile()
