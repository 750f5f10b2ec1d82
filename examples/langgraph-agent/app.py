"""A help-desk agent built with LangGraph: plain functions, no model call and
no network, so that `loopdsl drift` can import it anywhere.

    loopdsl drift design.loop --langgraph app:graph
"""

from __future__ import annotations

from typing import Literal, TypedDict

from langgraph.graph import END, START, StateGraph


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
    """Draft an answer from the articles (a stand-in for a model call)."""
    return {"draft": " / ".join(state.get("articles", [])),
            "rounds": state.get("rounds", 0) + 1}


def respond(state: State) -> State:
    """Show the answer to the user."""
    return {}


def rate(state: State) -> State:
    """The user's rating of the answer (a stand-in: always satisfied)."""
    return {"rating": 5}


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
