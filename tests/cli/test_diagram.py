"""`schemactl diagram` and the plan's Mermaid picture, checked with the real tools: Mermaid's own parser
(`make diagram-tools`) and Graphviz's `dot`."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.cli.helpers import apply_ok, invoke

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / ".diagram-tools"
EXAMPLES = sorted(p.parent.name for p in (ROOT / "examples").glob("*/schema.yaml"))
GITHUB_COMMENT_LIMIT = 65_536
CHECKER = (ROOT / "tests/support/mermaid_check.mjs").read_text()


@pytest.fixture(scope="module")
def mermaid_parse():
    if not (TOOLS / "node_modules" / "mermaid").is_dir() or shutil.which("node") is None:
        pytest.fail("Mermaid's parser is not installed: run `make diagram-tools` (make test does)")

    def parse(text: str) -> str:
        # As `-e` source run in the tools' folder, so that its imports resolve to the packages there.
        done = subprocess.run(["node", "--input-type=module", "-e", CHECKER], input=text, text=True,
                              capture_output=True, cwd=TOOLS, timeout=120)
        assert done.returncode == 0, done.stderr + "\n" + text
        return done.stdout.strip()

    return parse


@pytest.fixture(scope="module")
def dot_render():
    if shutil.which("dot") is None:
        pytest.fail("Graphviz's dot is not installed: run `make diagram-tools` (make test does)")

    def render(text: str) -> str:
        done = subprocess.run(["dot", "-Tsvg"], input=text, text=True, capture_output=True, timeout=60)
        assert done.returncode == 0 and not done.stderr, done.stderr + "\n" + text
        return done.stdout

    return render


def _diagram(spec: Path | str, fmt: str) -> str:
    code, out = invoke("diagram", str(spec), "--format", fmt)
    assert code == 0, out
    return out


@pytest.mark.parametrize("example", EXAMPLES)
def test_every_example_draws_in_mermaid_and_dot(example, mermaid_parse, dot_render):
    spec = ROOT / "examples" / example / "schema.yaml"
    mermaid = _diagram(spec, "mermaid")
    assert mermaid_parse(mermaid) == "ok er"
    svg = dot_render(_diagram(spec, "dot"))
    doc = yaml.safe_load(spec.read_text())
    # Every table (or collection) of the spec is drawn, in both pictures.
    names = list(doc.get("tables") or {}) or [c for db in (doc.get("databases") or {}).values()
                                               for c in (db.get("collections") or {})]
    assert names
    for name in names:
        assert name in mermaid and name in svg, name


def test_foreign_keys_with_their_actions(tmp_path, mermaid_parse, dot_render):
    mermaid = _diagram(ROOT / "examples/agents-chat/schema.yaml", "mermaid")
    ids = dict((name, ident) for ident, name in re.findall(r'^\s+(e\d+)\["([^"]+)"\] \{', mermaid, re.M))
    # chats.agent_id -> agents.id, on delete cascade: parent ||--o{ child, labelled with the action.
    assert re.search(rf'^\s+{ids["public.agents"]} \|\|--o\{{ {ids["public.chats"]} : "[^"]*agent_id '
                     r'\(on delete cascade\)"', mermaid, re.M), mermaid
    assert re.search(r"uuid agent_id FK", mermaid)
    svg = dot_render(_diagram(ROOT / "examples/agents-chat/schema.yaml", "dot"))
    assert "agent_id (on delete cascade)" in svg


def test_hostile_names_still_parse(tmp_path, mermaid_parse, dot_render):
    spec = tmp_path / "s.yaml"
    spec.write_text(yaml.safe_dump({"version": 1, "dialect": "postgres", "tables": {
        'we"ird <name>': {"columns": {"id key": {"type": "timestamp with time zone", "primary_key": True},
                                      "ünï-côdé": {"type": "numeric(10,2)", "unique": True}}},
        "parent": {"columns": {"id": {"type": "bigint", "primary_key": True}}},
        "child": {"columns": {"id": {"type": "bigint", "primary_key": True},
                              "parent": {"type": "bigint", "nullable": True}},
                  "foreign_keys": [{"columns": ["parent"], "references": "parent(id)", "on_delete": "set null",
                                    "name": 'fk "quoted"'}]}}}))
    assert invoke("validate", str(spec))[0] == 0
    assert mermaid_parse(_diagram(spec, "mermaid")) == "ok er"
    assert "we&quot;ird &lt;name&gt;" in dot_render(_diagram(spec, "dot"))


def test_git_path_and_output_file(tmp_path, mermaid_parse):
    out = tmp_path / "er.mmd"
    code, text = invoke("diagram", str(ROOT / "examples/sqlite-demo/schema.yaml"), "-o", str(out))
    assert code == 0 and text == ""
    assert mermaid_parse(out.read_text()) == "ok er"


def _sqlite_spec(path: Path, tables: dict) -> Path:
    path.write_text(yaml.safe_dump({"version": 1, "dialect": "sqlite", "tables": tables}, sort_keys=False))
    return path


def test_markdown_plan_draws_the_changed_tables_and_their_neighbours(tmp_path, sqlite_url, mermaid_parse):
    users = {"columns": {"id": {"type": "integer", "primary_key": True}}}
    teams = {"columns": {"id": {"type": "integer", "primary_key": True}}}
    spec = _sqlite_spec(tmp_path / "s.yaml", {"users": users, "teams": teams})
    apply_ok(spec, sqlite_url)
    posts = {"columns": {"id": {"type": "integer", "primary_key": True}, "author": {"type": "integer"}},
             "foreign_keys": [{"columns": ["author"], "references": "users(id)", "on_delete": "cascade"}]}
    _sqlite_spec(spec, {"users": users, "teams": teams, "posts": posts})
    code, md = invoke("plan", str(spec), "--url", sqlite_url, "--format", "markdown")
    assert code == 0, md
    block = re.search(r"```mermaid\n(.*?)```", md, re.S)
    assert block, md
    picture = block.group(1)
    assert mermaid_parse(picture) == "ok er"
    # The new table is coloured as created, its neighbour drawn for context, the unrelated table left out.
    ids = dict((name, ident) for ident, name in re.findall(r'(e\d+)\["([^"]+)"\] \{', picture))
    assert set(ids) == {"posts", "users"}
    assert f"class {ids['posts']} created" in picture and f"class {ids['users']} neighbour" in picture
    # The same picture is in the JSON document.
    code, doc = invoke("plan", str(spec), "--url", sqlite_url, "--format", "json")
    assert code == 0 and yaml.safe_load(doc)["diagram"] == picture


def test_postgres_plan_highlights_changed_and_dropped(tmp_path, pg_url, mermaid_parse):
    def write(tables: dict) -> Path:
        path = tmp_path / "s.yaml"
        path.write_text(yaml.safe_dump({"version": 1, "dialect": "postgres", "tables": tables}))
        return path

    accounts = {"columns": {"id": {"type": "bigint", "primary_key": True}}}
    users = {"columns": {"id": {"type": "bigint", "primary_key": True}, "account": {"type": "bigint"}},
             "foreign_keys": [{"columns": ["account"], "references": "accounts(id)", "on_delete": "cascade"}]}
    old = {"columns": {"id": {"type": "bigint", "primary_key": True}}}
    apply_ok(write({"accounts": accounts, "users": users, "old": old}), pg_url)
    users["columns"]["email"] = {"type": "text", "nullable": True}
    spec = write({"accounts": accounts, "users": users})
    code, md = invoke("plan", str(spec), "--url", pg_url, "--format", "markdown")
    assert code == 0, md
    picture = re.search(r"```mermaid\n(.*?)```", md, re.S).group(1)
    assert mermaid_parse(picture) == "ok er"
    ids = dict((name, ident) for ident, name in re.findall(r'(e\d+)\["([^"]+)"\] \{', picture))
    assert f"class {ids['public.users']} changed" in picture
    assert f"class {ids['public.old']} dropped" in picture
    assert f"class {ids['public.accounts']} neighbour" in picture


def test_markdown_with_a_huge_diagram_stays_under_the_comment_limit(tmp_path):
    tables = {f"t{i}": {"columns": {"id": {"type": "integer", "primary_key": True},
                                    "parent": {"type": "integer", "nullable": True}},
                        "foreign_keys": [{"columns": ["parent"], "references": f"t{max(i - 1, 0)}(id)"}]}
              for i in range(400)}
    old = _sqlite_spec(tmp_path / "old.yaml", {})
    new = _sqlite_spec(tmp_path / "new.yaml", tables)
    code, md = invoke("diff", str(old), str(new), "--format", "markdown")
    assert code == 0
    assert len(md) < GITHUB_COMMENT_LIMIT - 1000
    assert "```mermaid" not in md and "schemactl diagram" in md


def test_the_checker_is_a_real_parser(mermaid_parse):
    """The check above could not pass on anything: Mermaid refuses a relation without its label."""
    with pytest.raises(AssertionError, match="Parse error"):
        mermaid_parse('erDiagram\n  e0["a"] {\n    int id PK\n  }\n  e0 ||--o{ e0 "no colon"\n')
