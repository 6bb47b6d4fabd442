"""Partial ownership: objects a spec leaves alone (`ignore:`), and plans limited to some objects (`-target`).

Both work on what every backend produces, whatever the kind: a change's `kind`, its `address`
(`<kind> <key>`, as the plan prints it), the key of its owning table or collection (`Change.table`) and,
for MongoDB, its database (`extra["database"]`). New kinds get both for free.

Ignore patterns are listed per kind, by the kind's plural name (`tables`, `columns`, `indexes`,
`constraints`, `enums`, `views`, `collections`, `databases`, ...). A pattern is a glob (`fnmatch`, case
sensitive; `*` also matches dots), or a regular expression when written `/.../` (full match). It is
compared with the object's key (`public.users.legacy_id`), the key without its schema or database
(`users.legacy_id`) and, for a member of a table or collection, its own name (`legacy_id`). What an
ignored table, collection, schema or database holds is ignored with it.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from reconciler.changes import Action, Change
from reconciler.errors import PlanError, SpecError, UsageError

#: Ignore sections whose name is not the kind's plural.
_SECTIONS_OF_KIND = {
    "primary_key": ("constraints", "primary_keys"),
    "unique": ("constraints", "uniques"),
    "foreign_key": ("constraints", "foreign_keys"),
    "check": ("constraints", "checks"),
    "mongo_index": ("indexes",),
}
#: The sections that name owners: ignoring one ignores what it holds.
_OWNER_SECTIONS = ("tables", "collections")

#: Tables other migration tools keep their own bookkeeping in. They are not ignored silently: the plan
#: drops them like any other table the spec does not declare, and its drop line says how to keep them.
BOOKKEEPING_TABLES = frozenset({
    "alembic_version", "_prisma_migrations", "schema_migrations", "ar_internal_metadata",
    "flyway_schema_history", "schema_version", "databasechangelog", "databasechangeloglock",
    "django_migrations", "knex_migrations", "knex_migrations_lock", "goose_db_version", "__efmigrationshistory",
    "__EFMigrationsHistory", "migrations", "sequelizemeta", "SequelizeMeta", "typeorm_metadata",
})


def plural(kind: str) -> str:
    """The ignore section of a kind: `table` -> `tables`, `index` -> `indexes`, `policy` -> `policies`."""
    if kind.endswith("y") and not kind.endswith(("ay", "ey", "oy", "uy")):
        return kind[:-1] + "ies"
    if kind.endswith(("s", "x", "ch", "sh")):
        return kind + "es"
    return kind + "s"


def sections_of(kind: str) -> tuple[str, ...]:
    return (plural(kind), *_SECTIONS_OF_KIND.get(kind, ()))


@dataclass(frozen=True)
class Pattern:
    text: str
    #: Compiled regular expression for `/.../` patterns; None for a glob.
    regex: re.Pattern[str] | None = None

    def matches(self, name: str) -> bool:
        if self.regex is not None:
            return self.regex.fullmatch(name) is not None
        return fnmatch.fnmatchcase(name, self.text)

    @classmethod
    def parse(cls, text: str) -> Pattern:
        """Raises ValueError for an empty pattern or a bad regular expression."""
        if not text:
            raise ValueError("an empty pattern matches nothing")
        if len(text) >= 2 and text.startswith("/") and text.endswith("/"):
            try:
                return cls(text, re.compile(text[1:-1]))
            except re.error as exc:
                raise ValueError(f"bad regular expression {text!r}: {exc}") from None
        return cls(text)


@dataclass
class IgnoreRules:
    """Patterns by section (`tables` -> [...]); `where[section][i]` is the spec path of each, for errors."""

    patterns: dict[str, list[Pattern]] = field(default_factory=dict)
    where: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return any(self.patterns.values())

    def match(self, sections: Iterable[str], names: Iterable[str]) -> tuple[str, int] | None:
        """(section, index) of the first pattern of `sections` that matches one of `names`."""
        names = list(names)
        for section in sections:
            for i, pattern in enumerate(self.patterns.get(section, ())):
                if any(pattern.matches(n) for n in names):
                    return section, i
        return None

    def describe(self, hit: tuple[str, int]) -> str:
        section, i = hit
        return f"ignore.{section}[{i}] {self.patterns[section][i].text!r}"


def rules_from_spec(data: Any, positions: Any = None) -> IgnoreRules:
    """The spec's `ignore:` section (its shape is checked by the JSON Schema); a bad pattern is a SpecError
    at its position."""
    section = data.get("ignore") if isinstance(data, dict) else None
    rules = IgnoreRules()
    for kind, items in (section or {}).items():
        for i, text in enumerate(items or []):
            path = ("ignore", kind, i)
            try:
                pattern = Pattern.parse(text)
            except ValueError as exc:
                if positions is not None:
                    raise positions.error(path, str(exc)) from None
                raise SpecError(str(exc), path=f"ignore.{kind}[{i}]") from None
            rules.patterns.setdefault(kind, []).append(pattern)
            rules.where.setdefault(kind, []).append(path)
    return rules


def rules_from_flags(values: Iterable[str], flag: str = "--ignore") -> IgnoreRules:
    """`--ignore tables:alembic_*` (KIND:PATTERN, KIND plural as in the spec's `ignore:`)."""
    rules = IgnoreRules()
    for value in values:
        kind, sep, text = value.partition(":")
        if not sep or not re.fullmatch(r"[a-z][a-z_]*", kind):
            raise UsageError(f"{flag} {value!r}: expected KIND:PATTERN, e.g. tables:alembic_* or columns:users.legacy_*")
        try:
            pattern = Pattern.parse(text)
        except ValueError as exc:
            raise UsageError(f"{flag} {value!r}: {exc}") from None
        rules.patterns.setdefault(kind, []).append(pattern)
        rules.where.setdefault(kind, []).append(())
    return rules


def _names(key: str, owner: str | None) -> list[str]:
    """What a pattern is compared with: the key, the key without its first part, the member's own name."""
    names = [key]
    if "." in key:
        names.append(key.split(".", 1)[1])
    if owner and key.startswith(owner + "."):
        names.append(key[len(owner) + 1:])
    return names


def object_ignored(rules: IgnoreRules, kind: str, key: str, *, owner: str | None = None,
                   database: str | None = None, schema: str | None = None) -> tuple[str, int] | None:
    """The pattern that ignores one object (by kind and key), its owner, its schema or database; None if kept."""
    hit = rules.match(sections_of(kind), _names(key, owner))
    if hit is None and owner:
        hit = rules.match(_OWNER_SECTIONS, _names(owner, None))
    if hit is None and database:
        hit = rules.match(("databases",), [database])
    if hit is None and schema:
        hit = rules.match(("schemas",), [schema])
    return hit


def change_key(change: Change) -> str:
    return change.address.split(" ", 1)[1] if " " in change.address else change.address


def change_ignored(rules: IgnoreRules, change: Change) -> tuple[str, int] | None:
    key = change_key(change)
    # The address's first word too: MongoDB's index changes are kind `mongo_index`, printed `index`.
    word = change.address.split(" ", 1)[0]
    hit = object_ignored(rules, change.kind, key, owner=change.table, database=change.extra.get("database"),
                         schema=_schema_of(change))
    if hit is None and word != change.kind:
        hit = rules.match(sections_of(word), _names(key, change.table))
    # A rename is ignored under either name.
    if hit is None and change.action == Action.RENAME and change.before is not None:
        old = getattr(change.before, "key", None)
        if isinstance(old, str):
            hit = rules.match(sections_of(change.kind), _names(old, None))
    return hit


def _schema_of(change: Change) -> str | None:
    if change.kind == "schema":
        return change_key(change)
    for obj in (change.after, change.before, change.extra.get("table")):
        schema = getattr(obj, "schema", None)
        if isinstance(schema, str):
            return schema
    return None


def filter_changes(changes: list[Change], rules: IgnoreRules) -> list[Change]:
    """The changes that touch no ignored object."""
    if not rules:
        return changes
    return [c for c in changes if change_ignored(rules, c) is None]


_TABLE_MEMBERS = (("columns", "column"), ("indexes", "index"), ("uniques", "unique"), ("foreign_keys", "foreign_key"),
                  ("checks", "check"))


def declared_and_ignored(rules: IgnoreRules, changes: list[Change]) -> list[tuple[tuple[str, int], str]]:
    """Objects a spec creates (changes from an empty model) that its own ignore patterns match, as
    (pattern, address); a created table's inline members (columns, constraints) count too."""
    found: list[tuple[tuple[str, int], str]] = []
    for change in changes:
        hit = change_ignored(rules, change)
        if hit is not None:
            found.append((hit, change.address))
            continue
        if change.kind != "table" or change.after is None:
            continue
        key = change_key(change)
        members = [(kind, name) for attr, kind in _TABLE_MEMBERS for name in getattr(change.after, attr, {}) or {}]
        pk = getattr(change.after, "primary_key", None)
        if pk is not None:
            members.append(("primary_key", pk.name))
        for kind, name in members:
            hit = object_ignored(rules, kind, f"{key}.{name}", owner=key)
            if hit is not None:
                found.append((hit, f"{kind} {key}.{name}"))
    return found


def bookkeeping_hint(change: Change) -> None:
    """A dropped table another tool keeps its migrations in: say how to keep it."""
    if change.kind != "table" or change.action != Action.DROP:
        return
    name = getattr(change.before, "name", None)
    if name in BOOKKEEPING_TABLES:
        change.notes.append(f"{name} looks like another migration tool's bookkeeping table; to keep it, "
                            f"add \"{name}\" to ignore.tables")


# ---------------------------------------------------------------------------------------------- -target


def target_matches(target: str, change: Change) -> bool:
    """`table public.users` (an address as printed), or the key alone (`public.users`, `users` without schema)."""
    return _address_matches(target, change.address, change.kind)


def _address_matches(target: str, address: str, kind: str | None = None) -> bool:
    target = " ".join(target.split())
    if target == address:
        return True
    word, _, key = address.partition(" ")
    if " " in target:
        head, _, rest = target.partition(" ")
        if head not in (kind, word):
            return False
        target = rest
    return target == key or ("." in key and target == key.split(".", 1)[1])


def select_targets(changes: list[Change], targets: Iterable[str],
                   known: Callable[[], Iterable[str]] | None = None) -> list[Change]:
    """The changes of the targeted objects and what they need; PlanError for a target that matches nothing.

    Needed: what a targeted table or collection holds (its columns, indexes, constraints), and, when they are
    created or changed in the same plan, the table a foreign key references and the enum, domain or
    sequence a column uses (transitively). `known()`: the addresses of every object on either side, for a
    target that names an object in sync (no change: not an error).
    """
    targets = list(targets)
    chosen: list[int] = []
    for target in targets:
        hits = [i for i, c in enumerate(changes) if target_matches(target, c)]
        if not hits and known is not None and any(_address_matches(target, a) for a in known()):
            continue
        if not hits:
            addresses = ", ".join(sorted({c.address for c in changes})[:10]) or "none: the plan is empty"
            raise PlanError(f"-target {target!r} matches no change of the plan (changes: {addresses})")
        chosen += hits
    selected: set[int] = set()
    queue = list(chosen)
    while queue:
        i = queue.pop()
        if i in selected:
            continue
        selected.add(i)
        change = changes[i]
        owner_key = change_key(change) if change.kind in ("table", "collection") else None
        for j, other in enumerate(changes):
            if j in selected:
                continue
            if owner_key is not None and other.table == owner_key:
                queue.append(j)  # what the targeted table holds
            elif _needs(change, other):
                queue.append(j)
    return [c for i, c in enumerate(changes) if i in selected]


def _needs(change: Change, other: Change) -> bool:
    """Whether applying `change` needs `other` (created or changed in the same plan) first."""
    if other.action == Action.DROP or change.action == Action.DROP:
        return False
    obj = change.after
    other_key = change_key(other)
    if change.table and other.kind == "table" and other_key == change.table and other.action == Action.CREATE:
        return True  # a member's table is created in this plan
    # A foreign key's referenced table; a created table's inline keys too (SQLite writes them in CREATE TABLE).
    if other.kind == "table" and other.action == Action.CREATE:
        keys = [obj, *(getattr(obj, "foreign_keys", None) or {}).values()]
        for key in keys:
            ref_table = getattr(key, "ref_table", None)
            if isinstance(ref_table, str):
                ref_schema = getattr(key, "ref_schema", None) or getattr(obj, "schema", None)
                if other_key == (f"{ref_schema}.{ref_table}" if ref_schema else ref_table) or \
                        (not ref_schema and other_key.split(".", 1)[-1] == ref_table):
                    return True
    if other.kind in ("enum", "domain", "sequence", "schema", "extension"):
        return _mentions(change, other_key, other.kind)
    return False


def _mentions(change: Change, key: str, kind: str) -> bool:
    """Whether a created or changed object uses the type or schema `key` (columns' types, a table's schema)."""
    short = key.split(".", 1)[1] if "." in key else key
    objects = [change.after]
    table = change.after
    if change.kind == "table" and table is not None:
        objects += list(getattr(table, "columns", {}).values())
    for obj in objects:
        if obj is None:
            continue
        if kind == "schema":
            if getattr(obj, "schema", None) == key:
                return True
            continue
        for attr in ("type", "default"):
            value = getattr(obj, attr, None)
            text = getattr(value, "expression", value)
            if isinstance(text, str) and (key in text or re.search(rf"(^|[^\w.]){re.escape(short)}\b", text)):
                return True
    return False


def partial_plan_note(targets: Iterable[str]) -> str:
    listed = ", ".join(repr(t) for t in targets)
    return f"Partial plan: only -target {listed} (and what it needs); other changes are not shown."


def refuse_lost_ignored(changes: list[Change], pruned: dict[str, list[str]]) -> None:
    """A table rebuilt (SQLite) would lose the ignored columns the model no longer shows: refuse."""
    for change in changes:
        if change.kind == "table" and change.extra.get("rebuild") and change_key(change) in pruned:
            key = change_key(change)
            raise PlanError(f"table {key} must be rebuilt, which would lose its ignored "
                            f"{', '.join(pruned[key])}; declare them in the spec or change the table by hand")


# ---------------------------------------------------------------------------------------------- models


def prune_relational(db: Any, rules: IgnoreRules) -> dict[str, list[str]]:
    """Take the ignored objects out of a relational `Database` (in place), so that no comparison, fingerprint or
    `inspect` sees them. Returns, per kept table, the members taken out of it (`column legacy_id`)."""
    pruned: dict[str, list[str]] = {}
    if not rules:
        return pruned
    db.schemas = [s for s in db.schemas if object_ignored(rules, "schema", s) is None]
    for attr, kind in (("extensions", "extension"), ("enums", "enum"), ("domains", "domain")):
        mapping = getattr(db, attr)
        for key in [k for k, obj in mapping.items()
                    if object_ignored(rules, kind, k, schema=getattr(obj, "schema", None)) is not None]:
            del mapping[key]
    for key in list(db.tables):
        table = db.tables[key]
        if object_ignored(rules, "table", key, schema=table.schema) is not None:
            del db.tables[key]
            continue
        for attr, kind in (("columns", "column"), ("indexes", "index"), ("uniques", "unique"),
                           ("foreign_keys", "foreign_key"), ("checks", "check")):
            members = getattr(table, attr)
            for name in [n for n in members if object_ignored(rules, kind, f"{key}.{n}", owner=key) is not None]:
                del members[name]
                pruned.setdefault(key, []).append(f"{kind} {name}")
        pk = table.primary_key
        if pk is not None and object_ignored(rules, "primary_key", f"{key}.{pk.name}", owner=key) is not None:
            table.primary_key = None
            pruned.setdefault(key, []).append(f"primary_key {pk.name}")
        ignored_columns = {m.split(" ", 1)[1] for m in pruned.get(key, []) if m.startswith("column ")}
        if ignored_columns:
            _prune_users_of_columns(table, ignored_columns, pruned.setdefault(key, []))
    for kind, objects in db.objects.items():
        for key in [k for k, obj in objects.items()
                    if object_ignored(rules, kind, k, owner=_owner_key(obj),
                                      schema=getattr(obj, "schema", None)) is not None]:
            del objects[key]
    return pruned


def _prune_users_of_columns(table: Any, ignored: set[str], pruned: list[str]) -> None:
    """Indexes and keys on an ignored column are ignored with it: the spec cannot declare them (their column is
    not in it), so they would otherwise always be dropped."""
    for attr, kind in (("indexes", "index"), ("uniques", "unique"), ("foreign_keys", "foreign_key")):
        members = getattr(table, attr)
        for name in [n for n, obj in members.items() if ignored & _columns_of(obj)]:
            del members[name]
            pruned.append(f"{kind} {name}")
    if table.primary_key is not None and ignored & set(table.primary_key.columns):
        pruned.append(f"primary_key {table.primary_key.name}")
        table.primary_key = None


def _columns_of(obj: Any) -> set[str]:
    columns = set(getattr(obj, "columns", None) or [])
    columns |= {e.column for e in getattr(obj, "elements", None) or [] if getattr(e, "column", None)}
    return columns | set(getattr(obj, "include", None) or [])


def _owner_key(obj: Any) -> str | None:
    """The table a registered kind's object belongs to (a trigger's, a policy's), when it says so."""
    table = getattr(obj, "table", None)
    schema = getattr(obj, "schema", None)
    if isinstance(table, str):
        return table if "." in table or not schema else f"{schema}.{table}"
    return getattr(table, "key", None)
