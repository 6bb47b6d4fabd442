"""The example specs in examples/, built from the seeds, against real databases.

For every PostgreSQL example: the SQL plan against an empty database equals the
reviewed examples/<name>/expected.sql, apply converges (a second plan is empty),
the catalog holds what the seed describes, and the foreign key actions behave as
the seed says with real rows. The SQLite demo gets the same apply/re-plan check.

To refresh an expected.sql after an intended change, run with
SCHEMACTL_UPDATE_EXPECTED=1 and review the diff before committing it.
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import uuid
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from reconciler.cli import main
from tests.support.pgserver import find_pg_bindir

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PG_EXAMPLES = ["researchos-chat", "agents-chat", "mentor-chats"]
ALL_SPECS = sorted(EXAMPLES.glob("*/schema.yaml"))
# The first line of `plan --format sql` names the target (random port and database name).
HEADER = re.compile(r"^-- schemactl \S+ plan for postgresql://\S+$")
EXPECTED_HEADER = "-- schemactl (version) plan for (an empty PostgreSQL database)"


def schemactl(*args: str):
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result


def spec(name: str) -> str:
    return str(EXAMPLES / name / "schema.yaml")


def plan_sql(name: str, url: str) -> str:
    result = schemactl("plan", spec(name), "--url", url, "--format", "sql")
    assert result.exit_code == 0, result.output
    return result.stdout


def apply_and_replan(name: str, url: str) -> None:
    applied = schemactl("apply", spec(name), "--url", url, "--auto-approve", "--no-color")
    assert applied.exit_code == 0, applied.output
    assert "Apply complete!" in applied.stdout
    replanned = schemactl("plan", spec(name), "--url", url, "--no-color")
    assert replanned.exit_code == 0, replanned.output
    assert "No changes. The database matches the spec." in replanned.stdout, replanned.stdout


# --------------------------------------------------------------------------- every example


def test_there_are_examples():
    names = {p.parent.name for p in ALL_SPECS}
    assert {*PG_EXAMPLES, "sqlite-demo"} <= names


@pytest.mark.parametrize("path", ALL_SPECS, ids=lambda p: p.parent.name)
def test_validate_passes(path: Path):
    result = schemactl("validate", str(path))
    assert result.exit_code == 0, result.output
    assert "valid" in result.stdout


# --------------------------------------------------------------------------- PostgreSQL


@pytest.mark.parametrize("name", PG_EXAMPLES)
def test_plan_against_empty_database_matches_reviewed_sql(name: str, pg_url: str):
    actual = plan_sql(name, pg_url)
    header, _, body = actual.partition("\n")
    assert HEADER.match(header), header
    assert "s3cret" not in actual  # the password of the test server is redacted
    expected_path = EXAMPLES / name / "expected.sql"
    if os.environ.get("SCHEMACTL_UPDATE_EXPECTED") == "1":
        expected_path.write_text(f"{EXPECTED_HEADER}\n{body}", encoding="utf-8")
    expected_header, _, expected_body = expected_path.read_text(encoding="utf-8").partition("\n")
    assert expected_header == EXPECTED_HEADER
    assert body == expected_body


@pytest.mark.parametrize("name", PG_EXAMPLES)
def test_expected_sql_runs_on_postgresql_and_converges(name: str, pg_url: str):
    """The reviewed file runs as it is with psql and builds exactly the spec (a second check of the renderer)."""
    psql = os.path.join(find_pg_bindir(), "psql")
    ran = subprocess.run([psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", str(EXAMPLES / name / "expected.sql"),
                          pg_url], capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0, ran.stderr
    result = schemactl("plan", spec(name), "--url", pg_url, "--no-color")
    assert result.exit_code == 0, result.output
    assert "No changes. The database matches the spec." in result.stdout, result.stdout


@pytest.mark.parametrize("name", PG_EXAMPLES)
def test_apply_then_second_plan_is_empty(name: str, pg_url: str):
    first = schemactl("plan", spec(name), "--url", pg_url, "--no-color", "--detailed-exitcode")
    assert first.exit_code == 2, first.output
    assert "to add, 0 to change, 0 to destroy." in first.stdout
    apply_and_replan(name, pg_url)


def columns(conn, table: str) -> list[tuple[str, str, bool, str | None]]:
    rows = conn.execute(
        """SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, pg_get_expr(d.adbin, d.adrelid)
           FROM pg_attribute a LEFT JOIN pg_attrdef d ON (d.adrelid, d.adnum) = (a.attrelid, a.attnum)
           WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum""",
        [f'public."{table}"'],
    ).fetchall()
    return [tuple(r) for r in rows]


def definitions(conn, table: str) -> dict[str, str]:
    """Every index and constraint of a table by name, as PostgreSQL prints it."""
    rows = conn.execute(
        """SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %(t)s::regclass
           UNION ALL
           SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
           WHERE i.indrelid = %(t)s::regclass
             AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid
                             AND k.conrelid = i.indrelid)""",
        {"t": f'public."{table}"'},
    ).fetchall()
    return dict(rows)


# ---- 001 ResearchOS chat (Prisma)

TS3 = "timestamp(3) without time zone"


def test_researchos_chat_catalog_matches_the_seed_sql(pg_url: str, pg_conn):
    apply_and_replan("researchos-chat", pg_url)
    labels = [r[0] for r in pg_conn.execute(
        "SELECT enumlabel FROM pg_enum WHERE enumtypid = 'public.\"MessageRole\"'::regtype ORDER BY enumsortorder")]
    assert labels == ["USER", "ASSISTANT", "SYSTEM"]
    assert columns(pg_conn, "chat_sessions") == [
        ("id", "text", True, None),
        ("search_id", "text", True, None),
        ("title", "text", True, None),
        ("description", "text", False, None),
        ("paper_ids", "text[]", False, None),
        ("paper_count", "integer", True, "0"),
        ("total_messages", "integer", True, "0"),
        ("last_message_at", TS3, False, None),
        ("created_at", TS3, True, "CURRENT_TIMESTAMP"),
        ("updated_at", TS3, True, None),
    ]
    assert columns(pg_conn, "chat_messages") == [
        ("id", "text", True, None),
        ("session_id", "text", True, None),
        ("role", '"MessageRole"', True, None),
        ("content", "text", True, None),
        ("context_papers", "text[]", False, None),
        ("relevance_scores", "jsonb", False, None),
        ("prompt_tokens", "integer", False, None),
        ("completion_tokens", "integer", False, None),
        ("total_tokens", "integer", False, None),
        ("metadata", "jsonb", False, None),
        ("created_at", TS3, True, "CURRENT_TIMESTAMP"),
    ]
    assert definitions(pg_conn, "chat_sessions") == {
        "chat_sessions_pkey": "PRIMARY KEY (id)",
        "chat_sessions_search_id_fkey":
            "FOREIGN KEY (search_id) REFERENCES searches(id) ON UPDATE CASCADE ON DELETE CASCADE",
        "chat_sessions_search_id_key":
            "CREATE UNIQUE INDEX chat_sessions_search_id_key ON public.chat_sessions USING btree (search_id)",
        "chat_sessions_search_id_idx":
            "CREATE INDEX chat_sessions_search_id_idx ON public.chat_sessions USING btree (search_id)",
    }
    assert definitions(pg_conn, "chat_messages") == {
        "chat_messages_pkey": "PRIMARY KEY (id)",
        "chat_messages_session_id_fkey":
            "FOREIGN KEY (session_id) REFERENCES chat_sessions(id) ON UPDATE CASCADE ON DELETE CASCADE",
        "chat_messages_session_id_idx":
            "CREATE INDEX chat_messages_session_id_idx ON public.chat_messages USING btree (session_id)",
        "chat_messages_created_at_idx":
            "CREATE INDEX chat_messages_created_at_idx ON public.chat_messages USING btree (created_at)",
    }


def test_researchos_chat_cascades(pg_url: str, pg_conn):
    apply_and_replan("researchos-chat", pg_url)
    db = pg_conn
    for search in ("s1", "s2"):
        db.execute("INSERT INTO searches (id, query, updated_at) VALUES (%s, 'rag', now())", [search])
        db.execute("INSERT INTO chat_sessions (id, search_id, title, paper_ids, updated_at) "
                   "VALUES (%s, %s, 'chat', ARRAY['p1', 'p2'], now())", [f"cs-{search}", search])
        for i, role in enumerate(["USER", "ASSISTANT", "SYSTEM"]):
            db.execute("INSERT INTO chat_messages (id, session_id, role, content, relevance_scores) "
                       "VALUES (%s, %s, %s, 'hi', '{\"p1\": 0.9}')", [f"m{i}-{search}", f"cs-{search}", role])

    def count(sql: str, *params) -> int:
        return db.execute(sql, params).fetchone()[0]

    # Defaults from the seed: counters start at 0, created_at is filled in.
    assert db.execute("SELECT paper_count, total_messages, created_at IS NOT NULL FROM chat_sessions "
                      "WHERE id = 'cs-s1'").fetchone() == (0, 0, True)
    # One chat session per search (chat_sessions_search_id_key).
    with pytest.raises(psycopg.errors.UniqueViolation):
        db.execute("INSERT INTO chat_sessions (id, search_id, title, updated_at) VALUES ('dup', 's1', 't', now())")
    with pytest.raises(psycopg.errors.InvalidTextRepresentation):
        db.execute("INSERT INTO chat_messages (id, session_id, role, content) VALUES ('x', 'cs-s1', 'BOT', 'x')")

    # ON UPDATE CASCADE: renaming a search's id follows through to its session.
    db.execute("UPDATE searches SET id = 's1-renamed' WHERE id = 's1'")
    assert count("SELECT count(*) FROM chat_sessions WHERE search_id = 's1-renamed'") == 1

    # Deleting a search deletes its chat session, which deletes all its messages.
    db.execute("DELETE FROM searches WHERE id = 's1-renamed'")
    assert count("SELECT count(*) FROM chat_sessions WHERE id = 'cs-s1'") == 0
    assert count("SELECT count(*) FROM chat_messages WHERE session_id = 'cs-s1'") == 0
    # The other search's rows are untouched.
    assert count("SELECT count(*) FROM chat_messages WHERE session_id = 'cs-s2'") == 3

    # Deleting a chat session deletes all its messages but keeps the search.
    db.execute("DELETE FROM chat_sessions WHERE id = 'cs-s2'")
    assert count("SELECT count(*) FROM chat_messages") == 0
    assert count("SELECT count(*) FROM searches WHERE id = 's2'") == 1


# ---- 003 agents chat (Alembic)

TSTZ = "timestamp with time zone"


def test_agents_chat_catalog_matches_the_seed_migration(pg_url: str, pg_conn):
    apply_and_replan("agents-chat", pg_url)
    assert columns(pg_conn, "chats") == [
        ("id", "uuid", True, None),
        ("title", "character varying(255)", True, "'New Chat'::character varying"),
        ("agent_id", "uuid", True, None),
        ("user_id", "uuid", True, None),
        ("account_id", "uuid", True, None),
        ("created_at", TSTZ, True, "now()"),
        ("updated_at", TSTZ, True, "now()"),
    ]
    assert columns(pg_conn, "chat_messages") == [
        ("id", "uuid", True, None),
        ("chat_id", "uuid", True, None),
        ("role", "character varying(20)", True, None),
        ("content", "text", True, None),
        ("action", "character varying(50)", False, None),
        ("dax_attempts", "text", False, None),
        ("final_dax", "text", False, None),
        ("resolution_note", "text", False, None),
        ("error", "text", False, None),
        ("created_at", TSTZ, True, "now()"),
    ]
    assert definitions(pg_conn, "chats") == {
        "chats_pkey": "PRIMARY KEY (id)",
        "chats_agent_id_fkey": "FOREIGN KEY (agent_id) REFERENCES agents(id) ON DELETE CASCADE",
        "chats_user_id_fkey": "FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE",
        "chats_account_id_fkey": "FOREIGN KEY (account_id) REFERENCES accounts(id) ON DELETE CASCADE",
        "ix_chats_agent_id": "CREATE INDEX ix_chats_agent_id ON public.chats USING btree (agent_id)",
        "ix_chats_user_id": "CREATE INDEX ix_chats_user_id ON public.chats USING btree (user_id)",
        "ix_chats_account_id": "CREATE INDEX ix_chats_account_id ON public.chats USING btree (account_id)",
    }
    assert definitions(pg_conn, "chat_messages") == {
        "chat_messages_pkey": "PRIMARY KEY (id)",
        "chat_messages_chat_id_fkey": "FOREIGN KEY (chat_id) REFERENCES chats(id) ON DELETE CASCADE",
        "ix_chat_messages_chat_id":
            "CREATE INDEX ix_chat_messages_chat_id ON public.chat_messages USING btree (chat_id)",
    }


def test_agents_chat_cascades(pg_url: str, pg_conn):
    apply_and_replan("agents-chat", pg_url)
    db = pg_conn

    def new_chat() -> dict[str, uuid.UUID]:
        ids = {k: uuid.uuid4() for k in ("account", "user", "agent", "chat")}
        db.execute("INSERT INTO accounts (id, name) VALUES (%s, 'acme')", [ids["account"]])
        db.execute("INSERT INTO users (id, email) VALUES (%s, %s)", [ids["user"], f"{ids['user']}@example.com"])
        db.execute("INSERT INTO agents (id, name) VALUES (%s, 'dax')", [ids["agent"]])
        db.execute("INSERT INTO chats (id, agent_id, user_id, account_id) VALUES (%s, %s, %s, %s)",
                   [ids["chat"], ids["agent"], ids["user"], ids["account"]])
        for role in ("user", "assistant"):
            db.execute("INSERT INTO chat_messages (id, chat_id, role, content) VALUES (%s, %s, %s, 'q')",
                       [uuid.uuid4(), ids["chat"], role])
        return ids

    def alive(ids: dict[str, uuid.UUID]) -> tuple[int, int]:
        chats = db.execute("SELECT count(*) FROM chats WHERE id = %s", [ids["chat"]]).fetchone()[0]
        messages = db.execute("SELECT count(*) FROM chat_messages WHERE chat_id = %s", [ids["chat"]]).fetchone()[0]
        return chats, messages

    by_agent, by_user, by_account, by_chat, bystander = (new_chat() for _ in range(5))
    assert db.execute("SELECT title, created_at <= updated_at FROM chats WHERE id = %s",
                      [by_agent["chat"]]).fetchone() == ("New Chat", True)
    assert alive(by_agent) == (1, 2)
    # Alembic's foreign keys only cascade deletes: changing a referenced id is refused (ON UPDATE NO ACTION).
    with pytest.raises(psycopg.errors.ForeignKeyViolation):
        db.execute("UPDATE agents SET id = %s WHERE id = %s", [uuid.uuid4(), by_agent["agent"]])

    # Deleting an agent, a user or an account deletes their chats, which deletes the messages.
    db.execute("DELETE FROM agents WHERE id = %s", [by_agent["agent"]])
    assert alive(by_agent) == (0, 0)
    db.execute("DELETE FROM users WHERE id = %s", [by_user["user"]])
    assert alive(by_user) == (0, 0)
    db.execute("DELETE FROM accounts WHERE id = %s", [by_account["account"]])
    assert alive(by_account) == (0, 0)
    # Deleting a chat deletes its messages, and nothing above it.
    db.execute("DELETE FROM chats WHERE id = %s", [by_chat["chat"]])
    assert alive(by_chat) == (0, 0)
    assert db.execute("SELECT count(*) FROM agents WHERE id = %s", [by_chat["agent"]]).fetchone()[0] == 1
    assert alive(bystander) == (1, 2)


# ---- 004 mentor chats (Prisma, onDelete: SetNull)


def test_mentor_chats_catalog_matches_the_prisma_models(pg_url: str, pg_conn):
    apply_and_replan("mentor-chats", pg_url)
    assert columns(pg_conn, "chats") == [
        ("id", "text", True, None),
        ("userId", "text", True, None),
        ("mentorId", "text", False, None),
        ("title", "text", False, None),
        ("isActive", "boolean", True, "true"),
        ("createdAt", TS3, True, "CURRENT_TIMESTAMP"),
        ("updatedAt", TS3, True, None),
        ("metadata", "jsonb", False, None),
    ]
    assert columns(pg_conn, "messages") == [
        ("id", "text", True, None),
        ("chatId", "text", False, None),
        ("role", "text", True, None),
        ("content", "text", True, None),
        ("prompt", "text", False, None),
        ("model", "text", False, None),
        ("tokens", "integer", False, None),
        ("metadata", "jsonb", False, None),
        ("createdAt", TS3, True, "CURRENT_TIMESTAMP"),
        ("taskId", "text", False, None),
    ]
    assert definitions(pg_conn, "chats") == {
        "chats_pkey": "PRIMARY KEY (id)",
        "chats_userId_fkey": 'FOREIGN KEY ("userId") REFERENCES users(id) ON UPDATE CASCADE ON DELETE CASCADE',
        "chats_mentorId_fkey":
            'FOREIGN KEY ("mentorId") REFERENCES mentors(id) ON UPDATE CASCADE ON DELETE SET NULL',
    }
    assert definitions(pg_conn, "messages") == {
        "messages_pkey": "PRIMARY KEY (id)",
        "messages_chatId_fkey": 'FOREIGN KEY ("chatId") REFERENCES chats(id) ON UPDATE CASCADE ON DELETE SET NULL',
    }


def test_mentor_chats_cascades(pg_url: str, pg_conn):
    apply_and_replan("mentor-chats", pg_url)
    db = pg_conn
    db.execute("""INSERT INTO users (id, email, "updatedAt") VALUES ('u1', 'a@example.com', now()),
                                                                    ('u2', 'b@example.com', now())""")
    db.execute("""INSERT INTO mentors (id, name, "updatedAt") VALUES ('mt1', 'Ada', now())""")
    db.execute("""INSERT INTO chats (id, "userId", "mentorId", "updatedAt") VALUES
                  ('c1', 'u1', 'mt1', now()), ('c2', 'u1', NULL, now()), ('c3', 'u2', 'mt1', now())""")
    db.execute("""INSERT INTO messages (id, "chatId", role, content) VALUES
                  ('m1', 'c1', 'user', 'hi'), ('m2', 'c2', 'assistant', 'yo'), ('m3', 'c3', 'user', 'hey'),
                  ('m4', NULL, 'user', 'standalone')""")

    def one(sql: str):
        return db.execute(sql).fetchone()

    assert one("""SELECT "isActive", "createdAt" IS NOT NULL FROM chats WHERE id = 'c1'""") == (True, True)
    # ON UPDATE CASCADE (Prisma's default): a mentor's new id follows through to its chats.
    db.execute("UPDATE mentors SET id = 'mt1-new' WHERE id = 'mt1'")
    assert one("""SELECT count(*) FROM chats WHERE "mentorId" = 'mt1-new'""") == (2,)

    # Deleting a mentor keeps its chats and sets mentorId to NULL.
    db.execute("DELETE FROM mentors WHERE id = 'mt1-new'")
    assert db.execute("""SELECT id, "mentorId" FROM chats ORDER BY id""").fetchall() == [
        ("c1", None), ("c2", None), ("c3", None)]
    assert one("SELECT count(*) FROM messages") == (4,)

    # Deleting a chat keeps its messages and sets chatId to NULL.
    db.execute("DELETE FROM chats WHERE id = 'c3'")
    assert one("""SELECT "chatId", content FROM messages WHERE id = 'm3'""") == (None, "hey")

    # Deleting a user deletes the user's chats; their messages stay, detached.
    db.execute("DELETE FROM users WHERE id = 'u1'")
    assert one("SELECT count(*) FROM chats") == (0,)
    assert db.execute("""SELECT id, "chatId" FROM messages ORDER BY id""").fetchall() == [
        ("m1", None), ("m2", None), ("m3", None), ("m4", None)]


# --------------------------------------------------------------------------- SQLite demo


def test_sqlite_demo_apply_then_second_plan_is_empty(sqlite_url: str):
    first = schemactl("plan", spec("sqlite-demo"), "--url", sqlite_url, "--no-color", "--detailed-exitcode")
    assert first.exit_code == 2, first.output
    assert "to add, 0 to change, 0 to destroy." in first.stdout
    apply_and_replan("sqlite-demo", sqlite_url)


def test_sqlite_demo_foreign_key_actions(sqlite_url: str):
    apply_and_replan("sqlite-demo", sqlite_url)
    path = sqlite_url.removeprefix("sqlite:///")
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("PRAGMA foreign_keys = ON")
        db.execute("""INSERT INTO users (id, email, "updatedAt") VALUES ('u1', 'a@example.com', '2024-01-01')""")
        db.execute("""INSERT INTO mentors (id, name, "updatedAt") VALUES ('mt1', 'Ada', '2024-01-01')""")
        db.execute("""INSERT INTO chats (id, "userId", "mentorId", "updatedAt") VALUES
                      ('c1', 'u1', 'mt1', '2024-01-01'), ('c2', 'u1', NULL, '2024-01-01')""")
        db.execute("""INSERT INTO messages (id, "chatId", role, content, tokens) VALUES
                      ('m1', 'c1', 'user', 'hi', 3), ('m2', 'c2', 'assistant', 'yo', NULL)""")
        assert db.execute("""SELECT "isActive" FROM chats WHERE id = 'c1'""").fetchone() == (1,)
        with pytest.raises(sqlite3.IntegrityError):
            db.execute("""INSERT INTO messages (id, role, content, tokens) VALUES ('bad', 'user', 'x', -1)""")
        with pytest.raises(sqlite3.IntegrityError):
            db.execute("""INSERT INTO users (id, email, "updatedAt") VALUES ('u2', 'a@example.com', '2024')""")

        db.execute("DELETE FROM mentors WHERE id = 'mt1'")
        assert db.execute("""SELECT id, "mentorId" FROM chats ORDER BY id""").fetchall() == [
            ("c1", None), ("c2", None)]
        db.execute("DELETE FROM users WHERE id = 'u1'")
        assert db.execute("SELECT count(*) FROM chats").fetchone() == (0,)
        assert db.execute("""SELECT id, "chatId" FROM messages ORDER BY id""").fetchall() == [
            ("m1", None), ("m2", None)]
    finally:
        db.close()
