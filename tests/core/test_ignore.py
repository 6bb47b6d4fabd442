"""`reconciler.ignore` without a database: which objects a pattern ignores, and what a -target selects."""

from __future__ import annotations

import subprocess
import sys

import pytest

from reconciler.changes import Action, Change
from reconciler.errors import PlanError, UsageError
from reconciler.ignore import (
    Pattern,
    change_ignored,
    plural,
    rules_from_flags,
    rules_from_spec,
    select_targets,
)
from reconciler.model import Column, ForeignKey, Table


def rules(**patterns: list[str]):
    return rules_from_spec({"ignore": patterns})


def test_plural_names_of_kinds() -> None:
    assert [plural(k) for k in ("table", "index", "policy", "function", "view", "trigger", "alias")] == \
        ["tables", "indexes", "policies", "functions", "views", "triggers", "aliases"]


def test_glob_is_case_sensitive_and_regex_must_match_whole_name() -> None:
    assert Pattern.parse("audit_*").matches("audit_2024") and not Pattern.parse("audit_*").matches("Audit_2024")
    regex = Pattern.parse("/cache_[0-9]+/")
    assert regex.matches("cache_12") and not regex.matches("cache_12x") and not regex.matches("xcache_1")
    with pytest.raises(ValueError, match="bad regular expression"):
        Pattern.parse("/cache_(/")


def test_a_change_is_ignored_by_its_key_short_key_own_name_or_owner() -> None:
    column = Change(Action.DROP, "column", "column public.users.legacy_id", table="public.users")
    assert change_ignored(rules(columns=["users.legacy_*"]), column) is not None
    assert change_ignored(rules(columns=["public.users.legacy_id"]), column) is not None
    assert change_ignored(rules(columns=["legacy_*"]), column) is not None
    assert change_ignored(rules(columns=["orders.legacy_*"]), column) is None
    assert change_ignored(rules(tables=["users"]), column) is not None  # its table is ignored
    check = Change(Action.DROP, "check", "check public.users.users_chk", table="public.users")
    assert change_ignored(rules(constraints=["users_chk"]), check) is not None
    assert change_ignored(rules(checks=["users_*"]), check) is not None
    # Any kind by its plural name: a kind this module has never heard of.
    policy = Change(Action.CREATE, "policy", "policy public.users.owner_only", table="public.users")
    assert change_ignored(rules(policies=["owner_*"]), policy) is not None
    mongo = Change(Action.DROP, "mongo_index", "index app.users.legacy_idx", table="app.users",
                   extra={"database": "app"})
    assert change_ignored(rules(indexes=["users.legacy_*"]), mongo) is not None
    assert change_ignored(rules(databases=["app"]), mongo) is not None
    assert change_ignored(rules(collections=["system.*"]),
                          Change(Action.DROP, "collection", "collection app.system.js", table="app.system.js",
                                 extra={"database": "app"})) is not None


def test_flags_need_kind_and_pattern() -> None:
    assert rules_from_flags(["tables:alembic_*"]).patterns["tables"][0].text == "alembic_*"
    for bad in ("alembic_version", "Tables:x", "tables:/(/", "tables:"):
        with pytest.raises(UsageError):
            rules_from_flags([bad])


def test_target_selects_members_and_needed_tables_and_errors_on_unknown() -> None:
    orgs = Table("orgs", "public")
    users = Table("users", "public", columns={"id": Column("id", "bigint")})
    fk = ForeignKey("users_org_fk", ["org_id"], "orgs", ["id"], ref_schema="public")
    changes = [
        Change(Action.CREATE, "table", "table public.orgs", after=orgs),
        Change(Action.CREATE, "table", "table public.users", after=users),
        Change(Action.CREATE, "foreign_key", "foreign_key public.users.users_org_fk", after=fk, table="public.users"),
        Change(Action.DROP, "table", "table public.junk", before=Table("junk", "public")),
    ]
    picked = [c.address for c in select_targets(changes, ["users"])]
    assert picked == ["table public.orgs", "table public.users", "foreign_key public.users.users_org_fk"]
    assert [c.address for c in select_targets(changes, ["table public.junk"])] == ["table public.junk"]
    with pytest.raises(PlanError, match="-target 'nope' matches no change"):
        select_targets(changes, ["nope"])
    assert select_targets(changes, ["nope"], known=lambda: ["table public.nope"]) == []


@pytest.mark.parametrize("spec", [
    "dialect: postgres\nignore: {tables: [x]}\ntables:\n  t:\n    columns:\n      id: {type: integer}\n",
    "dialect: mongodb\nignore: {collections: [x]}\ndatabases:\n  app: {collections: {c: {}}}\n",
])
def test_validate_of_a_spec_with_ignore_imports_no_driver(tmp_path, spec: str) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("version: 1\n" + spec)
    code = ("import sys; from reconciler.cli import run; run(['validate', sys.argv[1]]); "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'psycopg', 'pymongo', 'deepdiff'}))")
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True).stdout
    assert "valid" in out and out.strip().endswith("[]"), out
