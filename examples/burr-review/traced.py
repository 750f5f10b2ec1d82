"""The review queue traced with OpenTelemetry, for `loopdsl conform`.

Burr's OpenTelemetryBridge opens a span per action, named after it, but sets
no attribute that names the action; `NameTheNode` adds `loopdsl.node`, which
conform maps to the design's node of that id (or `impl`). Set up the SDK and
an exporter to your Collector first, as for any app:

    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    trace.set_tracer_provider(TracerProvider(...))
    import traced
    traced.app.run(halt_after=["review"])

Needs `opentelemetry-api` (and the SDK to export).
"""

from __future__ import annotations

from typing import Any

from app import application
from burr.integrations.opentelemetry import OpenTelemetryBridge
from burr.lifecycle import PreRunStepHook
from opentelemetry import trace


class NameTheNode(PreRunStepHook):  # type: ignore[misc]
    """After the bridge has opened an action's span: name its node."""

    def pre_run_step(self, *, action: Any, **future_kwargs: Any) -> None:
        trace.get_current_span().set_attribute("loopdsl.node", action.name)


app = application(OpenTelemetryBridge(), NameTheNode())
