"""The resolver: kinds, references, duplicates, typed attributes and imports,
asserted as (code, line, column) on real files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from loopdsl import load, loads
from loopdsl.model import Role


def codes(text: str) -> list[tuple[str, int, int]]:
    ws = loads(text)
    return sorted((d.code, d.span.line, d.span.column) for d in ws.diagnostics)


def test_clean_workspace_resolves_roles_flows_and_loops():
    ws = loads("""
kind retriever: context
kind vector_store: retriever
system s {
  vector_store kb "KB"
  model m
  interface ui
  feedback fb
  kb -> m
  loop l { m -> ui -> fb -> kb   kb -> m }
}
""")
    assert ws.diagnostics == []
    (s,) = ws.systems
    assert {n.id: n.role for n in s.nodes} == {
        "kb": Role.CONTEXT, "m": Role.MODEL, "ui": Role.INTERFACE, "fb": Role.FEEDBACK}
    assert [f.key for f in s.flows] == [("s.kb", "s.m"), ("s.m", "s.ui"), ("s.ui", "s.fb"),
                                       ("s.fb", "s.kb")]
    kb_m = s.flows[0]
    assert [st.loop for st in kb_m.statements] == [None, "l"]
    assert s.loops[0].flows == [("s.m", "s.ui"), ("s.ui", "s.fb"), ("s.fb", "s.kb"),
                                ("s.kb", "s.m")]
    assert {k.name: k.role for k in ws.kinds} == {"retriever": Role.CONTEXT,
                                                  "vector_store": Role.CONTEXT}


def test_labels_default_to_ids_and_chain_labels_apply_to_every_flow():
    ws = loads('system s { context a\n model b "B"\n interface c\n'
               ' a -> b -> c "x" {latency_ms: 3} }')
    s = ws.systems[0]
    assert [n.label for n in s.nodes] == ["a", "B", "c"]
    assert [(f.label, f.attributes) for f in s.flows] == [("x", {"latency_ms": 3})] * 2


def test_undefined_reference_suggests_the_closest_id():
    ws = loads("system s {\n  model responder\n  context c\n  c -> responer\n}")
    (d,) = ws.diagnostics
    assert (d.code, d.span.line, d.span.column, d.span.end_column) == ("LD002", 4, 8, 16)
    assert d.help == "did you mean 'responder'?"
    assert ws.systems[0].flows == []


def test_dotted_references_cross_systems():
    ws = loads("system a { context kb }\n"
               "system b {\n model m\n a.kb -> m\n x.kb -> m\n a.kbb -> m\n}")
    assert sorted((d.code, d.span.line, d.span.column) for d in ws.diagnostics) == [
        ("LD002", 5, 2), ("LD002", 6, 4)]
    flows = ws.flows()
    assert [(f.key, f.system) for f in flows] == [(("a.kb", "b.m"), "b")]
    help_ = {d.span.line: d.help for d in ws.diagnostics}
    assert help_[6] == "did you mean 'kb'?"


def test_plain_reference_to_another_systems_node_suggests_the_dotted_form():
    ws = loads("system a { context kb }\nsystem b { model m\n kb -> m }")
    assert "a.kb" in ws.diagnostics[0].help


def test_too_many_dots_is_an_undefined_reference():
    assert codes("system s { model m\n a.b.c -> m }") == [("LD002", 2, 2)]


def test_duplicates_point_at_the_second_and_relate_the_first():
    ws = loads("""system s {
  owner: "a"
  owner: "b"
  model m
  context m
  loop l { }
  loop l { }
}
system s { }
kind k: context
kind k: model
kind model: context
""")
    got = sorted((d.code, d.span.line, d.span.column) for d in ws.diagnostics)
    assert got == [("LD003", 3, 3), ("LD003", 5, 11), ("LD003", 7, 8), ("LD003", 9, 8),
                   ("LD003", 11, 6), ("LD003", 12, 6)]
    by_line = {d.span.line: d for d in ws.diagnostics}
    assert [r.span.line for r in by_line[3].related] == [2]
    assert [r.span.line for r in by_line[5].related] == [4]
    assert [r.span.line for r in by_line[9].related] == [1]
    assert [r.span.line for r in by_line[11].related] == [10]


def test_duplicate_attribute_key_in_a_node_block():
    assert codes("system s { model m { a: 1, a: 2 } }") == [("LD003", 1, 28)]


def test_unknown_kinds_and_kind_cycles():
    ws = loads("kind a: b\nkind b: a\nkind c: contxt\nsystem s {\n  modle m\n  a x\n}")
    got = sorted((d.code, d.span.line, d.span.column) for d in ws.diagnostics)
    assert got == [("LD004", 1, 9), ("LD004", 3, 9), ("LD004", 5, 3)]
    helps = {d.span.line: d.help for d in ws.diagnostics}
    assert helps[3] == "did you mean 'context'?" and helps[5] == "did you mean 'model'?"
    assert "a -> b -> a" in next(d.message for d in ws.diagnostics if d.span.line == 1)
    nodes = {n.id: n.role for n in ws.nodes()}
    assert nodes == {"m": None, "x": None}


@pytest.mark.parametrize(("attr", "ok"), [
    ('owner: "team"', True), ("owner: 3", False), ("owner: team", True),
    ('description: """x"""', True), ("description: [1]", False),
    ("latency_ms: 0", True), ("latency_ms: 2.5", True), ("latency_ms: -1", False),
    ('latency_ms: "fast"', False), ("latency_ms: true", False),
    ("budget_ms: -0.5", False), ("cost_usd: 0.01", True), ("cost_usd: [1]", False),
    ("max_iterations: 3", True), ("max_iterations: 0", False),
    ("max_iterations: 2.5", False), ("max_iterations: true", False),
    ('requires: ["a", "b"]', True), ("requires: [1]", False), ('requires: "a"', False),
    ('tags: []', True), ('tags: [x, "y"]', True), ("tags: [[x]]", False),
    ("anything_else: [1, true, x]", True),
])
def test_typed_attributes(attr, ok):
    got = codes(f"system s {{\n  loop l {{ {attr} }}\n}}")
    assert got == ([] if ok else [("LD006", 2, 14 + len(attr.split(":")[0]))])


def test_typed_attributes_are_checked_on_every_element():
    text = """kind k: context { requires: "x" }
system s {
  owner: 1
  model m { latency_ms: "slow" }
  context c
  c -> m { cost_usd: -1 }
}"""
    assert [(c, line) for c, line, _ in codes(text)] == [
        ("LD006", 1), ("LD006", 3), ("LD006", 4), ("LD006", 6)]


# --- imports -----------------------------------------------------------------


def test_imports_load_each_file_once_and_cycles_are_harmless(write, monkeypatch, tmp_path):
    write("a.loop", 'import "lib/kinds.loop"\nimport "b.loop"\nsystem a { retriever r }')
    write("b.loop", 'import "a.loop"\nimport "./lib/../lib/kinds.loop"\n'
                    'system b { model m\n a.r -> m }')
    write("lib/kinds.loop", 'import "../a.loop"\nkind retriever: context')
    monkeypatch.chdir(tmp_path)
    ws = load(["a.loop", "b.loop"])
    assert ws.diagnostics == []
    assert [f.path for f in ws.files] == ["a.loop", "lib/kinds.loop", "b.loop"]
    assert ws.flows()[0].key == ("a.r", "b.m")


def test_import_errors(write, monkeypatch, tmp_path):
    outside = tmp_path.parent / f"{tmp_path.name}-outside.loop"
    outside.write_text("kind secret: context")
    write("ws/link.loop", "")
    os.unlink(tmp_path / "ws/link.loop")
    os.symlink(outside, tmp_path / "ws/link.loop")
    write("ws/main.loop", "\n".join([
        'import "missing.loop"',
        f'import "{outside}"',
        f'import "../{outside.name}"',
        'import "link.loop"',
        'import "sub"',
        'import ""',
        'import "nul\\u0000.loop"',
    ]))
    (tmp_path / "ws/sub").mkdir()
    monkeypatch.chdir(tmp_path / "ws")
    ws = load(["main.loop"])
    got = [(d.code, d.span.line, d.span.column) for d in ws.diagnostics]
    assert got == [("LD005", n, 8) for n in range(1, 8)]
    assert [f.path for f in ws.files] == ["main.loop"]  # nothing outside was read
    assert ws.kinds == []


def test_root_bounds_imports(write, tmp_path, monkeypatch):
    write("lib/kinds.loop", "kind k: context")
    write("proj/main.loop", 'import "../lib/kinds.loop"\nsystem s { k x }')
    monkeypatch.chdir(tmp_path / "proj")
    (failed,) = load(["main.loop"]).diagnostics  # the unknown kind is its consequence
    assert failed.code == "LD005" and failed.help.endswith("unresolved because of it: k")
    ws = load(["main.loop"], root=tmp_path)
    assert ws.diagnostics == [] and [f.path for f in ws.files] == [
        "main.loop", "../lib/kinds.loop"]


def test_files_given_outside_the_current_directory_keep_the_given_path(write, tmp_path,
                                                                       monkeypatch):
    write("a/x.loop", "system s { modle m }")
    (tmp_path / "b").mkdir()
    monkeypatch.chdir(tmp_path / "b")
    ws = load(["../a/x.loop"], root=tmp_path)
    assert ws.diagnostics[0].span.file == "../a/x.loop"
    assert load([str(tmp_path / "a")], root=tmp_path).files[0].path == str(
        Path(tmp_path / "a/x.loop").as_posix())


def test_constructed_workspaces_are_valid_models(monkeypatch):
    """The resolver builds models without validation; they must still validate."""
    from conftest import EXAMPLES
    from loopdsl.model import Workspace

    for folder in sorted(p for p in EXAMPLES.iterdir() if p.is_dir()):
        monkeypatch.chdir(folder)
        ws = load(["."])
        dumped = ws.model_dump(mode="json")
        assert Workspace.model_validate(dumped).model_dump(mode="json") == dumped
