"""Managed roles' attributes and memberships on a real PostgreSQL: created with them, changed only when the spec
gives them, memberships granted and revoked among the managed roles only, inspect --role, and bad specs."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from psycopg import sql

from tests.cli.helpers import apply_ok, invoke, replan
from tests.postgres import roles

NO_CHANGES = "No changes. The database matches the spec."
role_names = roles.role_names  # the fixture


def write(path: Path, doc: dict) -> Path:
    path.write_text(yaml.safe_dump({"version": 1, "dialect": "postgres", **doc}, sort_keys=False))
    return path


def attributes(pg_conn, role: str) -> tuple:
    return pg_conn.execute("SELECT rolcanlogin, rolcreatedb, rolcreaterole, rolinherit, rolbypassrls, "
                           "rolreplication, rolconnlimit FROM pg_roles WHERE rolname = %s", [role]).fetchone()


def groups(pg_conn, role: str) -> set[str]:
    return {name for (name,) in pg_conn.execute(
        "SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
        "JOIN pg_roles r ON r.oid = m.member WHERE r.rolname = %s", [role]).fetchall()}


def test_role_attributes_and_memberships_create_change_drop(pg_url, pg_conn, tmp_path, role_names) -> None:
    reader, writer, admin = role_names("reader"), role_names("writer"), role_names("admin")
    doc = {"roles": {
        # Listed before the roles it is a member of: the plan creates those first.
        admin: {"login": True, "createdb": True, "createrole": True, "bypassrls": True, "replication": True,
                "inherit": False, "connection_limit": 3, "member_of": [writer, reader]},
        writer: {"member_of": [reader]},
        reader: {}}}
    spec = write(tmp_path / "s.yaml", doc)
    plan = replan(spec, pg_url)
    assert (f'CREATE ROLE "{admin}" LOGIN CREATEDB CREATEROLE NOINHERIT BYPASSRLS REPLICATION CONNECTION LIMIT 3;'
            in plan)
    assert plan.index(f'CREATE ROLE "{reader}"') < plan.index(f'CREATE ROLE "{writer}"') \
        < plan.index(f'GRANT "{reader}" TO "{writer}";') < plan.index(f'CREATE ROLE "{admin}"') \
        < plan.index(f'GRANT "{reader}", "{writer}" TO "{admin}";')
    apply_ok(spec, pg_url)
    assert NO_CHANGES in replan(spec, pg_url)
    assert attributes(pg_conn, admin) == (True, True, True, False, True, True, 3)
    assert attributes(pg_conn, reader) == (False, False, False, True, False, False, -1)
    assert groups(pg_conn, admin) == {reader, writer} and groups(pg_conn, writer) == {reader}

    # Changed: only what the spec gives; a membership revoked, another granted.
    doc["roles"][admin] = {"createdb": False, "connection_limit": -1, "inherit": True, "member_of": [writer]}
    doc["roles"][reader] = {"member_of": []}
    doc["roles"][writer] = {"replication": True}  # member_of left out: its membership stays
    write(spec, doc)
    plan = replan(spec, pg_url)
    assert f'ALTER ROLE "{admin}" CREATEDB' not in plan
    assert f'ALTER ROLE "{admin}" NOCREATEDB INHERIT CONNECTION LIMIT -1;' in plan
    assert f'REVOKE "{reader}" FROM "{admin}";' in plan and f'ALTER ROLE "{writer}" REPLICATION;' in plan
    assert "LOGIN" not in plan and "BYPASSRLS" not in plan
    apply_ok(spec, pg_url)
    assert NO_CHANGES in replan(spec, pg_url)
    assert attributes(pg_conn, admin) == (True, False, True, True, True, True, -1)
    assert groups(pg_conn, admin) == {writer} and groups(pg_conn, writer) == {reader}

    # Out of the spec: a role is never dropped, its attributes and memberships stay.
    del doc["roles"][admin]
    doc["roles"][writer] = {"member_of": []}
    write(spec, doc)
    plan = replan(spec, pg_url)
    assert admin not in plan and f'REVOKE "{reader}" FROM "{writer}";' in plan
    apply_ok(spec, pg_url)
    assert NO_CHANGES in replan(spec, pg_url)
    assert groups(pg_conn, admin) == {writer} and groups(pg_conn, writer) == set()


def test_memberships_in_unmanaged_roles_are_never_touched(pg_url, pg_conn, tmp_path, role_names) -> None:
    app, outside = role_names("app"), role_names("outside")
    pg_conn.execute(sql.SQL("CREATE ROLE {o}; CREATE ROLE {a}; GRANT {o} TO {a}").format(
        o=sql.Identifier(outside), a=sql.Identifier(app)))
    spec = write(tmp_path / "s.yaml", {"roles": {app: {"member_of": []}}})
    assert NO_CHANGES in replan(spec, pg_url)
    assert groups(pg_conn, app) == {outside}


def test_inspect_of_hand_made_roles_plans_empty(pg_url, pg_conn, tmp_path, role_names) -> None:
    a, b, outside = role_names("a b"), role_names("B"), role_names("outside")
    pg_conn.execute(sql.SQL(
        "CREATE ROLE {o}; CREATE ROLE {b} NOINHERIT CONNECTION LIMIT 10; "
        "CREATE ROLE {a} LOGIN CREATEROLE BYPASSRLS IN ROLE {b}, {o}"
    ).format(a=sql.Identifier(a), b=sql.Identifier(b), o=sql.Identifier(outside)))
    inspected = tmp_path / "inspected.yaml"
    code, out = invoke("inspect", "--url", pg_url, "--role", a, "--role", b, "-o", str(inspected))
    assert code == 0, out
    doc = yaml.safe_load(inspected.read_text())
    # Only the memberships among the roles read; only the attributes that differ from CREATE ROLE's defaults.
    assert doc["roles"] == {a: {"login": True, "createrole": True, "bypassrls": True, "member_of": [b]},
                            b: {"login": False, "inherit": False, "connection_limit": 10}}
    assert NO_CHANGES in replan(inspected, pg_url)
    pg_conn.execute(sql.SQL("DROP ROLE {a}; DROP ROLE {b}").format(a=sql.Identifier(a), b=sql.Identifier(b)))
    apply_ok(inspected, pg_url)
    assert NO_CHANGES in replan(inspected, pg_url)
    assert attributes(pg_conn, b) == (False, False, False, False, False, False, 10)
    assert groups(pg_conn, a) == {b}


@pytest.mark.parametrize(("role", "message"), [
    ({"member_of": ["stranger"]}, "member_of: role 'stranger' is not listed in roles"),
    ({"member_of": ["app"]}, "a role cannot be a member of itself"),
    ({"member_of": ["other", "other"]}, "a role is listed twice"),
    ({"superuser": True}, "roles.app"),
    ({"password": "secret"}, "roles.app"),
    ({"connection_limit": -2}, "roles.app.connection_limit"),
    ({"createdb": "yes"}, "roles.app.createdb"),
])
def test_bad_roles_are_refused_by_validate(tmp_path, role: dict, message: str) -> None:
    spec = write(tmp_path / "s.yaml", {"roles": {"app": role, "other": {}}})
    code, out = invoke("validate", str(spec))
    assert code == 1 and message in out and "s.yaml:" in out, out
