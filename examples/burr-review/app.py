"""A review queue built with Burr: plain functions, no model call and no
network, so that `loopdsl drift` can import it anywhere.

    loopdsl drift design.loop --burr app:app
"""

from __future__ import annotations

from typing import Any

from burr.core import Application, ApplicationBuilder, State, action, expr


@action(reads=[], writes=["item"], tags=["loopdsl:context"])
def fetch(state: State) -> State:
    """The next item of the queue."""
    return state.update(item=state.get("count", 0))


@action(reads=["item"], writes=["label"], tags=["loopdsl:model"])
def classify(state: State) -> State:
    """Label the item (a stand-in for a model call)."""
    return state.update(label="ok")


@action(reads=["label"], writes=[], tags=["loopdsl:interface"])
def show(state: State) -> State:
    """Show the label to a reviewer."""
    return state


@action(reads=["count"], writes=["count"], tags=["loopdsl:feedback"])
def review(state: State) -> State:
    """The reviewer's verdict, counted."""
    return state.update(count=state.get("count", 0) + 1)


def application(*hooks: Any) -> Application[Any]:
    """The review queue; ``hooks``: Burr lifecycle hooks (traced.py adds
    OpenTelemetry's)."""
    return (
        ApplicationBuilder()
        .with_actions(fetch=fetch, classify=classify, show=show, review=review)
        .with_transitions(
            ("fetch", "classify"),
            ("classify", "show"),
            ("show", "review"),
            ("review", "fetch", expr("count < 10")),
        )
        .with_state(count=0)
        .with_entrypoint("fetch")
        .with_hooks(*hooks)
        .build()
    )


app = application()
