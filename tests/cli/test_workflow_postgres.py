"""The plan/apply workflow end to end through the CLI, on a real PostgreSQL server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from tests.cli.helpers import invoke
from tests.support.pgserver import PASSWORD

ROOT = Path(__file__).resolve().parents[2]

SPEC = """\
version: 1
dialect: postgres
enums:
  role: [USER, ADMIN]
tables:
  accounts:
    columns:
      id: {type: bigint, identity: always, primary_key: true}
      email: {type: "varchar(200)", unique: true}
      role: {type: role, default: USER}
      created_at: {type: timestamptz, default: {sql: now()}}
  notes:
    columns:
      id: {type: bigint, identity: by_default, primary_key: true}
      account_id: {type: bigint, references: accounts(id), on_delete: cascade}
      body: {type: text}
    indexes:
      - {columns: [account_id]}
    checks:
      body_not_empty: "length(body) > 0"
"""


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    path = tmp_path / "schema.yaml"
    path.write_text(SPEC)
    return path


def apply_ok(spec: Path, url: str, *extra: str) -> str:
    code, out = invoke("apply", str(spec), "--url", url, "--auto-approve", "--quiet", *extra)
    assert code == 0, out
    return out


def replan(spec: Path, url: str) -> str:
    return invoke("plan", str(spec), "--url", url)[1].strip()


def relations(conn: psycopg.Connection) -> list[str]:
    return [r[0] for r in conn.execute(
        "SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY 1")]


def test_apply_converges_and_password_never_printed(spec, pg_url):
    code, out = invoke("plan", str(spec), "--url", pg_url)
    assert code == 0 and "Plan: 5 to add, 0 to change, 0 to destroy." in out
    assert PASSWORD not in out and "postgres:***@" in out
    out = apply_ok(spec, pg_url)
    assert PASSWORD not in out
    assert replan(spec, pg_url) == "No changes. The database matches the spec."


def test_wrong_credentials_and_unreachable_server_are_redacted(spec, pg_url, pg_server):
    bad = pg_url.replace(PASSWORD, "wrong-secret-pw")
    code, out = invoke("plan", str(spec), "--url", bad)
    assert code == 1 and out.startswith("Error:")
    assert "wrong-secret-pw" not in out and "Traceback" not in out
    code, out = invoke("plan", str(spec), "--url", f"postgresql://u:{PASSWORD}@127.0.0.1:1/db")
    assert code == 1 and PASSWORD not in out and "Traceback" not in out


def test_detailed_exit_codes_and_json_schema(spec, pg_url):
    import jsonschema

    assert invoke("plan", str(spec), "--url", pg_url, "--detailed-exitcode")[0] == 2
    code, out = invoke("plan", str(spec), "--url", pg_url, "--format", "json")
    schema = json.loads((ROOT / "schemas" / "plan.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(json.loads(out))
    apply_ok(spec, pg_url)
    assert invoke("plan", str(spec), "--url", pg_url, "--detailed-exitcode")[0] == 0


def test_stale_saved_plan_is_refused_and_says_what_changed(spec, pg_url, pg_conn, tmp_path):
    apply_ok(spec, pg_url)
    spec.write_text(SPEC.replace("      body: {type: text}\n", "      body: {type: text}\n      title: {type: text, nullable: true}\n"))
    plan_file = tmp_path / "plan.json"
    assert invoke("plan", str(spec), "--url", pg_url, "-out", str(plan_file))[0] == 0
    pg_conn.execute('ALTER TABLE notes ADD COLUMN sneaky integer')
    code, out = invoke("apply", str(plan_file), "--url", pg_url, "--auto-approve")
    assert code == 1
    assert "Saved plan is stale" in out and "sneaky" in out
    assert "title" not in [r[0] for r in pg_conn.execute(
        "SELECT attname FROM pg_attribute WHERE attrelid = 'notes'::regclass")]
    pg_conn.execute('ALTER TABLE notes DROP COLUMN sneaky')
    code, out = invoke("apply", str(plan_file), "--url", pg_url, "--auto-approve", "--quiet")
    assert code == 0, out
    assert replan(spec, pg_url) == "No changes. The database matches the spec."


def test_failing_statement_leaves_database_unchanged(spec, pg_url, pg_conn):
    apply_ok(spec, pg_url)
    pg_conn.execute("INSERT INTO accounts (email) VALUES ('a@example.com')")
    # A new table (runs first) and a NOT NULL column without default on a table with rows (fails).
    spec.write_text((SPEC + "  audit:\n    columns:\n      id: {type: integer, primary_key: true}\n").replace(
        "      created_at: {type: timestamptz, default: {sql: now()}}\n",
        "      created_at: {type: timestamptz, default: {sql: now()}}\n      required: {type: text}\n"))
    code, out = invoke("apply", str(spec), "--url", pg_url, "--auto-approve", "--quiet",
                       "--allow-hazards", "may_fail_on_data")
    assert code == 1
    assert "required" in out and "null" in out.lower()
    assert "audit" not in relations(pg_conn)
    assert replan(spec, pg_url).endswith("Plan: 2 to add, 0 to change, 0 to destroy.")


def test_drops_refused_without_flag_and_prevent_destroy(spec, pg_url, pg_conn):
    apply_ok(spec, pg_url)
    spec.write_text(SPEC.split("  notes:")[0])
    code, out = invoke("apply", str(spec), "--url", pg_url, "--auto-approve")
    assert code == 1 and "--allow-destroy" in out and "table public.notes" in out
    assert "notes" in relations(pg_conn)
    # Dropping the column drops its check too (a check naming a missing column is refused by validate).
    protected = SPEC.replace("  notes:\n", "  notes:\n    prevent_destroy: true\n").replace(
        "      body: {type: text}\n", "").replace('    checks:\n      body_not_empty: "length(body) > 0"\n', "")
    spec.write_text(protected)
    code, out = invoke("apply", str(spec), "--url", pg_url, "--auto-approve", "--allow-destroy",
                       "--allow-hazards", "data_loss,access_exclusive_lock,table_rewrite")
    assert code == 1 and "prevent_destroy" in out
    assert "body" in [r[0] for r in pg_conn.execute(
        "SELECT attname FROM pg_attribute WHERE attrelid = 'notes'::regclass AND attnum > 0")]


def test_rename_keeps_rows(spec, pg_url, pg_conn):
    apply_ok(spec, pg_url)
    pg_conn.execute("INSERT INTO accounts (email) VALUES ('a@example.com')")
    pg_conn.execute("INSERT INTO notes (account_id, body) SELECT id, 'hello' FROM accounts")
    renamed = SPEC.replace("  notes:\n", "  memos:\n    renamed_from: notes\n").replace(
        "      body: {type: text}\n", "      content: {type: text, renamed_from: body}\n").replace(
        "length(body)", "length(content)")
    spec.write_text(renamed)
    code, out = invoke("plan", str(spec), "--url", pg_url)
    assert "- " not in out.split("Statements:")[0], out
    apply_ok(spec, pg_url, "--allow-hazards", "access_exclusive_lock")
    assert list(pg_conn.execute("SELECT content FROM memos")) == [("hello",)]
    assert replan(spec, pg_url) == "No changes. The database matches the spec."


def _start_blocked_apply(spec: Path, url: str, pg_conn: psycopg.Connection, waits_in: str = "ALTER TABLE%",
                         *extra: str) -> subprocess.Popen:
    """Start an apply in a subprocess that blocks inside its transaction on a lock the test holds."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "apply", str(spec), "--url", url, "--auto-approve",
         "--allow-hazards", "access_exclusive_lock,blocks_writes,table_rewrite", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        waiting = pg_conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE %s", (waits_in,)
        ).fetchone()[0]
        if waiting:
            return proc
        if proc.poll() is not None:
            raise AssertionError(f"apply ended early: {proc.communicate()}")
        time.sleep(0.1)
    proc.kill()
    raise AssertionError("apply never blocked")


def _blocking_spec(spec: Path) -> None:
    spec.write_text(SPEC + "  audit:\n    columns:\n      id: {type: integer, primary_key: true}\n")
    spec.write_text(spec.read_text().replace(
        "      body: {type: text}\n", "      body: {type: text}\n      extra: {type: text, nullable: true}\n"))


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_during_apply_rolls_back_and_next_plan_completes(spec, pg_url, pg_server, signum):
    # SIGTERM is what a cancelled deploy job sends: it must behave like Ctrl-C.
    apply_ok(spec, pg_url)
    _blocking_spec(spec)
    with psycopg.connect(pg_url, autocommit=True) as watcher, psycopg.connect(pg_url) as locker:
        locker.execute("LOCK TABLE notes IN ACCESS SHARE MODE")
        proc = _start_blocked_apply(spec, pg_url, watcher)
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=30)
        locker.rollback()
        assert proc.returncode == 130, err
        assert "Interrupted" in err and "Traceback" not in err
        assert "audit" not in relations(watcher)
    assert replan(spec, pg_url).endswith("Plan: 2 to add, 0 to change, 0 to destroy.")
    apply_ok(spec, pg_url)
    assert replan(spec, pg_url) == "No changes. The database matches the spec."


def test_concurrent_applies_are_serialised(spec, pg_url):
    apply_ok(spec, pg_url)
    _blocking_spec(spec)
    with psycopg.connect(pg_url, autocommit=True) as watcher, psycopg.connect(pg_url) as locker:
        # The first apply then waits while holding the apply lock, at its history record (the last step
        # of its transaction), on a table that inspection never reads.
        locker.execute('LOCK TABLE "schemactl"."schemactl_history" IN ACCESS EXCLUSIVE MODE')
        first = _start_blocked_apply(spec, pg_url, watcher, 'INSERT INTO "schemactl"%')
        try:
            env = {**os.environ}
            second = subprocess.run(
                [sys.executable, "-m", "reconciler", "apply", str(spec), "--url", pg_url, "--auto-approve",
                 "--lock-timeout", "1", "--allow-hazards", "access_exclusive_lock,blocks_writes,table_rewrite"],
                capture_output=True, text=True, cwd=ROOT, env=env, timeout=60)
            assert second.returncode == 1
            assert "another schemactl apply holds the lock" in second.stderr
        finally:
            locker.rollback()
        out, err = first.communicate(timeout=60)
        assert first.returncode == 0, err
    assert replan(spec, pg_url) == "No changes. The database matches the spec."


def test_invalid_index_from_failed_concurrent_build_is_repaired(spec, pg_url, pg_conn):
    apply_ok(spec, pg_url)
    pg_conn.execute("INSERT INTO accounts (email) VALUES ('a@example.com'), ('b@example.com')")
    pg_conn.execute("INSERT INTO notes (account_id, body) SELECT id, 'same' FROM accounts")
    spec.write_text(SPEC.replace("      - {columns: [account_id]}\n",
                                 "      - {columns: [account_id]}\n      - {columns: [body], unique: true}\n"))
    code, out = invoke("apply", str(spec), "--url", pg_url, "--auto-approve", "--quiet", "--online",
                       "--allow-hazards", "may_fail_on_data,blocks_writes")
    assert code == 1 and "could not create unique index" in out
    # PostgreSQL leaves the failed concurrent build behind as an invalid index.
    [(valid,)] = pg_conn.execute("SELECT indisvalid FROM pg_index WHERE indexrelid = 'notes_body_idx'::regclass")
    assert valid is False
    pg_conn.execute("UPDATE notes SET body = body || id")
    code, out = invoke("plan", str(spec), "--url", pg_url)
    assert "-/+ index public.notes.notes_body_idx" in out and "valid: false -> true" in out
    apply_ok(spec, pg_url, "--online", "--allow-hazards", "may_fail_on_data,blocks_writes,index_dropped")
    [(valid,)] = pg_conn.execute("SELECT indisvalid FROM pg_index WHERE indexrelid = 'notes_body_idx'::regclass")
    assert valid is True
    assert replan(spec, pg_url) == "No changes. The database matches the spec."


def test_type_change_needs_using_when_postgres_cannot_cast(tmp_path, pg_url, pg_conn):
    base = "version: 1\ndialect: postgres\ntables:\n  t:\n    columns:\n      id: {type: integer, primary_key: true}\n"
    spec = tmp_path / "s.yaml"
    spec.write_text(base + "      amount: {type: text}\n")
    apply_ok(spec, pg_url)
    pg_conn.execute("INSERT INTO t VALUES (1, '42')")
    spec.write_text(base + "      amount: {type: integer}\n")
    code, out = invoke("plan", str(spec), "--url", pg_url)
    assert code == 1
    assert "cannot convert text to integer implicitly" in out and 'using: "amount::integer"' in out
    spec.write_text(base + '      amount: {type: integer, using: "amount::integer"}\n')
    apply_ok(spec, pg_url, "--allow-hazards", "access_exclusive_lock,table_rewrite,may_fail_on_data")
    assert list(pg_conn.execute("SELECT amount FROM t")) == [(42,)]
    assert replan(spec, pg_url) == "No changes. The database matches the spec."
    # Widening needs no conversion expression.
    spec.write_text(base + "      amount: {type: bigint}\n")
    assert "Plan: 0 to add, 1 to change, 0 to destroy." in invoke("plan", str(spec), "--url", pg_url)[1]


WEIRD = """\
version: 1
dialect: postgres
enums:
  "Mood Type": ["it's fine", 'say "hi"']
tables:
  'User "Accounts"':
    comment: "x'); DROP TABLE victims; --"
    columns:
      select: {type: integer, primary_key: true}
      Order Id: {type: text, default: "'); DROP TABLE victims; --", comment: "it's a comment"}
      mood: {type: Mood Type, nullable: true}
    indexes:
      - {columns: [Order Id], where: "\\"Order Id\\" <> ''"}
    checks:
      'Select Positive': '"select" > 0'
"""


def test_identifiers_are_quoted_and_values_never_injected(tmp_path, pg_url, pg_conn):
    pg_conn.execute("CREATE TABLE victims (id integer)")
    spec = tmp_path / "weird.yaml"
    spec.write_text(WEIRD.replace("tables:\n", "tables:\n  victims:\n    columns:\n      id: {type: integer, nullable: true}\n"))
    apply_ok(spec, pg_url)
    assert "victims" in relations(pg_conn) and 'User "Accounts"' in relations(pg_conn)
    pg_conn.execute('INSERT INTO "User ""Accounts""" ("select") VALUES (1)')
    [(order_id, comment)] = pg_conn.execute(
        'SELECT "Order Id", obj_description(\'"User ""Accounts"""\'::regclass) FROM "User ""Accounts"""')
    assert order_id == "'); DROP TABLE victims; --"
    assert comment == "x'); DROP TABLE victims; --"
    assert replan(spec, pg_url) == "No changes. The database matches the spec."


def test_insufficient_privileges_fail_cleanly(spec, pg_url, pg_conn):
    pg_conn.execute("CREATE ROLE reader LOGIN PASSWORD 'reader-secret-pw'")
    pg_conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    reader_url = pg_url.replace(f"postgres:{PASSWORD}@", "reader:reader-secret-pw@")
    code, out = invoke("apply", str(spec), "--url", reader_url, "--auto-approve", "--quiet")
    assert code == 1
    assert "permission denied" in out and "Traceback" not in out and "reader-secret-pw" not in out
    assert relations(pg_conn) == []


def test_online_statements_carry_timeouts_that_postgres_enforces(spec, pg_url, pg_conn):
    apply_ok(spec, pg_url)
    spec.write_text(SPEC.replace("      body: {type: text}\n", "      body: {type: text}\n      extra: {type: text, nullable: true}\n"))
    code, sql = invoke("plan", str(spec), "--url", pg_url, "--online", "--format", "sql",
                       "--statement-lock-timeout", "200ms", "--statement-timeout", "1min")
    assert code == 0 and "SET LOCAL lock_timeout = '200ms';\nSET LOCAL statement_timeout = '1min';\nALTER" in sql
    # A bad flag is an error (1), never "changes present" (2).
    assert invoke("plan", str(spec), "--url", pg_url, "--detailed-exitcode", "--statement-timeout", "soon")[0] == 1
    with psycopg.connect(pg_url) as locker:
        locker.execute("LOCK TABLE notes IN ACCESS SHARE MODE")
        code, out = invoke("apply", str(spec), "--url", pg_url, "--auto-approve", "--quiet", "--online",
                           "--statement-lock-timeout", "200ms", "--allow-hazards", "access_exclusive_lock")
        assert code == 1 and "canceling statement due to lock timeout" in out
        locker.rollback()
    assert "extra" not in [r[0] for r in pg_conn.execute(
        "SELECT attname FROM pg_attribute WHERE attrelid = 'notes'::regclass AND attnum > 0")]


def test_prevent_destroy_column_refuses_a_narrowing_type_change(spec, pg_url):
    apply_ok(spec, pg_url)
    spec.write_text(SPEC.replace('email: {type: "varchar(200)", unique: true}',
                                 'email: {type: "varchar(20)", unique: true, prevent_destroy: true}'))
    code, out = invoke("apply", str(spec), "--url", pg_url, "--auto-approve", "--allow-destroy",
                       "--allow-hazards", "data_loss,table_rewrite,access_exclusive_lock,may_fail_on_data")
    assert code == 1 and "prevent_destroy" in out and "column public.accounts.email" in out


def test_inspect_then_plan_is_empty_on_a_hand_built_database(pg_url, pg_conn, tmp_path):
    # Every supported object kind, written as plain SQL by hand (tests/postgres/fixture_schema.sql).
    pg_conn.execute((ROOT / "tests" / "postgres" / "fixture_schema.sql").read_text())
    spec = tmp_path / "adopted.yaml"
    code, out = invoke("inspect", "--url", pg_url, "--schema", "public", "--schema", "audit", "-o", str(spec))
    assert code == 0, out
    assert replan(spec, pg_url) == "No changes. The database matches the spec."
    # The adopted spec also builds the same schema from scratch.
    fresh = pg_url.rsplit("/", 1)[0] + "/" + pg_url.rsplit("/", 1)[1] + "_copy"
    pg_conn.execute(f'CREATE DATABASE "{fresh.rsplit("/", 1)[1]}"')
    try:
        apply_ok(spec, fresh)
        assert replan(spec, fresh) == "No changes. The database matches the spec."
    finally:
        pg_conn.execute(f'DROP DATABASE "{fresh.rsplit("/", 1)[1]}" WITH (FORCE)')


def test_removing_an_enum_value_rebuilds_indexes_and_checks_that_mention_the_enum(tmp_path, pg_url, pg_conn):
    base = """\
version: 1
dialect: postgres
enums:
  status: [draft, review, published, archived]
tables:
  posts:
    columns:
      id: {type: integer, primary_key: true}
      status: {type: status, default: draft}
    indexes:
      - {name: posts_live_idx, columns: [id], where: "status <> 'draft'"}
    checks:
      not_review: "status <> 'review' OR id > 0"
"""
    spec = tmp_path / "s.yaml"
    spec.write_text(base)
    apply_ok(spec, pg_url)
    pg_conn.execute("INSERT INTO posts VALUES (1, 'published'), (2, 'draft')")
    spec.write_text(base.replace("[draft, review, published, archived]", "[draft, review, published]"))
    code, out = invoke("plan", str(spec), "--url", pg_url, "--format", "sql")
    sql = out.split("\n")
    # The index and the check that mention the enum are dropped before it is recreated and created after.
    drop_index = sql.index('DROP INDEX "public"."posts_live_idx";')
    rename = sql.index('ALTER TYPE "public"."status" RENAME TO "status__old";')
    create_index = next(i for i, line in enumerate(sql) if line.startswith('CREATE INDEX "posts_live_idx"'))
    assert drop_index < rename < create_index
    apply_ok(spec, pg_url, "--allow-destroy", "--allow-hazards",
             "data_loss,table_rewrite,may_fail_on_data,access_exclusive_lock,blocks_writes,index_dropped,"
             "full_scan_validation")
    assert sorted(pg_conn.execute("SELECT id, status::text FROM posts")) == [(1, "published"), (2, "draft")]
    assert replan(spec, pg_url) == "No changes. The database matches the spec."


@pytest.mark.parametrize("command", ["plan", "apply", "status"])
def test_spec_errors_come_before_the_target_and_change_nothing(spec, pg_url, pg_conn, tmp_path, command):
    # The spec is validated while the live schema is read; its errors must still win and stop everything.
    bad = tmp_path / "bad.yaml"
    bad.write_text(SPEC.replace('type: "varchar(200)"', "type: varchr"))
    extra = ["--auto-approve"] if command == "apply" else []
    code, out = invoke(command, str(bad), "--url", pg_url, *extra)
    assert code == 1 and f'{bad}:9:21: tables.accounts.columns.email.type: unknown type "varchr"' in out, out
    assert relations(pg_conn) == []
    # With the target unreachable too, the spec error is the one reported (as if validated first).
    code, out = invoke(command, str(bad), "--url", f"postgresql://u:{PASSWORD}@127.0.0.1:1/db", *extra)
    assert code == 1 and 'unknown type "varchr"' in out and PASSWORD not in out, out
    no_dialect = tmp_path / "no_dialect.yaml"
    no_dialect.write_text(SPEC.replace("dialect: postgres\n", ""))
    code, out = invoke(command, str(no_dialect), "--url", pg_url, *extra)
    assert code == 1 and "dialect" in out and "Traceback" not in out, out
    code, out = invoke(command, str(spec), "--url", f"postgresql://u:{PASSWORD}@127.0.0.1:1/db", *extra)
    assert code == 1 and PASSWORD not in out and "Traceback" not in out and "varchr" not in out


def test_a_spec_with_a_bad_shape_for_the_early_scope_still_gets_its_validation_error(pg_url, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\ndialect: postgres\nschemas: public\nextensions: [{nam: x}]\ntables: [1]\n")
    code, out = invoke("plan", str(bad), "--url", pg_url)
    assert code == 1 and f"{bad}:" in out and "Traceback" not in out, out
