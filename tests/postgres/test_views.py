"""Views and materialized views end to end on a real PostgreSQL: create, change in place, drop, equivalent
spellings, rebuilds around column type changes, WITH NO DATA and indexes, unmanaged readers, inspect."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.cli.helpers import apply_ok, invoke, replan

NO_CHANGES = "No changes. The database matches the spec."

USERS = {"users": {"columns": {
    "id": {"type": "bigint", "identity": "always", "primary_key": True},
    "email": {"type": "varchar(100)"},
    "active": {"type": "boolean", "nullable": False, "default": True}}}}


def write(path: Path, doc: dict) -> Path:
    path.write_text(yaml.safe_dump({"version": 1, "dialect": "postgres", **doc}, sort_keys=False))
    return path


def viewdef(conn, name: str) -> str:
    return conn.execute("SELECT pg_get_viewdef(%s::regclass, true)", (name,)).fetchone()[0]


def test_create_replace_in_place_and_drop(pg_url, pg_conn, tmp_path) -> None:
    spec = write(tmp_path / "s.yaml", {"tables": USERS, "views": {
        "active_users": {"query": "SELECT id, email FROM users WHERE active", "security_barrier": True,
                         "check_option": "cascaded", "comment": "who can log in"}}})
    plan = replan(spec, pg_url)
    assert "+ view public.active_users" in plan
    assert plan.index('CREATE TABLE "public"."users"') < plan.index('CREATE VIEW "public"."active_users"')
    apply_ok(spec, pg_url)
    assert NO_CHANGES in replan(spec, pg_url)
    row = pg_conn.execute("SELECT reloptions, obj_description('public.active_users'::regclass, 'pg_class') "
                          "FROM pg_class WHERE oid = 'public.active_users'::regclass").fetchone()
    assert sorted(row[0]) == ["check_option=cascaded", "security_barrier=true"] and row[1] == "who can log in"

    # An appended column: replaced in place. Options changed too; the comment removed.
    doc = yaml.safe_load(spec.read_text())
    doc["views"]["active_users"] = {"query": "SELECT id, email, active AS is_active FROM users WHERE active",
                                    "security_barrier": False, "check_option": "local"}
    write(spec, doc)
    plan = replan(spec, pg_url)
    assert "~ view public.active_users" in plan and 'CREATE OR REPLACE VIEW "public"."active_users"' in plan
    assert "      query:\n        - SELECT users.id,\n" in plan
    assert "        + SELECT id, email, active AS is_active FROM users WHERE active\n" in plan
    apply_ok(spec, pg_url)
    assert NO_CHANGES in replan(spec, pg_url)
    assert pg_conn.execute("SELECT reloptions FROM pg_class WHERE oid = 'public.active_users'::regclass"
                           ).fetchone()[0] == ["check_option=local"]

    # Only options: ALTER VIEW SET / RESET.
    doc["views"]["active_users"].pop("check_option")
    doc["views"]["active_users"]["security_invoker"] = True
    write(spec, doc)
    plan = replan(spec, pg_url)
    assert 'ALTER VIEW "public"."active_users" SET ("security_invoker" = \'true\');' in plan
    assert 'ALTER VIEW "public"."active_users" RESET ("check_option");' in plan
    apply_ok(spec, pg_url)
    assert NO_CHANGES in replan(spec, pg_url)
    assert pg_conn.execute("SELECT reloptions FROM pg_class WHERE oid = 'public.active_users'::regclass"
                           ).fetchone()[0] == ["security_invoker=true"]

    # Columns reordered: PostgreSQL cannot replace that in place: dropped and created again.
    doc["views"]["active_users"]["query"] = "SELECT email, id FROM users WHERE active"
    write(spec, doc)
    plan = replan(spec, pg_url)
    assert "- view public.active_users" in plan and "+ view public.active_users" in plan
    assert "cannot replace it in place" in plan
    assert plan.index('DROP VIEW IF EXISTS "public"."active_users"') < plan.index('CREATE VIEW "public"."active_users"')
    apply_ok(spec, pg_url, "--allow-destroy")
    assert NO_CHANGES in replan(spec, pg_url)

    # Dropped.
    del doc["views"]
    write(spec, doc)
    assert "- view public.active_users" in replan(spec, pg_url)
    apply_ok(spec, pg_url, "--allow-destroy")
    assert NO_CHANGES in replan(spec, pg_url)
    assert pg_conn.execute("SELECT to_regclass('public.active_users')").fetchone() == (None,)


def test_equivalent_spellings_are_not_a_change(pg_url, pg_conn, tmp_path) -> None:
    spec = write(tmp_path / "s.yaml", {"tables": USERS, "views": {
        "a": {"query": "select id, email from users where active and email in ('x', 'y');"},
        "b": {"query": "SELECT u.id AS user_id, upper(u.email) FROM public.users u JOIN users v ON v.id = u.id"},
        "c": {"query": "SELECT id, email FROM users", "columns": ["user_id", "address"]},
        "d": {"query": "SELECT * FROM users"}},
        "materialized_views": {"m": {"query": "SELECT count(*) AS n FROM users WHERE (active)"}}})
    apply_ok(spec, pg_url)
    assert NO_CHANGES in replan(spec, pg_url)
    # The same views written differently again: still nothing to do.
    doc = yaml.safe_load(spec.read_text())
    doc["views"]["a"]["query"] = "SELECT users.id, users.email FROM public.users WHERE (users.active AND email = ANY (ARRAY['x', 'y']))"
    doc["views"]["b"]["query"] = "select u.id as user_id, UPPER(u.email) from users as u inner join users as v on (v.id = u.id)"
    doc["materialized_views"]["m"]["query"] = "select count(*) n from users where active"
    write(spec, doc)
    assert NO_CHANGES in replan(spec, pg_url)
    # A real difference is one.
    doc["views"]["a"]["query"] = "SELECT id, email FROM users WHERE NOT active"
    write(spec, doc)
    assert "~ view public.a" in replan(spec, pg_url)


CHAIN = {"v1": {"query": "SELECT id, email FROM users WHERE active"},
         # Listed before what it reads: the plan creates v1 first anyway.
         "v0": {"query": "SELECT email FROM v2"},
         "v2": {"query": "SELECT id, lower(email) AS email FROM v1"}}


def test_a_view_over_domain_columns_spelled_differently_is_no_change(pg_url, pg_conn, tmp_path) -> None:
    """Regression (issue 13's round trip): the server describes a domain column as its base type while the catalog
    holds the domain, so a view reading one never compared equal: every plan dropped and created it again."""
    doc = {"domains": {"email": {"type": "text"}, "short": {"type": "email"}},
           "tables": {"users": {"columns": {"id": {"type": "int", "primary_key": True}, "email": {"type": "short"},
                                            "amount": {"type": "numeric(12,2)"}}}},
           "views": {"emails": {"query": "select ID, EMAIL from USERS where email like '%@%'"}},
           "materialized_views": {"totals": {"query": "select email, SUM(amount) as total from users group by email"}}}
    spec = write(tmp_path / "s.yaml", doc)
    apply_ok(spec, pg_url)
    assert NO_CHANGES in replan(spec, pg_url)
    # A real change still works: a view with a domain column is rebuilt (its new column may lose the domain,
    # which CREATE OR REPLACE would refuse), and converges.
    doc["views"]["emails"]["query"] = "SELECT id, email::text AS email FROM users"
    write(spec, doc)
    plan = replan(spec, pg_url)
    assert "- view public.emails" in plan and "+ view public.emails" in plan, plan
    apply_ok(spec, pg_url, "--allow-destroy")
    assert pg_conn.execute("SELECT atttypid::regtype::text FROM pg_attribute WHERE attrelid = 'emails'::regclass "
                           "AND attname = 'email'").fetchone() == ("text",)
    assert NO_CHANGES in replan(spec, pg_url)


def test_column_type_change_under_a_view_chain(pg_url, pg_conn, tmp_path) -> None:
    spec = write(tmp_path / "s.yaml", {"tables": USERS, "views": CHAIN})
    plan = replan(spec, pg_url)
    assert plan.index('CREATE VIEW "public"."v1"') < plan.index('CREATE VIEW "public"."v2"') \
        < plan.index('CREATE VIEW "public"."v0"')
    apply_ok(spec, pg_url)
    assert NO_CHANGES in replan(spec, pg_url)
    before = {name: viewdef(pg_conn, name) for name in ("v0", "v1", "v2")}

    doc = yaml.safe_load(spec.read_text())
    doc["tables"]["users"]["columns"]["email"]["type"] = "varchar(200)"
    write(spec, doc)
    for fmt in ("json", "markdown", "sql"):
        code, out = invoke("plan", str(spec), "--url", pg_url, "--format", fmt)
        assert code == 0 and "v0" in out, out
    # A saved plan applies the same rebuild.
    saved = tmp_path / "plan.json"
    assert invoke("plan", str(spec), "--url", pg_url, "--out", str(saved))[0] == 0
    plan = replan(spec, pg_url)
    assert "rebuilt around the type change of public.users.email" in plan
    assert "rebuilt around the drop" not in plan
    for name in ("v0", "v1", "v2"):
        assert f"- view public.{name}" in plan and f"+ view public.{name}" in plan
    # Readers dropped first (dependants before what they read), the column changed, then created in order.
    order = [plan.index(f'DROP VIEW IF EXISTS "public"."{name}"') for name in ("v0", "v2", "v1")]
    alter = plan.index('ALTER TABLE "public"."users" ALTER COLUMN "email"')
    creates = [plan.index(f'CREATE VIEW "public"."{name}"') for name in ("v1", "v2", "v0")]
    assert order == sorted(order) and order[-1] < alter < creates[0] and creates == sorted(creates)
    out = apply_ok(saved, pg_url, "--allow-destroy", "--allow-hazards", "access_exclusive_lock")
    assert NO_CHANGES in replan(spec, pg_url), out
    assert {name: viewdef(pg_conn, name) for name in ("v0", "v1", "v2")} == before
    assert pg_conn.execute("SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
                           "WHERE attrelid = 'public.v1'::regclass AND attname = 'email'").fetchone() == \
        ("character varying(200)",)


def test_a_failed_rebuild_leaves_everything_as_it_was(pg_url, pg_conn, tmp_path) -> None:
    """All in the one apply transaction: when the change under the views fails, the views are still there."""
    spec = write(tmp_path / "s.yaml", {"tables": USERS, "views": CHAIN})
    apply_ok(spec, pg_url)
    pg_conn.execute("INSERT INTO users (email) VALUES ('not a number')")
    doc = yaml.safe_load(spec.read_text())
    doc["tables"]["users"]["columns"]["email"]["type"] = "integer"
    write(spec, doc)
    code, out = invoke("apply", str(spec), "--url", pg_url, "--auto-approve", "--allow-destroy",
                       "--allow-hazards", "may_fail_on_data,table_rewrite,access_exclusive_lock,data_loss")
    assert code != 0, out
    assert pg_conn.execute("SELECT count(*) FROM pg_views WHERE schemaname = 'public'").fetchone() == (3,)


def test_unmanaged_readers_are_named(pg_url, pg_conn, tmp_path) -> None:
    spec = write(tmp_path / "s.yaml", {"tables": USERS})
    apply_ok(spec, pg_url)
    pg_conn.execute("CREATE SCHEMA reporting; CREATE VIEW reporting.emails AS SELECT email FROM public.users;"
                    "CREATE MATERIALIZED VIEW reporting.counts AS SELECT count(*) FROM public.users")
    doc = yaml.safe_load(spec.read_text())
    doc["tables"]["users"]["columns"]["email"]["type"] = "text"
    write(spec, doc)
    plan = replan(spec, pg_url)
    assert "hazard: dependent_objects" in plan
    assert "view reporting.emails, which the spec does not manage, reads it" in plan
    # The count reads the table, not the column: a type change does not concern it.
    assert "reporting.counts" not in plan
    doc["tables"] = {}
    write(spec, doc)
    plan = replan(spec, pg_url)
    assert "materialized view reporting.counts, which the spec does not manage" in plan
    assert "view reporting.emails, which the spec does not manage" in plan


def test_materialized_view_with_index_and_no_data(pg_url, pg_conn, tmp_path) -> None:
    spec = write(tmp_path / "s.yaml", {"tables": USERS, "materialized_views": {
        "user_counts": {"query": "SELECT active, count(*) AS n FROM users GROUP BY active", "with_data": False,
                        "options": {"fillfactor": 70, "autovacuum_enabled": False},
                        "indexes": {"user_counts_active": {"columns": ["active"], "unique": True},
                                    "user_counts_n": {"columns": [{"column": "n", "order": "desc"}],
                                                      "where": "n > 0"}},
                        "comment": "per state"}}})
    plan = replan(spec, pg_url)
    assert "+ materialized_view public.user_counts" in plan and "WITH NO DATA;" in plan
    assert plan.index("CREATE MATERIALIZED VIEW") < plan.index('CREATE UNIQUE INDEX "user_counts_active"')
    apply_ok(spec, pg_url)
    assert NO_CHANGES in replan(spec, pg_url)
    row = pg_conn.execute("SELECT relispopulated, reloptions FROM pg_class WHERE oid = 'public.user_counts'::regclass"
                          ).fetchone()
    assert row == (False, ["fillfactor=70", "autovacuum_enabled=false"])
    # Refreshing is not a schema change.
    pg_conn.execute("REFRESH MATERIALIZED VIEW public.user_counts")
    assert NO_CHANGES in replan(spec, pg_url)

    # Options, an index and the comment change in place; the data stays.
    doc = yaml.safe_load(spec.read_text())
    view = doc["materialized_views"]["user_counts"]
    view["options"] = {"fillfactor": 80}
    del view["indexes"]["user_counts_n"]
    view["indexes"]["user_counts_n2"] = {"columns": ["n", "active"]}
    view["comment"] = "by state"
    write(spec, doc)
    plan = replan(spec, pg_url)
    assert "~ materialized_view public.user_counts" in plan
    assert 'DROP INDEX "public"."user_counts_n"' in plan and 'RESET ("autovacuum_enabled")' in plan
    apply_ok(spec, pg_url)
    assert NO_CHANGES in replan(spec, pg_url)
    assert pg_conn.execute("SELECT relispopulated FROM pg_class WHERE oid = 'public.user_counts'::regclass"
                           ).fetchone() == (True,)

    # A new query: dropped and created again (with its indexes).
    view["query"] = "SELECT active, count(*) AS n, max(id) AS last_id FROM users GROUP BY active"
    write(spec, doc)
    plan = replan(spec, pg_url)
    assert "- materialized_view public.user_counts" in plan and "+ materialized_view public.user_counts" in plan
    apply_ok(spec, pg_url, "--allow-destroy")
    assert NO_CHANGES in replan(spec, pg_url)
    assert pg_conn.execute("SELECT count(*) FROM pg_indexes WHERE tablename = 'user_counts'").fetchone() == (2,)


def test_materialized_view_index_comment_with_and_nulls_not_distinct(pg_url, pg_conn, tmp_path) -> None:
    """Regression (issue 13's round trip): a materialized view's index took `comment`, `with` and
    `nulls_not_distinct` in validate but dropped them: never created, never read back (a hand-made comment
    was dropped with the index on every plan)."""
    index = {"columns": ["email"], "unique": True, "nulls_not_distinct": True, "with": {"fillfactor": 80},
             "comment": "one row per address"}
    doc = {"tables": USERS, "materialized_views": {"emails": {
        "query": "SELECT email FROM users GROUP BY email", "indexes": {"emails_email": index}}}}
    spec = write(tmp_path / "s.yaml", doc)
    apply_ok(spec, pg_url)
    assert pg_conn.execute("SELECT obj_description('emails_email'::regclass, 'pg_class'), reloptions, "
                           "pg_get_indexdef('emails_email'::regclass) LIKE '%NULLS NOT DISTINCT%' "
                           "FROM pg_class WHERE relname = 'emails_email'").fetchone() == (
        "one row per address", ["fillfactor=80"], True)
    assert NO_CHANGES in replan(spec, pg_url)
    out = tmp_path / "inspected.yaml"
    assert invoke("inspect", "--url", pg_url, "-o", str(out))[0] == 0
    assert yaml.safe_load(out.read_text())["materialized_views"]["emails"]["indexes"]["emails_email"] == index
    assert NO_CHANGES in replan(out, pg_url)
    # A new comment alone is COMMENT ON INDEX: the index is not rebuilt.
    index["comment"] = "changed"
    write(spec, doc)
    plan = replan(spec, pg_url)
    assert """COMMENT ON INDEX "public"."emails_email" IS 'changed';""" in plan and "DROP INDEX" not in plan, plan
    apply_ok(spec, pg_url)
    assert NO_CHANGES in replan(spec, pg_url)


def test_view_over_a_materialized_view_is_rebuilt_with_it(pg_url, pg_conn, tmp_path) -> None:
    spec = write(tmp_path / "s.yaml", {"tables": USERS,
                                       "views": {"top": {"query": "SELECT n FROM user_counts WHERE active"}},
                                       "materialized_views": {"user_counts": {
                                           "query": "SELECT active, count(*) AS n FROM users GROUP BY active"}}})
    apply_ok(spec, pg_url)
    assert NO_CHANGES in replan(spec, pg_url)
    doc = yaml.safe_load(spec.read_text())
    doc["materialized_views"]["user_counts"]["query"] = "SELECT active, count(id) AS n FROM users GROUP BY active"
    write(spec, doc)
    plan = replan(spec, pg_url)
    assert "rebuilt around the drop of materialized view public.user_counts" in plan
    assert plan.index('DROP VIEW IF EXISTS "public"."top"') < plan.index("DROP MATERIALIZED VIEW") \
        < plan.index("CREATE MATERIALIZED VIEW") < plan.index('CREATE VIEW "public"."top"')
    apply_ok(spec, pg_url, "--allow-destroy")
    assert NO_CHANGES in replan(spec, pg_url)


def test_inspect_of_hand_made_views_plans_empty(pg_url, pg_conn, tmp_path) -> None:
    pg_conn.execute("""
        CREATE TABLE public.users (id bigint PRIMARY KEY, email text, active boolean NOT NULL DEFAULT true);
        CREATE SCHEMA app;
        CREATE VIEW public.active_users WITH (security_barrier) AS SELECT id, email FROM users WHERE active
            WITH LOCAL CHECK OPTION;
        CREATE VIEW app."Odd Name" (a, b) WITH (security_invoker = true) AS
            SELECT u.id, 'x''y' FROM public.active_users u JOIN users v USING (id);
        COMMENT ON VIEW app."Odd Name" IS 'it''s odd';
        CREATE MATERIALIZED VIEW app.counts WITH (fillfactor = 60) AS SELECT count(*) AS n FROM users WITH NO DATA;
        CREATE UNIQUE INDEX counts_n ON app.counts (n);
        COMMENT ON MATERIALIZED VIEW app.counts IS 'counted';
    """)
    inspected = tmp_path / "inspected.yaml"
    assert invoke("inspect", "--url", pg_url, "--schema", "public", "--schema", "app", "-o", str(inspected))[0] == 0
    doc = yaml.safe_load(inspected.read_text())
    assert doc["views"]["active_users"]["security_barrier"] is True
    assert doc["views"]["active_users"]["check_option"] == "local"
    assert doc["views"]["app.Odd Name"]["comment"] == "it's odd"
    assert doc["materialized_views"]["app.counts"]["with_data"] is False
    assert doc["materialized_views"]["app.counts"]["indexes"] == {"counts_n": {"columns": ["n"], "unique": True}}
    assert NO_CHANGES in replan(inspected, pg_url)
    before = {name: viewdef(pg_conn, name) for name in ('public.active_users', 'app."Odd Name"', "app.counts")}
    # Applied to an empty database, it builds the same views.
    pg_conn.execute("DROP SCHEMA app CASCADE; DROP TABLE users CASCADE")
    apply_ok(inspected, pg_url)
    assert NO_CHANGES in replan(inspected, pg_url)
    assert {name: viewdef(pg_conn, name) for name in before} == before


def test_dropping_a_table_drops_its_views_first(pg_url, pg_conn, tmp_path) -> None:
    spec = write(tmp_path / "s.yaml", {"tables": {**USERS, "t": {"columns": {"id": {"type": "integer"}}}},
                                       "views": {"v": {"query": "SELECT id FROM t"}, **CHAIN}})
    apply_ok(spec, pg_url)
    doc = yaml.safe_load(spec.read_text())
    del doc["tables"]["t"], doc["views"]["v"]
    doc["tables"]["users"]["columns"].pop("active")
    # v1 no longer reads the dropped column: its new definition is created after the drop.
    doc["views"]["v1"]["query"] = "SELECT id, email FROM users"
    write(spec, doc)
    plan = replan(spec, pg_url)
    assert plan.index('DROP VIEW IF EXISTS "public"."v"') < plan.index('DROP TABLE "public"."t"')
    # (Columns are dropped after the creates: the new v1 no longer reads it.)
    assert plan.index('DROP VIEW IF EXISTS "public"."v1"') < plan.index('CREATE VIEW "public"."v1"') \
        < plan.index('DROP COLUMN "active"')
    assert "rebuilt around the drop of column public.users.active" in plan
    apply_ok(spec, pg_url, "--allow-destroy")
    assert NO_CHANGES in replan(spec, pg_url)


def test_prevent_destroy_refuses_a_rebuild(pg_url, pg_conn, tmp_path) -> None:
    spec = write(tmp_path / "s.yaml", {"tables": USERS, "materialized_views": {
        "m": {"query": "SELECT email FROM users", "prevent_destroy": True}}})
    apply_ok(spec, pg_url)
    doc = yaml.safe_load(spec.read_text())
    doc["tables"]["users"]["columns"]["email"]["type"] = "text"
    write(spec, doc)
    code, out = invoke("plan", str(spec), "--url", pg_url)
    assert code == 1 and "prevent_destroy" in out and "materialized_view public.m" in out


def test_bad_specs_are_refused_with_their_position(tmp_path) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text("version: 1\ndialect: postgres\nviews:\n"
                    "  v: {query: \"DELETE FROM t\"}\n"
                    "  w: {query: \"SELECT 1; DROP TABLE t\"}\n"
                    "  x: {query: \"SELECT 1 INTO t2\"}\n"
                    "  ok: {query: \"SELECT 1\"}\n"
                    "materialized_views:\n"
                    "  m: {query: \"SELECT 1\", options: {\"bad name\": 1}}\n"
                    "  other.n: {query: \"SELECT 1\"}\n"
                    "  ok: {query: \"SELECT 1\"}\n")
    code, out = invoke("validate", str(spec))
    assert code == 1
    assert "bad.yaml:4:6: views.v: query must be one SELECT (or VALUES), not another statement" in out
    assert "bad.yaml:5:6: views.w: query: write one SELECT, without ';' between statements" in out
    assert "bad.yaml:6:6: views.x: query: SELECT ... INTO creates a table" in out
    assert "bad.yaml:9:6: materialized_views.m: options: 'bad name' is not a storage parameter name" in out
    assert "bad.yaml:11:7: materialized_views.ok: public.ok is also a view of the spec" in out
    assert "bad.yaml:10:12: materialized_views.other.n: schema 'other' is not listed in schemas" in out
    spec.write_text("version: 1\ndialect: postgres\nviews:\n  v: {query: \"SELECT 1\", check_option: both}\n")
    code, out = invoke("validate", str(spec))
    assert code == 1 and "bad.yaml:4:40: views.v.check_option: 'both' is not one of 'local', 'cascaded'" in out
    # SQLite has no views in the spec (yet): refused like sequences.
    spec.write_text("version: 1\ndialect: sqlite\nviews:\n  v: {query: \"SELECT 1\"}\n")
    code, out = invoke("validate", str(spec))
    assert code == 1 and "bad.yaml:3:1: unknown key 'views'" in out


def test_recreated_enum_under_a_view(pg_url, pg_conn, tmp_path) -> None:
    spec = write(tmp_path / "s.yaml", {
        "enums": {"state": ["new", "old", "gone"]},
        "tables": {"items": {"columns": {"id": {"type": "integer", "primary_key": True},
                                         "state": {"type": "state"}}}},
        "views": {"fresh": {"query": "SELECT id FROM items WHERE state = 'new'"},
                  "states": {"query": "SELECT id, state FROM items"}}})
    apply_ok(spec, pg_url)
    before = viewdef(pg_conn, "states")
    doc = yaml.safe_load(spec.read_text())
    doc["enums"]["state"] = ["new", "old"]
    write(spec, doc)
    plan = replan(spec, pg_url)
    assert "rebuilt around the recreation of enum public.state" in plan
    apply_ok(spec, pg_url, "--allow-destroy", "--allow-hazards", "access_exclusive_lock,table_rewrite,may_fail_on_data")
    assert NO_CHANGES in replan(spec, pg_url)
    assert viewdef(pg_conn, "states") == before


def test_diff_between_specs_rebuilds_by_the_names_the_queries_read(tmp_path) -> None:
    """Without a catalog, a view is taken to read every column of the relations its query names."""
    old = write(tmp_path / "old.yaml", {"tables": USERS, "views": CHAIN})
    doc = yaml.safe_load(old.read_text())
    doc["tables"]["users"]["columns"]["email"]["type"] = "text"
    new = write(tmp_path / "new.yaml", doc)
    code, out = invoke("diff", str(old), str(new))
    assert code == 0, out
    drops = [out.index(f'DROP VIEW IF EXISTS "public"."{name}"') for name in ("v0", "v2", "v1")]
    creates = [out.index(f'CREATE VIEW "public"."{name}"') for name in ("v1", "v2", "v0")]
    assert drops == sorted(drops) and drops[-1] < out.index("ALTER COLUMN") < creates[0] and creates == sorted(creates)


def test_the_offline_comparison_is_conservative() -> None:
    from reconciler.backends.postgres.kinds.view import same_query

    live = "SELECT users.id,\n    users.email\n   FROM public.users\n  WHERE users.active AND users.email = 'x'::text"
    assert same_query("select id, email from users where (active and email = 'x')", live, "public")
    assert not same_query("SELECT id, email FROM users WHERE active", live, "public")
    assert not same_query("SELECT id, email FROM app.users WHERE active AND email = 'x'", live, "public")
    # With two tables, qualifiers stay: a.id and b.id are different columns.
    joined = "SELECT a.id\n   FROM public.a\n     JOIN public.b ON a.id = b.id"
    assert not same_query("SELECT b.id FROM a JOIN b ON a.id = b.id", joined, "public")
    # A number and a string literal are different output types.
    assert not same_query("SELECT '5' AS n", "SELECT 5 AS n", "public")


def test_column_comments_of_views_and_materialized_views(pg_url, pg_conn, tmp_path) -> None:
    """Regression (issue 13's round trip): COMMENT ON COLUMN of a view or materialized view was neither read nor
    written."""
    spec = write(tmp_path / "s.yaml", {"tables": USERS})
    apply_ok(spec, pg_url)
    pg_conn.execute("CREATE VIEW active_users AS SELECT id, email FROM users WHERE active;"
                    "CREATE MATERIALIZED VIEW emails AS SELECT email FROM users;"
                    "COMMENT ON COLUMN active_users.email IS 'From users';"
                    "COMMENT ON COLUMN emails.email IS 'Lower case'")
    out = tmp_path / "inspected.yaml"
    assert invoke("inspect", "--url", pg_url, "-o", str(out))[0] == 0
    doc = yaml.safe_load(out.read_text())
    assert doc["views"]["active_users"]["column_comments"] == {"email": "From users"}
    assert doc["materialized_views"]["emails"]["column_comments"] == {"email": "Lower case"}
    assert NO_CHANGES in replan(out, pg_url)
    pg_conn.execute("DROP VIEW active_users; DROP MATERIALIZED VIEW emails")
    apply_ok(out, pg_url)
    assert NO_CHANGES in replan(out, pg_url)

    # Changed and removed in place.
    doc["views"]["active_users"]["column_comments"] = {"id": "Key"}
    doc["materialized_views"]["emails"]["column_comments"] = {"email": "Any case"}
    write(out, {k: v for k, v in doc.items() if k not in ("version", "dialect")})
    plan = replan(out, pg_url)
    assert """COMMENT ON COLUMN "public"."active_users"."email" IS NULL;""" in plan, plan
    assert "DROP" not in plan, plan
    apply_ok(out, pg_url)
    assert pg_conn.execute("SELECT col_description('active_users'::regclass, 1), "
                           "col_description('active_users'::regclass, 2), col_description('emails'::regclass, 1)"
                           ).fetchone() == ("Key", None, "Any case")
    assert NO_CHANGES in replan(out, pg_url)

    # A comment on a column the query does not output is refused by validate, with its position.
    bad = write(tmp_path / "bad.yaml", {"tables": USERS, "views": {"v": {
        "query": "SELECT id AS user_id FROM users", "column_comments": {"id": "x"}}}})
    code, output = invoke("validate", str(bad))
    assert code == 1 and "column_comments: 'id' is not a column of the query (it has user_id)" in output, output
