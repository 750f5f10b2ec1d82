"""Spans from OTLP/JSON, as the OpenTelemetry Collector's file exporter
writes it: one ``{"resourceSpans": [...]}`` object per line, or one such
object per file; ``.gz`` files too. No OpenTelemetry package is needed.

Each span is kept as a small record: ids, name, times and only the
attributes conform reads (``READ``), so a span costs the same however much
prompt and output text it carries; a file is read line by line (one line, or
one whole-file object, in memory at a time).
"""

from __future__ import annotations

import gzip
import io
import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

# The span attributes conform reads: what maps a span to a node, the step
# numbers, the token counts. The rest is dropped as the file is read.
READ = frozenset({
    "loopdsl.system", "loopdsl.node", "loopdsl.step", "graph.node.id",
    "langgraph_node", "langgraph_step", "gen_ai.operation.name", "gen_ai.agent.name",
    "gen_ai.tool.name", "agent.name", "tool.name",
    "gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens",
    "llm.token_count.prompt", "llm.token_count.completion",
})
# LangGraph's run metadata: an attribute, or a key of the JSON-string
# ``metadata`` attribute (where OpenInference's LangChain instrumentation
# puts it); an attribute of the same name wins.
METADATA = ("langgraph_node", "langgraph_step")
_KEPT = READ | {"metadata"}  # what is taken from a span's attribute list


class TraceError(ValueError):
    """A traces file that cannot be read: the message names the file and line."""


@dataclass(frozen=True, slots=True)
class Span:
    trace: str
    id: str
    parent: str | None
    name: str
    start: int  # ns since the epoch
    end: int
    attributes: dict[str, Any]


def value_of(any_value: Any) -> Any:
    """An OTLP ``AnyValue`` as a plain value (``intValue`` is a string in JSON)."""
    if not isinstance(any_value, dict):
        return None
    for key, cast in (("stringValue", str), ("boolValue", bool), ("doubleValue", float)):
        if key in any_value:
            v = any_value[key]
            return v if isinstance(v, cast) else None
    if "intValue" in any_value:
        try:
            return int(any_value["intValue"])
        except (TypeError, ValueError):
            return None
    if "arrayValue" in any_value:
        values = (any_value["arrayValue"] or {}).get("values", [])
        return [value_of(v) for v in values] if isinstance(values, list) else None
    if "kvlistValue" in any_value:
        return _attributes((any_value["kvlistValue"] or {}).get("values", []))
    return None


def _attributes(items: Any, keep: frozenset[str] | None = None) -> dict[str, Any]:
    """An OTLP attribute list as a dict: every key, or only those in ``keep``."""
    out: dict[str, Any] = {}
    if isinstance(items, list):
        for kv in items:
            if isinstance(kv, dict) and isinstance(kv.get("key"), str) \
                    and (keep is None or kv["key"] in keep):
                out[kv["key"]] = value_of(kv.get("value"))
    return out


def _read(items: Any) -> dict[str, Any]:
    """The attributes conform reads, LangGraph's metadata lifted out of
    ``metadata``."""
    out = _attributes(items, _KEPT)
    meta = out.pop("metadata", None)
    if isinstance(meta, str) and any(key not in out and key in meta for key in METADATA):
        try:
            data = json.loads(meta)
        except (json.JSONDecodeError, RecursionError):
            data = None
        if isinstance(data, dict):
            for key in METADATA:
                if key not in out and key in data:
                    out[key] = data[key]
    return out


def _nanos(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _spans_of(document: Any, where: str) -> Iterator[tuple[str, Span | None]]:
    """Each span object with a trace id: its id, and the span (None when it
    has no span id or times and so cannot be placed)."""
    if not isinstance(document, dict) or not isinstance(document.get("resourceSpans"), list):
        raise TraceError(f"{where}: not OTLP/JSON (expected an object with 'resourceSpans')")
    for resource in document["resourceSpans"]:
        scopes = resource.get("scopeSpans", []) if isinstance(resource, dict) else []
        for scope in scopes if isinstance(scopes, list) else []:
            spans = scope.get("spans", []) if isinstance(scope, dict) else []
            for raw in spans if isinstance(spans, list) else []:
                trace = raw.get("traceId") if isinstance(raw, dict) else None
                if not isinstance(trace, str) or not trace:
                    continue
                ident = raw.get("spanId")
                start, end = _nanos(raw.get("startTimeUnixNano")), _nanos(
                    raw.get("endTimeUnixNano"))
                if not (isinstance(ident, str) and ident and start is not None
                        and end is not None):
                    yield trace, None
                    continue
                parent = raw.get("parentSpanId")
                yield trace, Span(trace, ident, parent if isinstance(parent, str) and parent
                                  else None, str(raw.get("name", "")), start, max(start, end),
                                  _read(raw.get("attributes")))


def _group(spans: Iterable[tuple[str, Span | None]],
           sizes: dict[str, int] | None = None) -> Iterator[list[Span]]:
    """The spans of each trace id together: a run as soon as all ``sizes``
    says it has are read (so only the runs still being read are held), the
    rest at the end, in trace id order."""
    pending: dict[str, list[Span]] = {}
    for trace, span in spans:
        if span is not None:
            pending.setdefault(trace, []).append(span)
        if sizes is not None and trace in sizes:
            sizes[trace] -= 1
            if sizes[trace] <= 0:
                del sizes[trace]
                if trace in pending:
                    yield pending.pop(trace)
    for trace in sorted(pending):
        yield pending[trace]


def runs_of_documents(documents: Iterable[Any]) -> Iterator[list[Span]]:
    """The runs in OTLP/JSON objects already parsed (a rule file's example)."""
    return _group(item for i, document in enumerate(documents, 1)
                  for item in _spans_of(document, f"object {i}"))


def _open(path: Path) -> BinaryIO:
    raw = path.open("rb")
    head = raw.peek(2)[:2]  # no seek: a pipe cannot go back
    return gzip.GzipFile(fileobj=raw) if head == b"\x1f\x8b" else raw  # type: ignore[return-value]


# A span's trace id in the raw text. Inside a JSON string a quote is always
# escaped, so this matches keys only: spans' and also links' (which can only
# make a run wait until the end of the input, never cut it short).
_TRACE_ID = re.compile(rb'"traceId"\s*:\s*"([^"\\]*)"')


def _sizes(paths: Iterable[Path]) -> dict[str, int]:
    """How many spans each trace id has in all the files, from a scan of the
    raw text (no JSON parsed)."""
    sizes: Counter[str] = Counter()
    for path in paths:
        with _reading(path), _open(path) as stream:
            for line in stream:
                for match in _TRACE_ID.finditer(line):
                    sizes[match.group(1).decode("utf-8", "replace")] += 1
    return dict(sizes)


def read_runs(paths: Sequence[Path]) -> Iterator[list[Span]]:
    """The runs in the files, each a list of its spans. Regular files are
    read twice: once to count each run's spans, then to hand over each run as
    soon as it is complete, so memory holds the runs being read, not every
    run. A pipe (``--traces <(zcat ...)``, /dev/stdin) can be read once only:
    with one among the files, every run is held until the end."""
    sizes = _sizes(paths) if all(path.is_file() for path in paths) else None
    return _group((item for path in paths for item in _file_spans(path)), sizes)


@contextmanager
def _reading(path: Path) -> Iterator[None]:
    """A file's read errors as one-line TraceErrors naming it."""
    try:
        yield
    except OSError as e:
        raise TraceError(f"{path}: cannot read: {e.strerror or e}") from None
    except (UnicodeDecodeError, EOFError, gzip.BadGzipFile) as e:
        raise TraceError(f"{path}: not OTLP/JSON text ({type(e).__name__})") from None
    except (json.JSONDecodeError, RecursionError) as e:
        raise TraceError(f"{path}: not OTLP/JSON ({type(e).__name__}: "
                         f"{str(e).splitlines()[0][:80]})") from None


def _file_spans(path: Path) -> Iterator[tuple[str, Span | None]]:
    """Every span of one file; a file is one object per line, or one object
    in all."""
    with _reading(path), _open(path) as stream:
        text = io.TextIOWrapper(stream, encoding="utf-8")
        first = text.readline()
        try:
            document = json.loads(first) if first.strip() else None
        except json.JSONDecodeError:  # one object over several lines
            yield from _spans_of(json.loads(first + text.read()), f"{path}:1")
            return
        if document is not None:
            yield from _spans_of(document, f"{path}:1")
        for n, line in enumerate(text, 2):
            if line.strip():
                yield from _spans_of(json.loads(line), f"{path}:{n}")
