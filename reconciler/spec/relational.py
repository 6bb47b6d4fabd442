"""Build the relational model (`reconciler.model.Database`) from a validated spec.

Dialect differences (type spelling, literal quoting, default schema) come in
through `DialectRules`; naming of unnamed indexes and constraints follows
PostgreSQL's own convention so that an inspected database compares equal to
the spec that created it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from reconciler.errors import SpecError, SpecErrors
from reconciler.hooks import build_hooks
from reconciler.model import (
    CheckConstraint,
    Column,
    Database,
    Default,
    Domain,
    Enum,
    ExclusionConstraint,
    Extension,
    ForeignKey,
    IdentityOptions,
    Index,
    IndexElement,
    PrimaryKey,
    Table,
    UniqueConstraint,
    qualified,
)
from reconciler.spec.loader import LoadedSpec, Path_

SERIAL_TYPES = {"serial": "integer", "serial4": "integer", "bigserial": "bigint", "serial8": "bigint",
                "smallserial": "smallint", "serial2": "smallint"}


_INTEGER_MAX = {"smallint": 2**15 - 1, "integer": 2**31 - 1, "bigint": 2**63 - 1}


def identity_options(type_: str, start: int | None = None, increment: int | None = None,
                     min_value: int | None = None, max_value: int | None = None, cache: int | None = None,
                     cycle: bool = False) -> IdentityOptions | None:
    """An identity sequence's options with every value that is the default for the column's type and
    direction left out (None when all are): what the spec says and what the catalog holds then compare equal."""
    top = _INTEGER_MAX.get(type_, 2**63 - 1)
    step = 1 if increment is None else increment
    low_default, high_default = (1, top) if step > 0 else (-top - 1, -1)
    low = low_default if min_value is None else min_value
    high = high_default if max_value is None else max_value
    options = IdentityOptions(
        start=None if start is None or start == (low if step > 0 else high) else start,
        increment=None if step == 1 else step,
        min_value=None if low == low_default else low,
        max_value=None if high == high_default else high,
        cache=None if cache in (None, 1) else cache,
        cycle=bool(cycle))
    return None if options == IdentityOptions() else options


#: Storage parameters of PostgreSQL's index methods (CREATE INDEX ... WITH): anything else is refused.
INDEX_STORAGE_PARAMETERS = {
    "btree": frozenset({"fillfactor", "deduplicate_items"}), "hash": frozenset({"fillfactor"}),
    "gist": frozenset({"fillfactor", "buffering"}), "spgist": frozenset({"fillfactor"}),
    "gin": frozenset({"fastupdate", "gin_pending_list_limit"}),
    "brin": frozenset({"pages_per_range", "autosummarize"}),
}


# A table's storage parameters (PostgreSQL), those pg_class.reloptions holds for the table itself (the toast.*
# ones are the TOAST table's).
TABLE_STORAGE_PARAMETERS = frozenset({
    "fillfactor", "toast_tuple_target", "parallel_workers", "autovacuum_enabled", "vacuum_index_cleanup",
    "vacuum_truncate", "autovacuum_vacuum_threshold", "autovacuum_vacuum_scale_factor",
    "autovacuum_vacuum_insert_threshold", "autovacuum_vacuum_insert_scale_factor", "autovacuum_analyze_threshold",
    "autovacuum_analyze_scale_factor", "autovacuum_vacuum_cost_delay", "autovacuum_vacuum_cost_limit",
    "autovacuum_freeze_min_age", "autovacuum_freeze_max_age", "autovacuum_freeze_table_age",
    "autovacuum_multixact_freeze_min_age", "autovacuum_multixact_freeze_max_age",
    "autovacuum_multixact_freeze_table_age", "log_autovacuum_min_duration", "user_catalog_table",
})


def storage_value(value: Any) -> str:
    """A storage parameter's value as pg_class.reloptions keeps it (booleans as PostgreSQL spells them)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _as_written(name: str) -> str:
    return name


@dataclass
class DialectRules:
    name: str
    #: Schema of unqualified names; None where the dialect has no schemas (SQLite).
    default_schema: str | None
    #: Longest identifier the database keeps (PostgreSQL truncates to 63 bytes).
    max_identifier: int
    #: Canonical spelling of a type, given user-defined types {spelling: canonical}; ValueError if unknown.
    normalize_type: Callable[[str, dict[str, str]], str]
    #: Canonical spelling of a user-defined type (an enum) named (schema, name).
    user_type_name: Callable[[str | None, str], str]
    #: SQL literal for a YAML scalar default, in the column's type.
    literal_sql: Callable[[Any, str], str]
    #: SQL expression check; ValueError with a reason if it does not parse.
    check_expression: Callable[[str], None]
    supports: frozenset[str] = field(default_factory=frozenset)
    #: Constraint names (primary key, unique, foreign key, check) are unique within a table (PostgreSQL's
    #: pg_constraint); SQLite lets them repeat.
    constraint_names_per_table: bool = True
    #: Unqualified column names a (checked) expression refers to, in `column_key` form; None: not checked.
    column_references: Callable[[str], frozenset[str]] | None = None
    #: A column's name in the form `column_references` gives (SQLite ignores case).
    column_key: Callable[[str], str] = _as_written
    #: Why a YAML scalar default cannot be a value of the (builtin, canonical) type, or None if it can or
    #: cannot be known without a database. Enum members are checked by the builder.
    literal_error: Callable[[Any, str], str | None] | None = None
    #: Why an index method cannot take a plain column of the (canonical) type without an operator class,
    #: given the spec's extensions; None if it can.
    index_column_error: Callable[[str, str, frozenset[str]], str | None] | None = None
    #: More user-defined types the spec defines, for column types: (spec data, default schema) ->
    #: {spelling: canonical} (PostgreSQL's composite `types:`).
    spec_user_types: Callable[[dict[str, Any], str | None], dict[str, str]] | None = None


_QUOTED_NAME = re.compile(r'"((?:[^"]|"")+)"')


def collation_name(value: str | None) -> str | None:
    """A collation is a name, as the catalog stores it: `"C"` in a spec (SQL's quoted spelling) is `C`.

    Anything else is taken verbatim as the name; the renderer quotes it like every identifier.
    """
    if value is None:
        return None
    match = _QUOTED_NAME.fullmatch(value)
    return match.group(1).replace('""', '"') if match else value


def relational_schema() -> dict[str, Any]:
    """The relational spec's JSON Schema fragment (`relational.schema.json`), for the backends built on it."""
    from reconciler.spec.schemas import fragment

    return fragment("reconciler.spec", "relational.schema.json")


def make_object_name(table: str, columns: list[str], label: str, limit: int) -> str:
    """PostgreSQL's makeObjectName: table_col1_col2_label, truncating the longer part first."""
    name2 = "_".join(columns)
    overhead = (len(label) + 1 if label else 0) + (1 if name2 else 0)
    avail = limit - overhead
    # Nearly every name is ASCII (a byte per character) and fits: skip the byte-wise truncation.
    if len(table) + len(name2) <= avail and table.isascii() and name2.isascii():
        return "_".join(p for p in (table, name2, label) if p)
    n1, n2 = len(table.encode()), len(name2.encode())
    while n1 + n2 > avail:
        if n1 > n2:
            n1 -= 1
        else:
            n2 -= 1
    head = table.encode()[:n1].decode(errors="ignore")
    parts = [head]
    if name2:
        parts.append(name2.encode()[:n2].decode(errors="ignore"))
    if label:
        parts.append(label)
    return "_".join(parts)


_FUNC_NAME = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*\(")


def index_column_name(element: IndexElement) -> str:
    """The name PostgreSQL uses for an index key when naming the index."""
    if element.column is not None:
        return element.column
    match = _FUNC_NAME.match(element.expression or "")
    return match.group(1).lower() if match else "expr"


_REFERENCE = re.compile(
    r'^\s*(?:(?P<schema>"[^"]+"|[^\s."()]+)\.)?(?P<table>"[^"]+"|[^\s."()]+)\s*\((?P<columns>[^)]*)\)\s*$')


def _unquote(name: str) -> str:
    name = name.strip()
    return name[1:-1].replace('""', '"') if len(name) >= 2 and name[0] == name[-1] == '"' else name


def split_qualified(name: str, default_schema: str | None) -> tuple[str | None, str]:
    if default_schema is not None and "." in name and not name.startswith('"'):
        schema, _, rest = name.partition(".")
        return schema, rest
    return default_schema, name


_PLAIN_COLUMN_KEYS = frozenset({"type", "nullable", "default"})


class _Builder:
    def __init__(self, loaded: LoadedSpec, rules: DialectRules) -> None:
        self.loaded, self.rules = loaded, rules
        self.errors: list[SpecError] = []
        self._types: dict[str, str] = {}
        self.data = loaded.data

    def column_type(self, raw: str, user_types: dict[str, str]) -> str:
        """normalize_type, memoised: a large spec spells the same few types thousands of times."""
        cached = self._types.get(raw)
        if cached is None:
            cached = self._types[raw] = self.rules.normalize_type(raw, user_types)
        return cached

    def error(self, path: Path_, message: str) -> None:
        self.errors.append(self.loaded.positions.error(path, message))

    def where(self, path: Path_) -> str:
        file, line, column = self.loaded.positions.locate(path)
        return f"{file}:{line}:{column}" if file and line is not None else file or "the spec"

    def duplicate(self, path: Path_, what: str, key: str, first: Path_) -> None:
        """`key` names the same object as the entry at `first`, spelled differently (`e`, `public.e`)."""
        self.error(path, f"{what} {key!r} is defined twice (first as {first[-1]!r} at {self.where(first)})")

    def name_ok(self, path: Path_, name: str, what: str) -> bool:
        if name and name.isascii() and len(name) <= self.rules.max_identifier:
            return True
        if not name or len(name.encode()) > self.rules.max_identifier:
            self.error(path, f"{what} name {name!r} is longer than {self.rules.max_identifier} bytes")
            return False
        return True

    def not_renamed_from_itself(self, path: Path_, spec: dict[str, Any], name: str, what: str) -> None:
        """`renamed_from: <its own name>` could never plan: the old and the new object are both or neither there."""
        if spec.get("renamed_from") == name:
            self.error((*path, "renamed_from"), f"{what} {name!r} cannot be renamed from its own name "
                                                "(remove renamed_from once the rename is applied)")

    def build(self) -> Database:
        rules = self.rules
        default_schema = self.data.get("schema", rules.default_schema) if rules.default_schema else None
        db = Database(dialect=rules.name)
        for feature in ("schemas", "extensions", "enums", "domains"):
            if self.data.get(feature) and feature not in rules.supports:
                self.error((feature,), f"{feature} are not supported by dialect {rules.name}")
        schemas = []
        if self.data.get("schema") and rules.default_schema:
            self.name_ok(("schema",), self.data["schema"], "schema")
        for i, entry in enumerate(self.data.get("schemas") or []):
            schema_name = entry["name"] if isinstance(entry, dict) else entry
            self.name_ok(("schemas", i), schema_name, "schema")
            if schema_name in schemas:
                self.error(("schemas", i), f"schema {schema_name!r} is listed twice")
            schemas.append(schema_name)
            if isinstance(entry, dict) and "comment" in entry:
                db.schema_comments[schema_name] = entry["comment"]
        if default_schema and default_schema not in schemas:
            schemas.insert(0, default_schema)
        db.schemas = schemas

        for ext in self.data.get("extensions") or []:
            ext = {"name": ext} if isinstance(ext, str) else ext
            db.extensions[ext["name"]] = Extension(name=ext["name"], schema=ext.get("schema"))
        self._extensions = frozenset(db.extensions)

        user_types: dict[str, str] = {}
        # Where each enum, domain and table was first defined: `e` and `public.e` are one object.
        first: dict[tuple[str, str], Path_] = {}
        for key, spec in (self.data.get("enums") or {}).items():
            path = ("enums", key)
            schema, name = split_qualified(key, default_schema)
            self.name_ok(path, name, "enum")
            if schema is not None and schema not in schemas:
                self.error(path, f"schema {schema!r} is not listed in schemas")
            values_path = path if isinstance(spec, list) else (*path, "values")
            spec = {"values": spec} if isinstance(spec, list) else spec
            values = [str(v) for v in spec["values"]]
            for i, label in enumerate(values):
                # PostgreSQL keeps labels in a `name` too (NAMEDATALEN): 63 bytes, not characters.
                if len(label) > self.rules.max_identifier // 4 and len(label.encode()) > self.rules.max_identifier:
                    self.error((*values_path, i), f"enum label {label!r} is longer than "
                                                  f"{self.rules.max_identifier} bytes")
            if len(set(values)) != len(values):
                dupes = sorted(v for v, n in Counter(values).items() if n > 1)
                self.error((*path, "values"), f"duplicate enum value {dupes[0]!r}")
            enum = Enum(name=name, values=values, schema=schema, comment=spec.get("comment"),
                        prevent_destroy=bool(spec.get("prevent_destroy")))
            if enum.key in db.enums:
                self.duplicate(path, "enum", enum.key, first["enum", enum.key])
                continue
            first["enum", enum.key] = path
            db.enums[enum.key] = enum
            self._enums_by_type[rules.user_type_name(schema, name)] = enum
            canonical = rules.user_type_name(schema, name)
            user_types[name if schema == default_schema else enum.key] = canonical
            user_types[enum.key] = canonical
            user_types[canonical] = canonical

        domains = (self.data.get("domains") or {}) if "domains" in rules.supports else {}
        for key, spec in domains.items():
            domain = self.build_domain(("domains", key), key, spec, default_schema, schemas, user_types)
            if domain is None:
                continue
            if domain.key in db.enums:
                self.error(("domains", key), f"type {domain.key!r} is defined both as an enum and a domain")
            if domain.key in db.domains:
                self.duplicate(("domains", key), "domain", domain.key, first["domain", domain.key])
                continue
            first["domain", domain.key] = ("domains", key)
            db.domains[domain.key] = domain
            self._domains_by_type[rules.user_type_name(domain.schema, domain.name)] = domain
            canonical = rules.user_type_name(domain.schema, domain.name)
            user_types[domain.name if domain.schema == default_schema else domain.key] = canonical
            user_types[domain.key] = canonical
            user_types[canonical] = canonical

        if rules.spec_user_types is not None:
            for spelling, canonical in rules.spec_user_types(self.data, default_schema).items():
                user_types.setdefault(spelling, canonical)

        tables = self.data.get("tables") or {}
        for key, spec in tables.items():
            table = self.build_table(("tables", key), key, spec, default_schema, schemas, user_types)
            if table is not None:
                if table.key in db.tables:
                    self.duplicate(("tables", key), "table", table.key, first["table", table.key])
                first.setdefault(("table", table.key), ("tables", key))
                if table.key in db.domains:
                    self.error(("tables", key), f"table {table.key!r} has the name of a domain (a table is also a type)")
                db.tables[table.key] = table
        self.check_references(db)
        self.check_unique_names(db)
        if self.errors:
            raise SpecErrors(self.errors) if len(self.errors) > 1 else self.errors[0]
        return db

    def build_domain(self, path: Path_, key: str, spec: dict[str, Any], default_schema: str | None,
                     schemas: list[str], user_types: dict[str, str]) -> Domain | None:
        rules = self.rules
        schema, name = split_qualified(key, default_schema)
        self.name_ok(path, name, "domain")
        if schema is not None and schema not in schemas:
            self.error(path, f"schema {schema!r} is not listed in schemas")
        try:
            base = rules.normalize_type(spec["type"], user_types)
        except ValueError as exc:
            self.error((*path, "type"), str(exc))
            return None
        domain = Domain(name=name, type=base, schema=schema, nullable=bool(spec.get("nullable", True)),
                        collation=collation_name(spec.get("collation")), comment=spec.get("comment"),
                        prevent_destroy=bool(spec.get("prevent_destroy")))
        if "default" in spec:
            domain.default = self.default(path, spec["default"], base)
        else:
            # Like PostgreSQL, a domain over a domain starts with its base's default.
            base_domain = self._domains_by_type.get(base)
            domain.default = base_domain.default if base_domain is not None else None
        domain.checks = self.checks(path, spec)
        return domain

    def check_columns(self, path: Path_, sql: str, what: str, table: Table | None) -> None:
        """The columns an expression names exist in `table`; without one (a default, a domain) it names none.

        Called only once the expression is known to parse. A domain's checks may name VALUE alone.
        """
        if self.rules.column_references is None:
            return
        references = self.rules.column_references(sql)
        if not references:
            return
        if table is None:
            for name in sorted(references):
                if what.startswith("domain check") and name == self.rules.column_key("value"):
                    continue
                self.error(path, f"{what} cannot refer to a column (it names {name!r})")
            return
        keys = self._column_keys.get(table.key)
        if keys is None:
            keys = self._column_keys[table.key] = {self.rules.column_key(c) for c in table.columns}
        for name in sorted(references - keys):
            hint = next((f' (unquoted names are lower-cased: write "{c}")' for c in table.columns
                         if c.lower() == name and c != name), "")
            self.error(path, f"{what} names column {name!r}, which table {table.name!r} does not have{hint}")

    def checks(self, path: Path_, spec: dict[str, Any], table: Table | None = None) -> dict[str, CheckConstraint]:
        """The `checks:` map of a table (`table`) or a domain: name -> expression, each checked."""
        result = {}
        for cname, entry in (spec.get("checks") or {}).items():
            chpath = (*path, "checks", cname)
            self.name_ok(chpath, cname, "check constraint")
            expression = entry["expression"] if isinstance(entry, dict) else entry
            try:
                self.rules.check_expression(expression)
            except ValueError as exc:
                self.error(chpath, f"invalid check expression: {exc}")
            else:
                self.check_columns(chpath, expression, f"check {cname!r}" if table else "domain check", table)
            options = entry if isinstance(entry, dict) else {}
            result[cname] = CheckConstraint(name=cname, expression=expression.strip(), valid=not options.get("not_valid"),
                                            no_inherit=bool(options.get("no_inherit")), comment=options.get("comment"))
        return result

    def default(self, path: Path_, value: Any, type_: str) -> Default:
        """A `default:` value: `{sql: expression}` or a YAML scalar quoted as a literal of `type_`."""
        if isinstance(value, dict):
            try:
                self.rules.check_expression(value["sql"])
            except ValueError as exc:
                self.error((*path, "default", "sql"), f"invalid default expression: {exc}")
            else:
                self.check_columns((*path, "default", "sql"), value["sql"], "a default", None)
            return Default(expression=value["sql"].strip(), literal=False)
        self.check_literal((*path, "default"), value, type_)
        return Default(expression=self.rules.literal_sql(value, type_), literal=True)

    def base_type(self, type_: str) -> str:
        """A domain's (or a domain over a domain's) base type; any other type as it is."""
        for _ in range(len(self._domains_by_type) + 1):
            domain = self._domains_by_type.get(type_)
            if domain is None:
                break
            type_ = domain.type
        return type_

    def check_literal(self, path: Path_, value: Any, type_: str) -> None:
        """A literal default must be a value of its type where the spec alone tells (the database casts it)."""
        base = self.base_type(type_)
        enum = self._enums_by_type.get(base)
        if enum is not None:
            if not isinstance(value, str) or value not in enum.values:
                hint = f" (quote it: {str(value)!r})" if str(value) in enum.values else ""
                self.error(path, f"default {value!r} is not a value of enum {enum.key}{hint}")
        elif self.rules.literal_error is not None:
            message = self.rules.literal_error(value, base)
            if message is not None:
                self.error(path, message)

    def build_table(self, path: Path_, key: str, spec: dict[str, Any], default_schema: str | None,
                    schemas: list[str], user_types: dict[str, str]) -> Table | None:
        rules = self.rules
        schema, name = split_qualified(key, default_schema)
        self.name_ok(path, name, "table")
        if schema is not None and schema not in schemas:
            self.error(path, f"schema {schema!r} is not listed in schemas")
        table = Table(name=name, schema=schema, comment=spec.get("comment"),
                      renamed_from=spec.get("renamed_from"), prevent_destroy=bool(spec.get("prevent_destroy")),
                      unlogged=bool(spec.get("unlogged")))
        for parameter, value in (spec.get("options") or {}).items():
            if parameter not in TABLE_STORAGE_PARAMETERS:
                self.error((*path, "options", parameter), f"tables have no storage parameter {parameter!r} (they "
                                                          f"have: {', '.join(sorted(TABLE_STORAGE_PARAMETERS))})")
            elif parameter == "fillfactor" and not (isinstance(value, int) and not isinstance(value, bool)
                                                    and 10 <= value <= 100):
                self.error((*path, "options", parameter), "fillfactor must be a whole number from 10 to 100")
            elif spec.get("partition_by"):
                self.error((*path, "options"), "a partitioned table has no storage parameters (its partitions do)")
            else:
                table.options[parameter] = storage_value(value)
        self._paths.setdefault((table.key, "table", name), path)
        self.not_renamed_from_itself(path, spec, name, "table")
        limit = rules.max_identifier
        pk_columns: list[str] = []
        generated: list[tuple[Path_, str]] = []
        # A partition (PostgreSQL) has no columns of its own: its parent's.
        for col_name, col in (spec.get("columns") or {}).items():
            cpath = (*path, "columns", col_name)
            self.name_ok(cpath, col_name, "column")
            # Not stripped: a user type may be named with surrounding whitespace (normalize_type strips the rest).
            raw_type = col["type"]
            # Most columns say only type, nullable and default: skip the lookups of the rest.
            plain = _PLAIN_COLUMN_KEYS.issuperset(col)
            if not plain:
                self.not_renamed_from_itself(cpath, col, col_name, "column")
            serial = None
            word = raw_type.strip().lower()
            if word in SERIAL_TYPES:
                serial = word.replace("serial4", "serial").replace("serial8", "bigserial").replace("serial2", "smallserial")
                raw_type = SERIAL_TYPES[word]
            try:
                col_type = self.column_type(raw_type, user_types)
            except ValueError as exc:
                self.error((*cpath, "type"), str(exc))
                continue
            default = self.default(cpath, col["default"], col_type) if "default" in col else None
            if plain and serial is None:
                table.columns[col_name] = Column(name=col_name, type=col_type, nullable=bool(col.get("nullable")),
                                                 default=default)
                continue
            if serial and (default or col.get("identity")):
                self.error(cpath, f"a {serial} column cannot also have a default or identity")
            if col.get("identity") and default:
                self.error(cpath, "an identity column cannot also have a default")
            identity_spec = col.get("identity")
            identity = identity_spec.get("generated") if isinstance(identity_spec, dict) else identity_spec
            options = None
            if isinstance(identity_spec, dict):
                options = identity_options(
                    col_type, identity_spec.get("start"), identity_spec.get("increment"),
                    identity_spec.get("min_value"), identity_spec.get("max_value"), identity_spec.get("cache"),
                    bool(identity_spec.get("cycle")))
                self.check_identity_range((*cpath, "identity"), col_type, options)
            if col.get("generated") is not None:
                if serial or identity or default:
                    self.error((*cpath, "generated"), "a generated column cannot also have a default, identity "
                                                      "or serial type")
                try:
                    rules.check_expression(col["generated"])
                except ValueError as exc:
                    self.error((*cpath, "generated"), f"invalid generation expression: {exc}")
                else:
                    generated.append(((*cpath, "generated"), col["generated"]))
            if col.get("using"):
                try:
                    rules.check_expression(col["using"])
                except ValueError as exc:
                    self.error((*cpath, "using"), f"invalid expression: {exc}")
            column = Column(
                name=col_name, type=col_type, nullable=bool(col.get("nullable", False)), default=default,
                identity=(identity or "").replace("_", " ") or None, serial=serial,
                comment=col.get("comment"), collation=collation_name(col.get("collation")), using=col.get("using"),
                renamed_from=col.get("renamed_from"), prevent_destroy=bool(col.get("prevent_destroy")),
                generated=col["generated"].strip() if col.get("generated") else None, identity_options=options,
            )
            if col.get("primary_key"):
                pk_columns.append(col_name)
                self._paths.setdefault((table.key, "primary key", ""), (*cpath, "primary_key"))
                if column.nullable:
                    self.error((*cpath, "nullable"), "a primary key column cannot be nullable")
            table.columns[col_name] = column
            if col.get("unique"):
                uname = make_object_name(name, [col_name], "key", limit)
                table.uniques[uname] = UniqueConstraint(name=uname, columns=[col_name])
                self._paths[(table.key, "unique constraint", uname)] = (*cpath, "unique")
            if col.get("references"):
                self.add_foreign_key(table, (*cpath, "references"), {
                    "columns": [col_name], "references": col["references"],
                    "on_delete": col.get("on_delete"), "on_update": col.get("on_update")}, default_schema)
            elif col.get("on_delete") or col.get("on_update"):
                self.error(cpath, "on_delete/on_update need references")

        generated_keys = {rules.column_key(c.name): c.name for c in table.columns.values() if c.generated}
        for gpath, expression in generated:
            # Once every column is known: a generation expression names the columns it is computed from,
            # never a generated one (PostgreSQL refuses).
            self.check_columns(gpath, expression, "generation expression", table)
            references = rules.column_references(expression) if rules.column_references else frozenset()
            for key in sorted(references & generated_keys.keys()):
                self.error(gpath, f"a generation expression cannot name generated column {generated_keys[key]!r}")
        pk_spec = spec.get("primary_key")
        if pk_spec is not None:
            if pk_columns:
                self.error((*path, "primary_key"), "primary key is declared both on columns and on the table")
            pk_spec = {"columns": pk_spec} if isinstance(pk_spec, list) else pk_spec
            pk_columns = list(pk_spec["columns"])
            self.require_columns(table, (*path, "primary_key"), pk_columns)
            for c in pk_columns:
                if c in table.columns and table.columns[c].nullable:
                    self.error((*path, "primary_key"), f"primary key column {c!r} cannot be nullable")
        if pk_columns:
            if (pk_spec or {}).get("name"):
                self.name_ok((*path, "primary_key", "name"), pk_spec["name"], "primary key")
            pk_name = (pk_spec or {}).get("name") or make_object_name(name, [], "pkey", limit)
            table.primary_key = PrimaryKey(name=pk_name, columns=pk_columns, comment=(pk_spec or {}).get("comment"),
                                           deferrable=bool((pk_spec or {}).get("deferrable")),
                                           initially_deferred=bool((pk_spec or {}).get("initially_deferred")))
            if pk_spec is not None:
                self._paths[(table.key, "primary key", "")] = (*path, "primary_key")

        for i, uq in enumerate(spec.get("unique") or []):
            upath = (*path, "unique", i)
            uq = {"columns": uq} if isinstance(uq, list) else uq
            self.require_columns(table, upath, uq["columns"])
            if uq.get("name"):
                self.name_ok((*upath, "name"), uq["name"], "unique constraint")
            uname = uq.get("name") or make_object_name(name, list(uq["columns"]), "key", limit)
            if uname in table.uniques:
                self.error(upath, f"unique constraint {uname!r} is defined twice")
            table.uniques[uname] = UniqueConstraint(
                name=uname, columns=list(uq["columns"]), deferrable=bool(uq.get("deferrable")),
                initially_deferred=bool(uq.get("initially_deferred")),
                nulls_not_distinct=bool(uq.get("nulls_not_distinct")), comment=uq.get("comment"))
            self._paths[(table.key, "unique constraint", uname)] = upath

        for i, ix in enumerate(spec.get("indexes") or []):
            self.add_index(table, (*path, "indexes", i), ix)
        for i, fk in enumerate(spec.get("foreign_keys") or []):
            self.add_foreign_key(table, (*path, "foreign_keys", i), fk, default_schema)
        table.checks = self.checks(path, spec, table)
        for cname in table.checks:
            self._paths[(table.key, "check constraint", cname)] = (*path, "checks", cname)
        for xname, xspec in (spec.get("exclusions") or {}).items():
            self.add_exclusion(table, (*path, "exclusions", xname), xname, xspec)
        return table

    def check_identity_range(self, path: Path_, type_: str, options: IdentityOptions | None) -> None:
        """What CREATE SEQUENCE would refuse, said at the spec's line."""
        if options is None:
            return
        top = _INTEGER_MAX.get(type_)
        if top is None:
            self.error(path, f"an identity column must be smallint, integer or bigint, not {type_}")
            return
        step = options.increment or 1
        low = options.min_value if options.min_value is not None else (1 if step > 0 else -top - 1)
        high = options.max_value if options.max_value is not None else (top if step > 0 else -1)
        start = options.start if options.start is not None else (low if step > 0 else high)
        for value in (low, high, start):
            if not -top - 1 <= value <= top:
                self.error(path, f"{value} is out of range for an identity column of type {type_}")
                return
        if low >= high:
            self.error(path, f"min_value ({low}) must be less than max_value ({high})")
        elif not low <= start <= high:
            self.error(path, f"start ({start}) must be between min_value ({low}) and max_value ({high})")

    def add_exclusion(self, table: Table, path: Path_, name: str, spec: dict[str, Any]) -> None:
        self.name_ok(path, name, "exclusion constraint")
        elements, operators = [], []
        for j, item in enumerate(spec["elements"]):
            if "expression" in item:
                try:
                    self.rules.check_expression(item["expression"])
                except ValueError as exc:
                    self.error((*path, "elements", j, "expression"), f"invalid expression: {exc}")
                else:
                    self.check_columns((*path, "elements", j, "expression"), item["expression"],
                                       "exclusion expression", table)
            elif item["column"] not in table.columns:
                self.error((*path, "elements", j), f"column {item['column']!r} does not exist in table {table.name!r}")
            elements.append(IndexElement(
                column=item.get("column"), expression=item.get("expression"), descending=item.get("order") == "desc",
                nulls=item.get("nulls"), opclass=item.get("opclass")))
            operators.append(item["operator"])
        where = (spec.get("where") or "").strip() or None
        if where:
            try:
                self.rules.check_expression(where)
            except ValueError as exc:
                self.error((*path, "where"), f"invalid predicate: {exc}")
            else:
                self.check_columns((*path, "where"), where, "exclusion predicate", table)
        table.exclusions[name] = ExclusionConstraint(
            name=name, elements=elements, operators=operators, method=spec.get("using", "gist"), where=where,
            deferrable=bool(spec.get("deferrable")), initially_deferred=bool(spec.get("initially_deferred")),
            comment=spec.get("comment"))
        self._paths[(table.key, "exclusion constraint", name)] = path

    def require_columns(self, table: Table, path: Path_, columns: list[str]) -> bool:
        ok = True
        for c in columns:
            if c not in table.columns:
                self.error(path, f"column {c!r} does not exist in table {table.name!r}")
                ok = False
        if len(set(columns)) != len(columns):
            self.error(path, "a column is listed twice")
            ok = False
        return ok

    def add_index(self, table: Table, path: Path_, spec: dict[str, Any]) -> None:
        order = spec.get("order", "asc")
        elements: list[IndexElement] = []
        for j, item in enumerate(spec["columns"]):
            item = {"column": item} if isinstance(item, str) else item
            if "expression" in item:
                try:
                    self.rules.check_expression(item["expression"])
                except ValueError as exc:
                    self.error((*path, "columns", j, "expression"), f"invalid index expression: {exc}")
                else:
                    self.check_columns((*path, "columns", j, "expression"), item["expression"],
                                       "index expression", table)
            elif item["column"] not in table.columns:
                self.error((*path, "columns", j), f"column {item['column']!r} does not exist in table {table.name!r}")
            elif self.rules.index_column_error is not None and not item.get("opclass"):
                message = self.rules.index_column_error(
                    spec.get("method", "btree"), self.base_type(table.columns[item["column"]].type), self._extensions)
                if message is not None:
                    self.error((*path, "columns", j), message)
            elements.append(IndexElement(
                column=item.get("column"), expression=item.get("expression"),
                descending=item.get("order", order) == "desc", nulls=item.get("nulls"),
                opclass=item.get("opclass"), collation=collation_name(item.get("collation"))))
        for c in spec.get("include") or []:
            if c not in table.columns:
                self.error((*path, "include"), f"column {c!r} does not exist in table {table.name!r}")
        if spec.get("where"):
            try:
                self.rules.check_expression(spec["where"])
            except ValueError as exc:
                self.error((*path, "where"), f"invalid index predicate: {exc}")
            else:
                self.check_columns((*path, "where"), spec["where"], "index predicate", table)
        if spec.get("name"):
            self.name_ok((*path, "name"), spec["name"], "index")
        name = spec.get("name") or make_object_name(
            table.name, [index_column_name(e) for e in elements], "idx", self.rules.max_identifier)
        if name in table.indexes:
            self.error(path, f"index {name!r} is defined twice")
        self.not_renamed_from_itself(path, spec, name, "index")
        method = spec.get("method", "btree")
        for parameter, value in (spec.get("with") or {}).items():
            allowed = INDEX_STORAGE_PARAMETERS.get(method, frozenset())
            if parameter not in allowed:
                self.error((*path, "with", parameter), f"{method} indexes have no storage parameter {parameter!r}"
                           f" (they have: {', '.join(sorted(allowed)) or 'none'})")
            elif parameter == "fillfactor" and not (isinstance(value, int) and not isinstance(value, bool)
                                                    and 10 <= value <= 100):
                self.error((*path, "with", parameter), "fillfactor must be a whole number from 10 to 100")
        if spec.get("nulls_not_distinct") and not spec.get("unique"):
            self.error((*path, "nulls_not_distinct"), "nulls_not_distinct needs unique: true")
        table.indexes[name] = Index(
            name=name, elements=elements, unique=bool(spec.get("unique")), method=spec.get("method", "btree"),
            where=spec.get("where", "").strip() or None, include=list(spec.get("include") or []),
            renamed_from=spec.get("renamed_from"), nulls_not_distinct=bool(spec.get("nulls_not_distinct")),
            with_={k: storage_value(v) for k, v in (spec.get("with") or {}).items()}, comment=spec.get("comment"))
        self._paths[(table.key, "index", name)] = path

    def add_foreign_key(self, table: Table, path: Path_, spec: dict[str, Any], default_schema: str | None) -> None:
        ref = spec["references"]
        if isinstance(ref, str):
            match = _REFERENCE.match(ref)
            if not match:
                self.error(path, f"references {ref!r} is not of the form table(column, ...)")
                return
            ref_schema = _unquote(match.group("schema")) if match.group("schema") else default_schema
            ref_table = _unquote(match.group("table"))
            ref_columns = [_unquote(c) for c in match.group("columns").split(",") if c.strip()]
        else:
            ref_schema, ref_table, ref_columns = ref.get("schema", default_schema), ref["table"], list(ref["columns"])
        columns = list(spec["columns"])
        self.require_columns(table, path, columns)
        if len(columns) != len(ref_columns):
            self.error(path, f"foreign key has {len(columns)} columns but references {len(ref_columns)}")
        if spec.get("name"):
            self.name_ok((*path, "name"), spec["name"], "foreign key")
        name = spec.get("name") or make_object_name(table.name, columns, "fkey", self.rules.max_identifier)
        if name in table.foreign_keys:
            self.error(path, f"foreign key {name!r} is defined twice")
        on_delete, set_columns = spec.get("on_delete") or "no action", []
        if isinstance(on_delete, dict):
            on_delete, set_columns = on_delete["action"], list(on_delete["columns"])
            for c in set_columns:
                if c not in columns:
                    self.error(path, f"on_delete {on_delete} column {c!r} is not a column of the foreign key")
        table.foreign_keys[name] = ForeignKey(
            name=name, columns=columns, ref_table=ref_table, ref_columns=ref_columns,
            ref_schema=ref_schema if self.rules.default_schema else None,
            on_delete=on_delete, on_update=spec.get("on_update") or "no action",
            deferrable=bool(spec.get("deferrable")), initially_deferred=bool(spec.get("initially_deferred")),
            valid=not spec.get("not_valid"), match=spec.get("match") or "simple", on_delete_columns=set_columns,
            comment=spec.get("comment"))
        self._paths[(table.key, "foreign key", name)] = path

    #: (table key, kind, name) -> where the spec defines it (the primary key's name is "").
    _paths: dict[tuple[str, str, str], Path_]
    #: table key -> its column names in `column_key` form, made once per table.
    _column_keys: dict[str, set[str]]
    _enums_by_type: dict[str, Enum]
    _extensions: frozenset[str]
    _domains_by_type: dict[str, Domain]

    def check_references(self, db: Database) -> None:
        for table in db.tables.values():
            for fk in table.foreign_keys.values():
                path = self._paths.get((table.key, "foreign key", fk.name), ("tables",))
                target = db.tables.get(qualified(fk.ref_schema, fk.ref_table))
                if target is None and self._ignored_table(qualified(fk.ref_schema, fk.ref_table)):
                    continue  # owned elsewhere (`ignore:`): the database checks the reference when it is added
                if target is None:
                    self.error(path, f"foreign key {fk.name!r} references missing table "
                                     f"{qualified(fk.ref_schema, fk.ref_table)!r}")
                    continue
                if target.unlogged and not table.unlogged:
                    self.error(path, f"foreign key {fk.name!r} of a logged table references unlogged table "
                                     f"{target.key!r} (PostgreSQL refuses: make both unlogged, or neither)")
                for c in fk.ref_columns:
                    if c not in target.columns:
                        self.error(path, f"foreign key {fk.name!r} references missing column "
                                         f"{c!r} of table {target.key!r}")
                keys = [target.primary_key.columns] if target.primary_key else []
                keys += [u.columns for u in target.uniques.values()]
                keys += [[e.column for e in ix.elements] for ix in target.indexes.values()
                         if ix.unique and ix.where is None and all(e.column for e in ix.elements)]
                if fk.ref_columns and all(c in target.columns for c in fk.ref_columns) and \
                        not any(sorted(k) == sorted(fk.ref_columns) for k in keys):
                    self.error(path, f"foreign key {fk.name!r} references {target.key}({', '.join(fk.ref_columns)}),"
                                     " which is neither a primary key nor unique")

    def _ignored_table(self, key: str) -> bool:
        from reconciler.errors import SpecError
        from reconciler.ignore import object_ignored, rules_from_spec

        try:
            rules = rules_from_spec(self.data)
        except SpecError:
            return False  # reported with its position once the model is built
        return bool(rules) and object_ignored(rules, "table", key) is not None

    def check_unique_names(self, db: Database) -> None:
        """Names that must differ although the spec keeps them apart (the database would refuse, or keep one).

        Tables, indexes and the indexes of primary keys and unique constraints share one namespace per schema
        (PostgreSQL's pg_class, SQLite's sqlite_schema); constraints one per table where the dialect says so.
        """
        relations: dict[tuple[str | None, str], tuple[str, Path_]] = {}
        for table in db.tables.values():
            relations.setdefault((table.schema, table.name),
                                 ("table", self._paths.get((table.key, "table", table.name), ("tables",))))
        for table in db.tables.values():
            table_path = self._paths.get((table.key, "table", table.name), ("tables",))
            pk = [("primary key", table.primary_key.name)] if table.primary_key else []
            reported: set[Path_] = set()
            for kind, n in [*pk, *(("unique constraint", u) for u in table.uniques),
                            *(("exclusion constraint", x) for x in table.exclusions),
                            *(("index", i) for i in table.indexes)]:
                path = self._paths.get((table.key, kind, "" if kind == "primary key" else n), table_path)
                first_kind, first = relations.setdefault((table.schema, n), (kind, path))
                if first is not path:
                    reported.add(path)
                    self.error(path, f"{kind} name {n!r} is also used by the {first_kind} at {self.where(first)} "
                                     "(tables, indexes, primary keys and unique constraints share one "
                                     "namespace per schema)")
            if not self.rules.constraint_names_per_table:
                continue
            constraints: dict[str, tuple[str, Path_]] = {}
            for kind, n in [*pk, *(("unique constraint", u) for u in table.uniques),
                            *(("foreign key", f) for f in table.foreign_keys),
                            *(("check constraint", c) for c in table.checks),
                            *(("exclusion constraint", x) for x in table.exclusions)]:
                path = self._paths.get((table.key, kind, "" if kind == "primary key" else n), table_path)
                first_kind, first = constraints.setdefault(n, (kind, path))
                if first is not path and path not in reported:
                    self.error(path, f"constraint name {n!r} is also used by the {first_kind} at "
                                     f"{self.where(first)} (constraint names are unique within a table)")


def build_database(loaded: LoadedSpec, rules: DialectRules) -> Database:
    builder = _Builder(loaded, rules)
    builder._paths = {}
    builder._column_keys = {}
    builder._enums_by_type = {}
    builder._extensions = frozenset()
    builder._domains_by_type = {}
    db = builder.build()
    # The relational dialects' names are sqlglot's (postgres, sqlite, mysql).
    db.hooks = build_hooks(loaded, payload="sql", sql_dialect=rules.name)
    return db
