"""Hostile collection and index names and validator values on MongoDB: the mongosh artifact and
apply keep them as data (a `$` operator in a validator is a key, never code)."""

from __future__ import annotations

import yaml
from click.testing import CliRunner

from reconciler.backends.mongodb import mongosh
from reconciler.changes import Hazard
from reconciler.cli import main
from tests.mongodb.conftest import URL

# MongoDB itself forbids `$` and NUL in collection names; everything else is allowed.
NAMES = ['"', "'", "\\", ";", "--", "/*", "*/", "\n", 'x"); db.dropDatabase(); ("', "x'); db.dropDatabase(); ('",
         "ünïcødé ✓", "Mixed Case", "a\u2028b"]
CODE = "'); db.dropDatabase(); //"


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def spec_doc() -> dict:
    collections = {}
    for i, name in enumerate(NAMES):
        collections[f"c{i}{name}"] = {
            "validator": {"$jsonSchema": {"bsonType": "object", "properties": {
                "kind": {"enum": [name, CODE, "$where", "$function"]},
                "note": {"bsonType": "string", "description": CODE}}}},
            "indexes": [{"name": f"i{i}{name}", "keys": {f"f{name}": 1}},
                        {"keys": [{f"g{name}": 1}, {"h": -1}], "partial_filter": {f"g{name}": {"$eq": CODE}}}],
        }
    return {"version": 1, "dialect": "mongodb", "databases": {"app": {"collections": collections}}}


def test_hostile_names_stay_data(fake_server, tmp_path) -> None:
    spec = tmp_path / "schema.yaml"
    spec.write_text(yaml.safe_dump(spec_doc(), allow_unicode=True))
    assert run("validate", str(spec)).exit_code == 0
    script = run("plan", str(spec), "--url", URL, "--format", "sql")
    assert script.exit_code == 0, script.output
    # Every statement of the artifact is one line that reads back as exactly one command document.
    statements = [line for line in script.output.splitlines() if line.startswith("db.")]
    assert statements
    for line in statements:
        database, command = mongosh.parse(line)
        assert database == "app"
        assert mongosh.command_line(database, command) == line
    applied = run("apply", str(spec), "--url", URL, "--auto-approve", "--quiet",
                  "--allow-hazards", ",".join(h.value for h in Hazard))
    assert applied.exit_code == 0, applied.output
    again = run("plan", str(spec), "--url", URL)
    assert again.exit_code == 0 and "No changes." in again.output, again.output
    assert "app" in fake_server.list_database_names()
    names = set(fake_server["app"].list_collection_names())
    assert {f"c{i}{name}" for i, name in enumerate(NAMES)} <= names
