"""A blog writer built with Google ADK: a researcher with a search tool, a
writer and a critic that refine the post in a LoopAgent (at most three
rounds), then a publisher. Building the agents calls no model and touches
no network, so `loopdsl drift` can read them anywhere.

    loopdsl drift design.loop --app app:root_agent
"""

from __future__ import annotations

from google.adk.agents import LlmAgent, LoopAgent, SequentialAgent

MODEL = "gemini-2.5-flash"


def search_web(query: str) -> list[str]:
    """Search the web for sources (a stand-in: no network here)."""
    return [f"result for {query}"]


def publish_post(title: str, body: str) -> str:
    """Publish the post to the blog."""
    return f"published {title}"


researcher = LlmAgent(name="researcher", model=MODEL, tools=[search_web],
                      instruction="Collect sources for the topic.", output_key="sources")
writer = LlmAgent(name="writer", model=MODEL, output_key="draft",
                  instruction="Write or revise the post from {sources} and {critique?}.")
critic = LlmAgent(name="critic", model=MODEL, output_key="critique",
                  instruction="Review {draft}; say what to fix.")
publisher = LlmAgent(name="publisher", model=MODEL, tools=[publish_post],
                     instruction="Publish {draft}.")

root_agent = SequentialAgent(
    name="blog_writer",
    sub_agents=[researcher,
                LoopAgent(name="refine", max_iterations=3, sub_agents=[writer, critic]),
                publisher],
)
