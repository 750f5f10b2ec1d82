"""Spans from OTLP/JSON, as the OpenTelemetry Collector's file exporter
writes it: one ``{"resourceSpans": [...]}`` object per line, or one such
object per file; ``.gz`` files too. No OpenTelemetry package is needed.

Each span is kept as a small record: ids, name, times and the attributes
conform reads; a file is read line by line (one line, or one whole-file
object, in memory at a time).
"""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO


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


def _attributes(items: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if isinstance(items, list):
        for kv in items:
            if isinstance(kv, dict) and isinstance(kv.get("key"), str):
                out[kv["key"]] = value_of(kv.get("value"))
    return out


def _nanos(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _spans_of(document: Any, where: str) -> Iterator[Span]:
    if not isinstance(document, dict) or not isinstance(document.get("resourceSpans"), list):
        raise TraceError(f"{where}: not OTLP/JSON (expected an object with 'resourceSpans')")
    for resource in document["resourceSpans"]:
        scopes = resource.get("scopeSpans", []) if isinstance(resource, dict) else []
        for scope in scopes if isinstance(scopes, list) else []:
            spans = scope.get("spans", []) if isinstance(scope, dict) else []
            for raw in spans if isinstance(spans, list) else []:
                if not isinstance(raw, dict):
                    continue
                trace, ident = raw.get("traceId"), raw.get("spanId")
                start, end = _nanos(raw.get("startTimeUnixNano")), _nanos(
                    raw.get("endTimeUnixNano"))
                if not (isinstance(trace, str) and trace and isinstance(ident, str) and ident
                        and start is not None and end is not None):
                    continue  # a span without ids or times cannot be placed
                parent = raw.get("parentSpanId")
                yield Span(trace, ident, parent if isinstance(parent, str) and parent else None,
                           str(raw.get("name", "")), start, max(start, end),
                           _attributes(raw.get("attributes")))


def spans_of_documents(documents: Iterable[Any]) -> Iterator[Span]:
    """The spans of OTLP/JSON objects already parsed (a rule file's example)."""
    for i, document in enumerate(documents, 1):
        yield from _spans_of(document, f"object {i}")


def _open(path: Path) -> TextIO:
    raw = path.open("rb")
    head = raw.read(2)
    raw.seek(0)
    stream: Any = gzip.GzipFile(fileobj=raw) if head == b"\x1f\x8b" else raw
    return io.TextIOWrapper(stream, encoding="utf-8")


def read_spans(paths: Iterable[Path]) -> Iterator[Span]:
    """Every span of every file, in file order; a file is one object per
    line, or one object in all."""
    for path in paths:
        try:
            with _open(path) as text:
                first = text.readline()
                try:
                    documents: Iterable[tuple[int, Any]] = [(1, json.loads(first))] \
                        if first.strip() else []
                    per_line = True
                except json.JSONDecodeError:
                    per_line = False
                if not per_line:  # one object over several lines
                    documents = [(1, json.loads(first + text.read()))]
                for line_number, document in documents:
                    yield from _spans_of(document, f"{path}:{line_number}")
                if per_line:
                    for n, line in enumerate(text, 2):
                        if line.strip():
                            yield from _spans_of(json.loads(line), f"{path}:{n}")
        except OSError as e:
            raise TraceError(f"{path}: cannot read: {e.strerror or e}") from None
        except (UnicodeDecodeError, EOFError, gzip.BadGzipFile) as e:
            raise TraceError(f"{path}: not OTLP/JSON text ({type(e).__name__})") from None
        except (json.JSONDecodeError, RecursionError) as e:
            raise TraceError(f"{path}: not OTLP/JSON ({type(e).__name__}: "
                             f"{str(e).splitlines()[0][:80]})") from None
