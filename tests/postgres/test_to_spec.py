from __future__ import annotations

from pathlib import Path

from reconciler.backends.postgres import BACKEND
from reconciler.model import Database, to_plain
from tests.postgres.helpers import model_from_spec

FIXTURE = (Path(__file__).parent / "fixture_schema.sql").read_text()


def test_inspected_spec_round_trips(pg_conn, tmp_path) -> None:
    pg_conn.execute(FIXTURE)
    live = BACKEND.inspect(pg_conn, Database("postgres", schemas=["public", "audit"]))
    doc = BACKEND.to_spec(live)
    assert doc["dialect"] == "postgres" and doc["schemas"] == ["audit"]
    user = doc["tables"]["User"]
    assert user["columns"]["role"] == {"type": "MessageRole", "default": "USER"}
    assert user["columns"]["id"] == {"type": "integer", "identity": "always", "primary_key": True}
    assert user["columns"]["email"] == {"type": "citext", "comment": "login", "unique": True}
    assert user["columns"]["created_at"] == {"type": "timestamp(3)", "default": {"sql": "CURRENT_TIMESTAMP"}}
    assert user["columns"]["small"] == {"type": "smallint", "nullable": True, "default": -1}
    assert doc["tables"]["order"]["columns"]["id"] == {"type": "bigserial", "primary_key": True}
    assert doc["tables"]["order"]["columns"]["user_id"]["references"] == "User(id)"
    assert doc["tables"]["audit.events"]["columns"]["level"]["type"] == "audit.level"
    assert doc["tables"]["audit.events"]["columns"]["weight"] == {"type": "positive_int", "nullable": True}
    assert doc["tables"]["audit.events"]["columns"]["tags"] == {"type": "audit.tag[]", "nullable": True}
    assert doc["domains"] == {
        "audit.tag": {"type": "varchar(20)", "nullable": False, "default": "none",
                      "checks": {"tag_lower": "VALUE::text = lower(VALUE::text)"}, "comment": "a label"},
        "positive_int": {"type": "integer", "checks": {"positive_int_check": "VALUE > 0"}},
    }
    rebuilt = model_from_spec(tmp_path, {k: v for k, v in doc.items() if k not in ("version", "dialect")})
    canonical = BACKEND.canonicalize(pg_conn, rebuilt, live)
    # What the live views read (pg_depend) is a catalog fact the spec does not say.
    live.objects.pop("view_dependency")
    assert to_plain(canonical) == to_plain(live)
    assert BACKEND.fingerprint_data(canonical) == BACKEND.fingerprint_data(live)
