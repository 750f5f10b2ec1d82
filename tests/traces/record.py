"""Record the real traces the tests compare designs with.

examples/langgraph-agent answers six help-desk questions (two about a
refund, which the user rates poorly the first time, so the agent searches
again), its draft node calling a fake chat model, under OpenInference's
LangChain instrumentation and the OpenTelemetry SDK. The spans are written
as the Collector's file exporter writes them: OTLP/JSON, one
`{"resourceSpans": [...]}` object per line (here a line per run), made by
OpenTelemetry's protobuf encoder and protobuf's JSON mapping, with trace and
span ids as hex.

    pip install -e '.[test]'
    python tests/traces/record.py [OUT]   # default: tests/traces/langgraph-agent.jsonl

Needs `openinference-instrumentation-langchain`, `opentelemetry-sdk`,
`opentelemetry-exporter-otlp-proto-common` (the test extra has them). Times
and ids differ from one recording to the next; what the runs did does not.
"""

from __future__ import annotations

import base64
import itertools
import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
EXAMPLE = HERE.parent.parent / "examples" / "langgraph-agent"
QUESTIONS = ["reset my password", "refund for order 7", "change my plan",
             "where is my invoice", "refund for a double charge", "cancel my account"]


def _hex_ids(value: Any) -> Any:
    """protobuf's JSON mapping writes bytes as base64; OTLP/JSON wants ids
    as hex."""
    if isinstance(value, dict):
        return {k: (base64.b64decode(v).hex() if k in ("traceId", "spanId", "parentSpanId")
                    and isinstance(v, str) else _hex_ids(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_hex_ids(v) for v in value]
    return value


def otlp_json(spans: Sequence[Any]) -> dict[str, Any]:
    """Finished SDK spans as one OTLP/JSON object."""
    from google.protobuf.json_format import MessageToDict
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans

    document: dict[str, Any] = _hex_ids(MessageToDict(encode_spans(spans)))
    return document


def counted_ids() -> Any:
    """An id generator counting from 1: the same ids every recording."""
    from opentelemetry.sdk.trace.id_generator import IdGenerator

    class Counted(IdGenerator):  # type: ignore[misc]
        def __init__(self) -> None:
            self.spans: Iterator[int] = itertools.count(1)
            self.traces: Iterator[int] = itertools.count(1)

        def generate_span_id(self) -> int:
            return next(self.spans)

        def generate_trace_id(self) -> int:
            return next(self.traces)

    return Counted()


def record(out: Path) -> None:
    from openinference.instrumentation.langchain import LangChainInstrumentor
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider(id_generator=counted_ids())
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    LangChainInstrumentor().instrument(tracer_provider=provider)
    sys.path.insert(0, str(EXAMPLE))
    import app

    lines = []
    for question in QUESTIONS:
        app.graph.invoke({"question": question})
        lines.append(json.dumps(otlp_json(exporter.get_finished_spans()), sort_keys=True))
        exporter.clear()
    out.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    record(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "langgraph-agent.jsonl")
