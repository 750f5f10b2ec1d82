"""A customer-support desk built with the OpenAI Agents SDK: a triage agent
that looks orders up, hands refunds to a refunds agent, asks a summariser
(an agent used as a tool) and records the customer's rating. Plain
functions: building the agents calls no model and touches no network, so
`loopdsl drift` can read them anywhere.

    loopdsl drift design.loop --app app:triage
"""

from __future__ import annotations

from agents import Agent, function_tool

MODEL = "gpt-4.1-mini"


@function_tool
def lookup_order(order_id: str) -> str:
    """Find an order by its id (a stand-in: no database here)."""
    return f"order {order_id}: shipped"


@function_tool
def issue_refund(order_id: str) -> str:
    """Queue a refund for an order."""
    return f"refund for {order_id} queued"


@function_tool
def record_rating(score: int) -> str:
    """Store the customer's rating of the answer."""
    return "thanks"


summarizer = Agent(name="summarizer", model=MODEL,
                   instructions="Summarise the conversation so far in two sentences.")

refunds = Agent(name="refunds", model=MODEL, tools=[lookup_order, issue_refund],
                instructions="Check the order, then refund it when the policy allows.")

triage = Agent(
    name="triage", model=MODEL,
    instructions="Answer order questions; hand refunds to the refunds agent.",
    tools=[lookup_order, summarizer.as_tool("summarize", "Summarise the conversation"),
           record_rating],
    handoffs=[refunds],
)
