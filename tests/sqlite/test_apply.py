"""Render + execute each kind of change against a real file, then inspect: the next plan is empty."""

from __future__ import annotations

from reconciler.changes import Action, Hazard

from .helpers import apply, model_from_yaml, plan, statements
from .test_build import SAMPLE

BASE = """
tables:
  users:
    columns:
      id: {type: integer, primary_key: true}
      email: {type: text}
      name: {type: text, nullable: true}
    indexes:
      - {columns: [email], unique: true}
  posts:
    columns:
      id: {type: integer, primary_key: true}
      user_id: {type: integer, references: users(id), on_delete: cascade}
      title: {type: text, default: untitled}
      body: {type: text, nullable: true}
    indexes:
      - {columns: [user_id]}
"""


def _step(tmp_path, conn, before: str, after: str):
    apply(conn, model_from_yaml(tmp_path, before, "v1.yaml"))
    desired = model_from_yaml(tmp_path, after, "v2.yaml")
    _, changes = plan(conn, desired)
    applied = apply(conn, desired)
    assert [c.address for c in applied] == [c.address for c in changes]
    return changes


def _rebuilds(changes) -> list[str]:
    return [c.address for c in changes if c.extra.get("rebuild")]


def test_sample_spec_applies_and_converges(tmp_path, conn) -> None:
    changes = apply(conn, model_from_yaml(tmp_path, SAMPLE))
    # Foreign keys are written inside CREATE TABLE, so no separate foreign key change remains.
    assert {c.kind for c in changes} == {"table", "index"}
    create_posts = next(s for s in statements(changes) if s.startswith('CREATE TABLE "posts"'))
    assert 'CONSTRAINT "posts_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE' \
        in create_posts


def test_spellings_the_database_keeps_differently_are_not_changes(tmp_path, conn) -> None:
    apply(conn, model_from_yaml(tmp_path, SAMPLE))
    respelled = SAMPLE.replace('"score >= 0"', '"(SCORE>=0)"').replace(
        'where: "name IS NOT NULL"', 'where: "NOT (\\"name\\" is null)"')
    assert respelled != SAMPLE
    _, changes = plan(conn, model_from_yaml(tmp_path, respelled, "respelled.yaml"))
    assert changes == []


def test_add_nullable_and_defaulted_columns_in_place(tmp_path, conn) -> None:
    after = BASE.replace("      body: {type: text, nullable: true}\n",
                         "      body: {type: text, nullable: true}\n"
                         "      rating: {type: integer, nullable: true}\n"
                         "      kind: {type: text, default: post}\n")
    changes = _step(tmp_path, conn, BASE, after)
    assert _rebuilds(changes) == []
    assert statements(changes) == ['ALTER TABLE "posts" ADD COLUMN "rating" INTEGER;',
                                   'ALTER TABLE "posts" ADD COLUMN "kind" TEXT NOT NULL DEFAULT \'post\';']


def test_add_not_null_column_without_default_rebuilds(tmp_path, conn) -> None:
    after = BASE.replace("      body: {type: text, nullable: true}\n",
                         "      body: {type: text, nullable: true}\n      slug: {type: text}\n")
    changes = _step(tmp_path, conn, BASE, after)
    assert _rebuilds(changes) == ["table posts"]
    assert Hazard.MAY_FAIL_ON_DATA in changes[0].hazards


def test_drop_unused_column_in_place_with_data_loss(tmp_path, conn) -> None:
    after = BASE.replace("      body: {type: text, nullable: true}\n", "")
    changes = _step(tmp_path, conn, BASE, after)
    assert statements(changes) == ['ALTER TABLE "posts" DROP COLUMN "body";']
    assert Hazard.DATA_LOSS in changes[0].hazards


def test_drop_indexed_column_rebuilds(tmp_path, conn) -> None:
    after = BASE.replace("      email: {type: text}\n", "").replace(
        "    indexes:\n      - {columns: [email], unique: true}\n", "")
    changes = _step(tmp_path, conn, BASE, after)
    assert _rebuilds(changes) == ["table users"]
    assert Hazard.DATA_LOSS in changes[0].hazards and Hazard.TABLE_REWRITE in changes[0].hazards


def test_rename_column_and_table_in_place(tmp_path, conn) -> None:
    after = BASE.replace("      body: {type: text, nullable: true}\n",
                         "      content: {type: text, nullable: true, renamed_from: body}\n")
    changes = _step(tmp_path, conn, BASE, after)
    assert statements(changes) == ['ALTER TABLE "posts" RENAME COLUMN "body" TO "content";']
    renamed = after.replace("  posts:\n", "  articles:\n    renamed_from: posts\n").replace(
        "primary_key: true}\n      user_id", "primary_key: true}\n      user_id", 1)
    changes = _step(tmp_path, conn, after, renamed)
    sql = statements(changes)
    assert sql[0] == 'ALTER TABLE "posts" RENAME TO "articles";'
    # Default names follow the table (articles_pkey ...), which SQLite can only do by rebuilding.
    assert _rebuilds(changes) == ["table articles"]


def test_index_create_drop_and_rename(tmp_path, conn) -> None:
    after = BASE.replace("      - {columns: [user_id]}\n",
                         "      - {columns: [user_id], name: posts_by_user, renamed_from: posts_user_id_idx}\n"
                         "      - {columns: [title, {column: body, order: desc}], where: body IS NOT NULL}\n"
                         "      - {columns: [{expression: lower(title)}], unique: true}\n")
    changes = _step(tmp_path, conn, BASE, after)
    assert _rebuilds(changes) == []
    assert 'DROP INDEX "posts_user_id_idx";' in statements(changes)
    assert 'CREATE INDEX "posts_title_body_idx" ON "posts" ("title", "body" DESC) WHERE body IS NOT NULL;' \
        in statements(changes)
    assert 'CREATE UNIQUE INDEX "posts_lower_idx" ON "posts" (lower(title));' in statements(changes)
    dropped = after.replace("      - {columns: [{expression: lower(title)}], unique: true}\n", "")
    changes = _step(tmp_path, conn, after, dropped)
    assert statements(changes) == ['DROP INDEX "posts_lower_idx";']


def test_constraints_and_column_alterations_fold_into_one_rebuild(tmp_path, conn) -> None:
    after = (BASE.replace("      title: {type: text, default: untitled}\n",
                          "      title: {type: varchar(200), default: untitled, collation: nocase}\n")
             .replace("      body: {type: text, nullable: true}\n", "      body: {type: text, default: ''}\n")
             .replace("on_delete: cascade}", "on_delete: set null, nullable: true}")
             + "    unique:\n      - [user_id, title]\n    checks:\n      title_not_empty: \"length(title) > 0\"\n")
    changes = _step(tmp_path, conn, BASE, after)
    assert _rebuilds(changes) == ["table posts"]
    rebuild = changes[0]
    assert rebuild.action == Action.ALTER and rebuild.before.name == rebuild.after.name == "posts"
    described = [a.name for a in rebuild.attributes]
    assert "column posts.title type" in described and "column posts.body nullable" in described
    assert any(name.startswith("create check posts.title_not_empty") for name in described)
    assert {Hazard.TABLE_REWRITE, Hazard.MAY_FAIL_ON_DATA} <= set(rebuild.hazards)
    sql = statements(changes)
    assert sql[0].startswith('CREATE TABLE "posts__new"')
    assert sql[2:6] == ['DROP TABLE "posts";', "PRAGMA legacy_alter_table = ON;",
                        'ALTER TABLE "posts__new" RENAME TO "posts";', "PRAGMA legacy_alter_table = OFF;"]
    assert sql[6] == 'CREATE INDEX "posts_user_id_idx" ON "posts" ("user_id");'


NAMED = """
tables:
  users:
    columns:
      id: {type: integer}
      email: {type: text}
      name: {type: text, nullable: true}
    primary_key: {name: users_id_pk, columns: [id]}
    unique:
      - {name: users_email_unique, columns: [email]}
  posts:
    columns:
      id: {type: integer, primary_key: true}
      user_id: {type: integer}
      title: {type: text, default: untitled}
      body: {type: text, nullable: true}
    foreign_keys:
      - {name: posts_owner, columns: [user_id], references: users(id), deferrable: true, initially_deferred: true,
         on_update: restrict}
    indexes:
      - {columns: [user_id]}
"""


def test_primary_key_and_named_constraints_round_trip(tmp_path, conn) -> None:
    changes = _step(tmp_path, conn, BASE, NAMED)
    assert sorted(_rebuilds(changes)) == ["table posts", "table users"]
    live = plan(conn, model_from_yaml(tmp_path, NAMED, "again.yaml"))[0]
    assert live.tables["posts"].foreign_keys["posts_owner"].initially_deferred


def test_drop_table(tmp_path, conn) -> None:
    after = BASE.split("  posts:")[0]
    changes = _step(tmp_path, conn, BASE, after)
    assert statements(changes) == ['DROP TABLE "posts";']
    assert Hazard.DATA_LOSS in changes[0].hazards
