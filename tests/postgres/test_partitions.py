"""Declarative partitioning end to end on a real PostgreSQL: partitioned tables, partitions with bounds and a
default partition, indexes declared on the parent, key and bound changes, drops, inspect round trips."""

from __future__ import annotations

import copy
from pathlib import Path

import yaml

from tests.cli.helpers import apply_ok, invoke, replan

NO_CHANGES = "No changes. The database matches the spec."


def write(path: Path, doc: dict) -> Path:
    path.write_text(yaml.safe_dump({"version": 1, "dialect": "postgres", **doc}, sort_keys=False))
    return path


EVENTS = {
    "events": {
        "comment": "all events",
        "columns": {"id": {"type": "bigint"}, "created_at": {"type": "date"}, "kind": {"type": "text"}},
        "primary_key": ["id", "created_at"],
        "indexes": [{"columns": ["kind"]}],
        "partition_by": {"strategy": "range", "key": "created_at"},
    },
    "events_2024": {"partition_of": "events", "bounds": "FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')"},
    "events_2025": {"partition_of": "events", "bounds": "for values from ( '2025-01-01' )  to ('2026-01-01')",
                    "comment": "this year"},
    "events_other": {"partition_of": "events", "default": True},
}


def _partition_of(pg_conn, value: str) -> str:
    return pg_conn.execute(f"SELECT tableoid::regclass::text FROM events WHERE created_at = DATE '{value}'").fetchone()[0]


def test_create_route_inspect_and_drop(pg_url, pg_conn, tmp_path) -> None:
    spec = write(tmp_path / "s.yaml", {"tables": EVENTS})
    plan = replan(spec, pg_url)
    assert 'PARTITION BY RANGE (created_at)' in plan
    # Parents before partitions, the parent's index after both (PostgreSQL builds it on every partition).
    assert plan.index('CREATE TABLE "public"."events" (') < plan.index('CREATE TABLE "public"."events_2024" PARTITION OF')
    assert plan.index("PARTITION OF") < plan.index('CREATE INDEX "events_kind_idx"')
    assert """PARTITION OF "public"."events" FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')""" in plan
    assert 'PARTITION OF "public"."events" DEFAULT' in plan
    apply_ok(spec, pg_url)
    assert NO_CHANGES in replan(spec, pg_url)

    # Rows go to the partition their key falls in.
    pg_conn.execute("INSERT INTO events VALUES (1, '2024-06-01', 'a'), (2, '2025-02-01', 'b'), (3, '2019-01-01', 'c')")
    assert _partition_of(pg_conn, "2024-06-01") == "events_2024"
    assert _partition_of(pg_conn, "2025-02-01") == "events_2025"
    assert _partition_of(pg_conn, "2019-01-01") == "events_other"
    # PostgreSQL put the index and the key on every partition; none of them is reported.
    assert pg_conn.execute("SELECT count(*) FROM pg_indexes WHERE tablename = 'events_2024'").fetchone()[0] == 2

    code, out = invoke("inspect", "--url", pg_url)
    assert code == 0, out
    inspected = yaml.safe_load(out)
    assert inspected["tables"]["events_2024"] == {
        "partition_of": "events", "bounds": "FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')"}
    assert inspected["tables"]["events_other"] == {"partition_of": "events", "default": True}
    assert inspected["tables"]["events"]["partition_by"] == {"strategy": "range", "key": "created_at"}
    assert inspected["tables"]["events"]["indexes"] == [{"columns": ["kind"]}]
    inspected_spec = tmp_path / "inspected.yaml"
    inspected_spec.write_text(out)
    assert NO_CHANGES in replan(inspected_spec, pg_url)

    # Dropping the partitioned table drops its partitions: the plan lists them, partitions first.
    (tmp_path / "empty.yaml").write_text("version: 1\ndialect: postgres\ntables:\n  other:\n    columns:\n"
                                         "      id: {type: int}\n")
    plan = replan(tmp_path / "empty.yaml", pg_url)
    assert "drops its partitions public.events_2024, public.events_2025, public.events_other" in plan
    assert plan.index('DROP TABLE "public"."events_2024"') < plan.index('DROP TABLE "public"."events";')
    apply_ok(tmp_path / "empty.yaml", pg_url, "--allow-destroy")
    assert NO_CHANGES in replan(tmp_path / "empty.yaml", pg_url)
    assert pg_conn.execute("SELECT to_regclass('public.events_2024')").fetchone() == (None,)


def test_inspected_spec_applies_to_an_empty_database(pg_url, pg_conn, tmp_path) -> None:
    pg_conn.execute("""
        CREATE TABLE m (id int NOT NULL, region text NOT NULL, v numeric) PARTITION BY LIST (region);
        CREATE TABLE m_eu PARTITION OF m FOR VALUES IN ('de', 'fr');
        CREATE TABLE m_us PARTITION OF m FOR VALUES IN ('us');
        CREATE TABLE m_rest PARTITION OF m DEFAULT;
        CREATE INDEX m_v ON m (v);
        CREATE TABLE h (id int NOT NULL PRIMARY KEY) PARTITION BY HASH (id);
        CREATE TABLE h0 PARTITION OF h FOR VALUES WITH (MODULUS 2, REMAINDER 0);
        CREATE TABLE h1 PARTITION OF h FOR VALUES WITH (MODULUS 2, REMAINDER 1);
        CREATE TABLE e (k text NOT NULL, n int NOT NULL) PARTITION BY RANGE (lower(k), (n + 1));
        CREATE TABLE e1 PARTITION OF e FOR VALUES FROM ('a', 0) TO ('m', 100);
        COMMENT ON TABLE e1 IS 'first half';
    """)
    code, out = invoke("inspect", "--url", pg_url)
    assert code == 0, out
    spec = tmp_path / "inspected.yaml"
    spec.write_text(out)
    assert NO_CHANGES in replan(spec, pg_url)
    doc = yaml.safe_load(out)
    assert doc["tables"]["m_eu"] == {"partition_of": "m", "bounds": "FOR VALUES IN ('de', 'fr')"}
    assert doc["tables"]["h1"]["bounds"] == "FOR VALUES WITH (modulus 2, remainder 1)"
    assert doc["tables"]["e"]["partition_by"] == {"strategy": "range", "key": "lower(k), ((n + 1))"}
    assert doc["tables"]["e1"] == {"comment": "first half", "partition_of": "e",
                                   "bounds": "FOR VALUES FROM ('a', 0) TO ('m', 100)"}

    pg_conn.execute("DROP TABLE m, h, e")
    apply_ok(spec, pg_url)
    assert NO_CHANGES in replan(spec, pg_url)
    pg_conn.execute("INSERT INTO m VALUES (1, 'fr', 1), (2, 'us', 2), (3, 'jp', 3); INSERT INTO h VALUES (1), (2)")
    assert pg_conn.execute("SELECT region, tableoid::regclass::text FROM m ORDER BY id").fetchall() == [
        ("fr", "m_eu"), ("us", "m_us"), ("jp", "m_rest")]
    assert pg_conn.execute("SELECT count(*) FROM h0").fetchone()[0] + \
        pg_conn.execute("SELECT count(*) FROM h1").fetchone()[0] == 2


def test_bound_change_keeps_rows_and_key_change_replaces(pg_url, pg_conn, tmp_path) -> None:
    spec = write(tmp_path / "s.yaml", {"tables": EVENTS})
    apply_ok(spec, pg_url)
    pg_conn.execute("INSERT INTO events VALUES (1, '2024-06-01', 'a'), (2, '2023-06-01', 'b')")

    # Widen events_2024 to start in 2023: detached, then attached again; the default partition's 2023 row
    # would fall into the new bound, so move it out first (the attach refuses otherwise).
    pg_conn.execute("DELETE FROM events WHERE id = 2")
    doc = copy.deepcopy(EVENTS)
    doc["events_2024"]["bounds"] = "FOR VALUES FROM ('2023-01-01') TO ('2025-01-01')"
    write(spec, {"tables": doc})
    plan = replan(spec, pg_url)
    assert 'ALTER TABLE "public"."events" DETACH PARTITION "public"."events_2024"' in plan
    assert """ATTACH PARTITION "public"."events_2024" FOR VALUES FROM ('2023-01-01') TO ('2025-01-01')""" in plan
    assert "its rows are kept" in plan
    apply_ok(spec, pg_url, "--allow-hazards", "access_exclusive_lock,full_scan_validation,may_fail_on_data")
    assert NO_CHANGES in replan(spec, pg_url)
    assert pg_conn.execute("SELECT id FROM events_2024").fetchall() == [(1,)]
    pg_conn.execute("INSERT INTO events VALUES (3, '2023-03-01', 'c')")
    assert _partition_of(pg_conn, "2023-03-01") == "events_2024"

    # A new partition key: the table and its partitions are dropped and created again (data loss).
    doc["events"]["partition_by"] = {"strategy": "range", "key": "id"}
    doc = {"events": doc["events"], "events_a": {"partition_of": "events", "bounds": "FOR VALUES FROM (0) TO (2)"},
           "events_other": {"partition_of": "events", "default": True}}
    write(spec, {"tables": doc})
    plan = replan(spec, pg_url)
    assert "-/+ table public.events" in plan and "data_loss" in plan
    assert "partition_by: range (created_at) -> range (id)" in plan
    assert "dropped with its partitions public.events_2024, public.events_2025, public.events_other" in plan
    assert 'DROP TABLE IF EXISTS "public"."events_2024"' in plan
    code, out = invoke("apply", str(spec), "--url", pg_url, "--auto-approve")
    assert code == 1 and "--allow-destroy" in out
    apply_ok(spec, pg_url, "--allow-destroy")
    assert NO_CHANGES in replan(spec, pg_url)
    assert pg_conn.execute("SELECT count(*) FROM events").fetchone()[0] == 0
    pg_conn.execute("INSERT INTO events VALUES (1, '2024-01-01', 'a'), (2, '2024-01-01', 'z')")
    pg_conn.execute("INSERT INTO events VALUES (7, '2024-01-01', 'a')")
    assert pg_conn.execute("SELECT id, tableoid::regclass::text FROM events ORDER BY id").fetchall() == [
        (1, "events_a"), (2, "events_other"), (7, "events_other")]


def test_online_index_on_a_partitioned_table_is_built_without_concurrently(pg_url, pg_conn, tmp_path) -> None:
    spec = write(tmp_path / "s.yaml", {"tables": EVENTS})
    apply_ok(spec, pg_url)
    doc = copy.deepcopy(EVENTS)
    doc["events"]["indexes"].append({"columns": ["created_at", "kind"]})
    doc["events"]["checks"] = {"kind_short": "length(kind) < 10"}
    doc["kinds"] = {"columns": {"name": {"type": "text", "primary_key": True}}}
    doc["events"]["columns"]["kind"]["references"] = "kinds(name)"
    write(spec, {"tables": doc})
    code, plan = invoke("plan", str(spec), "--url", pg_url, "--online")
    assert code == 0, plan
    assert 'CREATE INDEX "events_created_at_kind_idx" ON "public"."events"' in plan
    assert "CREATE INDEX CONCURRENTLY" not in plan
    assert "--online does not apply: public.events is partitioned" in plan
    # The foreign key is added validated (NOT VALID is refused on a partitioned table); the check keeps
    # --online's NOT VALID + VALIDATE, which PostgreSQL allows.
    assert 'ADD CONSTRAINT "events_kind_fkey" FOREIGN KEY ("kind") REFERENCES "public"."kinds"("name");' in plan
    assert 'ADD CONSTRAINT "kind_short" CHECK (length(kind) < 10) NOT VALID;' in plan
    assert 'VALIDATE CONSTRAINT "kind_short"' in plan
    code, out = invoke("apply", str(spec), "--url", pg_url, "--online", "--auto-approve")
    assert code == 1 and "blocks_writes" in out
    apply_ok(spec, pg_url, "--online", "--allow-hazards", "blocks_writes,full_scan_validation,may_fail_on_data")
    assert NO_CHANGES in replan(spec, pg_url)
    assert pg_conn.execute("SELECT count(*) FROM pg_indexes WHERE tablename = 'events_2025'").fetchone()[0] == 3


def test_bad_partition_specs_are_refused(tmp_path) -> None:
    cases = [
        ({"p": {"partition_of": "events", "bounds": "FOR VALUES FROM (1) TO (2)"},
          "events": {"columns": {"id": {"type": "int"}}}}, "which has no partition_by"),
        ({"p": {"partition_of": "nope", "default": True}}, "which the spec does not define"),
        ({**EVENTS, "p": {"partition_of": "events", "bounds": "VALUES 1..2"}}, "expected FOR VALUES"),
        ({**EVENTS, "p": {"partition_of": "events"}}, "needs bounds"),
        ({**EVENTS, "p": {"partition_of": "events", "default": True, "columns": {"x": {"type": "int"}}}},
         "remove columns"),
        ({"t": {"columns": {"id": {"type": "int"}}, "partition_by": {"strategy": "round", "key": "id"}}}, "strategy"),
        ({**EVENTS, "p": {"partition_of": "events", "bounds": "FOR VALUES FROM ((1) TO (2)"}}, "bounds"),
        ({**EVENTS, "p": {"partition_of": "events", "bounds": "FOR VALUES IN (1); DROP TABLE x"}}, "bounds"),
    ]
    for tables, message in cases:
        spec = write(tmp_path / "bad.yaml", {"tables": tables})
        code, out = invoke("validate", str(spec))
        assert code == 1 and message in out, (tables, out)
        assert "bad.yaml:" in out


def test_sub_partitions_schemas_and_a_new_partition_beside_a_default_one(pg_url, pg_conn, tmp_path) -> None:
    tables = {
        "sales.orders": {"columns": {"id": {"type": "int"}, "region": {"type": "text"}, "at": {"type": "date"}},
                         "indexes": [{"columns": ["at"]}],
                         "partition_by": {"strategy": "list", "key": "region"}},
        "archive.orders_eu": {"partition_of": "sales.orders", "bounds": "FOR VALUES IN ('de', 'fr')",
                              "partition_by": {"strategy": "range", "key": "at"}},
        "archive.orders_eu_old": {"partition_of": "archive.orders_eu", "bounds": "FOR VALUES FROM (MINVALUE) TO "
                                                                                 "('2024-01-01')"},
        "archive.orders_eu_new": {"partition_of": "archive.orders_eu", "default": True},
        "sales.orders_rest": {"partition_of": "sales.orders", "default": True},
    }
    spec = write(tmp_path / "s.yaml", {"schemas": ["sales", "archive"], "tables": tables})
    apply_ok(spec, pg_url)
    assert NO_CHANGES in replan(spec, pg_url)
    pg_conn.execute("INSERT INTO sales.orders VALUES (1, 'de', '2020-01-01'), (2, 'fr', '2025-01-01'), "
                    "(3, 'us', '2025-01-01')")
    assert pg_conn.execute("SELECT id, tableoid::regclass::text FROM sales.orders ORDER BY id").fetchall() == [
        (1, "archive.orders_eu_old"), (2, "archive.orders_eu_new"), (3, "sales.orders_rest")]

    code, out = invoke("inspect", "--url", pg_url)
    assert code == 0, out
    doc = yaml.safe_load(out)
    assert doc["tables"]["archive.orders_eu"] == {
        "partition_of": "sales.orders", "bounds": "FOR VALUES IN ('de', 'fr')",
        "partition_by": {"strategy": "range", "key": "at"}}
    inspected = tmp_path / "inspected.yaml"
    inspected.write_text(out)
    assert NO_CHANGES in replan(inspected, pg_url)

    # A new partition beside the default one: PostgreSQL checks the default partition's rows.
    tables["sales.orders_us"] = {"partition_of": "sales.orders", "bounds": "FOR VALUES IN ('us')"}
    write(spec, {"schemas": ["sales", "archive"], "tables": tables})
    plan = replan(spec, pg_url)
    assert "fails if public.orders_rest" not in plan
    assert "fails if sales.orders_rest holds rows for FOR VALUES IN ('us')" in plan
    code, out = invoke("apply", str(spec), "--url", pg_url, "--auto-approve", "--allow-hazards",
                       "full_scan_validation,may_fail_on_data")
    assert code == 1 and "would be violated by some row" in out  # the 'us' row sits in the default partition
    pg_conn.execute("DELETE FROM sales.orders WHERE region = 'us'")
    apply_ok(spec, pg_url, "--allow-hazards", "full_scan_validation,may_fail_on_data")
    assert NO_CHANGES in replan(spec, pg_url)


def test_bounds_are_compared_in_the_key_types_spelling(pg_url, pg_conn, tmp_path) -> None:
    # PostgreSQL prints a timestamptz bound in full ('2024-01-01 00:00:00+00'): the spec's short spelling of
    # the same instant plans no change, and a different instant still does.
    tables = {
        "readings": {"columns": {"at": {"type": "timestamptz"}, "sensor": {"type": "text"}, "v": {"type": "int"}},
                     "partition_by": {"strategy": "range", "key": "at, sensor"}},
        "readings_2024": {"partition_of": "readings",
                          "bounds": "FOR VALUES FROM ('2024-01-01', MINVALUE) TO ('2025-01-01', MAXVALUE)"},
        "flags": {"columns": {"v": {"type": "numeric(5,2)"}}, "partition_by": {"strategy": "list", "key": "v"}},
        "flags_low": {"partition_of": "flags", "bounds": "FOR VALUES IN (1, '2.5')"},
        "ints": {"columns": {"i": {"type": "int"}, "b": {"type": "bigint"}, "ok": {"type": "boolean"},
                             "t": {"type": "text"}},
                 "partition_by": {"strategy": "range", "key": "i, b"}},
        "ints_low": {"partition_of": "ints", "bounds": "FOR VALUES FROM (-5, 0) TO ('10', '20')"},
        "bools": {"columns": {"ok": {"type": "boolean"}}, "partition_by": {"strategy": "list", "key": "ok"}},
        "bools_yes": {"partition_of": "bools", "bounds": "FOR VALUES IN ('t', NULL)"},
        "names": {"columns": {"t": {"type": "text"}}, "partition_by": {"strategy": "list", "key": "t"}},
        "names_a": {"partition_of": "names", "bounds": "FOR VALUES IN ('it''s', 'back\\slash')"},
    }
    spec = write(tmp_path / "s.yaml", {"tables": tables})
    apply_ok(spec, pg_url)
    assert NO_CHANGES in replan(spec, pg_url)
    bound = pg_conn.execute("SELECT pg_get_expr(relpartbound, oid, true) FROM pg_class "
                            "WHERE relname = 'readings_2024'").fetchone()[0]
    assert "00:00:00" in bound  # the server's spelling really differs from the spec's
    tables["readings_2024"]["bounds"] = "FOR VALUES FROM ('2024-01-02', MINVALUE) TO ('2025-01-01', MAXVALUE)"
    write(spec, {"tables": tables})
    assert "ATTACH PARTITION" in replan(spec, pg_url)
    apply_ok(spec, pg_url, "--allow-hazards", "access_exclusive_lock,full_scan_validation,may_fail_on_data")
    assert NO_CHANGES in replan(spec, pg_url)


def test_renaming_a_partitioned_table_keeps_its_partitions(pg_url, pg_conn, tmp_path) -> None:
    spec = write(tmp_path / "s.yaml", {"tables": EVENTS})
    apply_ok(spec, pg_url)
    pg_conn.execute("INSERT INTO events VALUES (1, '2024-06-01', 'a')")
    doc = copy.deepcopy(EVENTS)
    doc["log"] = {**doc.pop("events"), "renamed_from": "events"}
    for partition in ("events_2024", "events_2025", "events_other"):
        doc[partition]["partition_of"] = "log"
    write(spec, {"tables": doc})
    plan = replan(spec, pg_url)
    assert 'ALTER TABLE "public"."events" RENAME TO "log"' in plan
    assert "DETACH" not in plan and "ATTACH" not in plan
    apply_ok(spec, pg_url)
    assert pg_conn.execute("SELECT tableoid::regclass::text FROM log").fetchall() == [("events_2024",)]
    assert NO_CHANGES in replan(spec, pg_url)
