"""Data-migration hooks end to end with rows: seed 004's "group existing messages into chats between adding
chatId and making it required" on PostgreSQL, a hook on SQLite and on MongoDB; each runs once, shows in the
plan and the SQL artifact, and an edited hook in a saved plan is refused."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from tests.cli.helpers import apply_ok, invoke, replan

NO_CHANGES = "No changes. The database matches the spec."

USERS = {"columns": {"id": {"type": "text", "primary_key": True}}}
MESSAGES_V1 = {"columns": {"id": {"type": "text", "primary_key": True}, "userId": {"type": "text"},
                           "content": {"type": "text"}},
               "foreign_keys": [{"columns": ["userId"], "references": "users(id)", "on_delete": "cascade"}]}
CHATS = {"columns": {"id": {"type": "text", "primary_key": True}, "userId": {"type": "text"}},
         "foreign_keys": [{"columns": ["userId"], "references": "users(id)", "on_delete": "cascade"}]}
GROUP_INTO_CHATS = {
    "after": "column public.messages.chatId",
    "comment": "seed 004: one chat per user for the messages written before chats existed",
    "sql": ['INSERT INTO chats (id, "userId") SELECT \'chat_\' || "userId", "userId" FROM messages GROUP BY "userId"',
            'UPDATE messages SET "chatId" = \'chat_\' || "userId"'],
}


def write(path: Path, dialect: str, tables: dict, hooks: dict | None = None) -> Path:
    doc = {"version": 1, "dialect": dialect, "tables": tables}
    if hooks:
        doc["hooks"] = hooks
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def v2_tables() -> dict:
    messages = json.loads(json.dumps(MESSAGES_V1))
    messages["columns"]["chatId"] = {"type": "text"}  # required
    messages["foreign_keys"].append({"columns": ["chatId"], "references": "chats(id)", "on_delete": "cascade"})
    return {"users": USERS, "chats": CHATS, "messages": messages}


def test_seed_004_hook_fills_the_column_between_adding_it_and_making_it_required(tmp_path, pg_url, pg_conn):
    spec = write(tmp_path / "s.yaml", "postgres", {"users": USERS, "messages": MESSAGES_V1})
    apply_ok(spec, pg_url)
    pg_conn.execute("""INSERT INTO users VALUES ('u1'), ('u2');
                       INSERT INTO messages VALUES ('m1', 'u1', 'hi'), ('m2', 'u1', 'again'), ('m3', 'u2', 'yo')""")
    write(spec, "postgres", v2_tables(), {"group_messages_into_chats": GROUP_INTO_CHATS})
    plan = replan(spec, pg_url)
    add = plan.index('ALTER TABLE "public"."messages" ADD COLUMN "chatId" text;')
    insert = plan.index('INSERT INTO chats (id, "userId")')
    update = plan.index('UPDATE messages SET "chatId"')
    not_null = plan.index('ALTER COLUMN "chatId" SET NOT NULL')
    fk = plan.index("FOREIGN KEY (\"chatId\")")
    assert add < insert < update < not_null < fk, plan
    assert "hook group_messages_into_chats runs after this change" in plan
    code, sql = invoke("plan", str(spec), "--url", pg_url, "--format", "sql")
    assert code == 0 and 'UPDATE messages SET "chatId"' in sql
    apply_ok(spec, pg_url, "--allow-hazards", "full_scan_validation,may_fail_on_data")
    assert pg_conn.execute('SELECT id, "chatId" FROM messages ORDER BY id').fetchall() == [
        ("m1", "chat_u1"), ("m2", "chat_u1"), ("m3", "chat_u2")]
    assert pg_conn.execute('SELECT id, "userId" FROM chats ORDER BY id').fetchall() == [
        ("chat_u1", "u1"), ("chat_u2", "u2")]
    # Runs once: its change is made, so no later plan has it.
    assert replan(spec, pg_url).startswith(NO_CHANGES)
    apply_ok(spec, pg_url)
    assert pg_conn.execute("SELECT count(*) FROM chats").fetchone() == (2,)


def test_a_failing_hook_rolls_back_its_change(tmp_path, pg_url, pg_conn):
    spec = write(tmp_path / "s.yaml", "postgres", {"users": USERS, "messages": MESSAGES_V1})
    apply_ok(spec, pg_url)
    pg_conn.execute("INSERT INTO users VALUES ('u1'); INSERT INTO messages VALUES ('m1', 'u1', 'hi')")
    broken = dict(GROUP_INTO_CHATS, sql=["UPDATE messages SET \"chatId\" = NULL"])  # leaves the column empty
    write(spec, "postgres", v2_tables(), {"fill": broken})
    code, out = invoke("apply", str(spec), "--url", pg_url, "--auto-approve", "--quiet",
                       "--allow-hazards", "full_scan_validation,may_fail_on_data")
    assert code == 1 and "chatId" in out
    # Nothing of the plan stayed: no chats table, no chatId column.
    assert pg_conn.execute("SELECT to_regclass('public.chats')").fetchone() == (None,)
    assert pg_conn.execute("SELECT count(*) FROM information_schema.columns WHERE column_name = 'chatId'"
                           ).fetchone() == (0,)


def test_an_edited_hook_in_a_saved_plan_is_refused(tmp_path, pg_url, pg_conn):
    spec = write(tmp_path / "s.yaml", "postgres", {"users": USERS, "messages": MESSAGES_V1})
    apply_ok(spec, pg_url)
    write(spec, "postgres", v2_tables(), {"group_messages_into_chats": GROUP_INTO_CHATS})
    plan_file = tmp_path / "plan.json"
    code, out = invoke("plan", str(spec), "--url", pg_url, "-out", str(plan_file))
    assert code == 0, out
    plan_file.write_text(plan_file.read_text().replace('UPDATE messages SET', 'DELETE FROM users; UPDATE messages SET'))
    code, out = invoke("apply", str(plan_file), "--url", pg_url, "--auto-approve",
                       "--allow-hazards", "full_scan_validation,may_fail_on_data")
    assert code == 1 and "edited" in out.lower()


def test_a_hook_whose_change_is_not_planned_does_not_run_and_says_so(tmp_path, pg_url, pg_conn):
    spec = write(tmp_path / "s.yaml", "postgres", {"users": USERS},
                 {"typo": {"after": "column public.users.nme", "sql": "DELETE FROM users"}})
    code, out = invoke("plan", str(spec), "--url", pg_url)
    assert code == 0 and "hook typo: the plan has no change 'column public.users.nme'" in out


def test_bad_hooks_are_refused_with_their_position(tmp_path):
    spec = tmp_path / "s.yaml"
    spec.write_text("version: 1\ndialect: postgres\ntables: {}\nhooks:\n"
                    "  two: {after: table public.t, sql: 'UPDATE a SET b = 1; DELETE FROM a'}\n"
                    "  none: {sql: 'SELECT 1'}\n")
    code, out = invoke("validate", str(spec))
    assert code == 1
    assert "s.yaml:5:" in out and "one SQL statement per entry" in out
    assert "s.yaml:6:" in out and "exactly one of before: or after:" in out


def test_sqlite_hook_runs_in_the_apply_transaction(tmp_path, sqlite_url):
    import sqlite3

    tables = {"users": {"columns": {"id": {"type": "integer", "primary_key": True}, "name": {"type": "text"}}}}
    spec = write(tmp_path / "s.yaml", "sqlite", tables)
    apply_ok(spec, sqlite_url)
    db = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"))
    db.executescript("INSERT INTO users VALUES (1, 'Ada Lovelace'), (2, 'Alan Turing')")
    db.close()
    tables["users"]["columns"]["first_name"] = {"type": "text", "nullable": True}
    write(spec, "sqlite", tables, {"split_names": {
        "after": "column users.first_name",
        "sql": "UPDATE users SET first_name = substr(name, 1, instr(name, ' ') - 1)"}})
    assert "UPDATE users SET first_name" in replan(spec, sqlite_url)
    apply_ok(spec, sqlite_url)
    db = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"))
    assert db.execute("SELECT first_name FROM users ORDER BY id").fetchall() == [("Ada",), ("Alan",)]
    db.close()
    assert replan(spec, sqlite_url).startswith(NO_CHANGES)
