"""Functions and procedures, in any language the server has: arguments, result, body, options, comment.

Identity is schema + name + input argument types: the spec key `add(integer, integer)` (types in any
spelling the type normalizer knows: `add(int, int4)` is the same function). Argument names, modes and
defaults are the `arguments` list, one entry per argument of the key in order, plus OUT arguments.
The body is compared as PostgreSQL stores it (`prosrc`) and written as a dollar-quoted string.

A change CREATE OR REPLACE can make is made in place; one it refuses (result type, argument names or
modes, a default removed, function <-> procedure) drops and recreates the function (hazard
dependent_objects when defaults, checks or views use it: their DROP fails). Aggregates, window functions, C/internal functions
and SQL-standard bodies (BEGIN ATOMIC) are left alone by inspect.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from reconciler.changes import Action, Change, Hazard, Statement
from reconciler.objects import ObjectKind, attribute_changes

from ..catalog import Catalog, Rows
from ..render import comment_sql as comment_on
from ..render import dollar_tag
from ..types import (
    check_expression,
    normalize_type,
    qualified_name,
    quote_ident,
    quote_ident_if_needed,
    sql_string,
    user_type_name,
)

QUERY = "function"
READ_ORDER = 60

# Types a function may take or return that are not column types.
PSEUDO_TYPES = frozenset({
    "trigger", "event_trigger", "void", "record", "cstring", "internal", "anyelement", "anyarray", "anynonarray",
    "anyenum", "anyrange", "anymultirange", "anycompatible", "anycompatiblearray", "anycompatiblenonarray",
    "anycompatiblerange", "anycompatiblemultirange", "language_handler", "fdw_handler", "index_am_handler",
    "tsm_handler", "table_am_handler"})
VOLATILITY = {"i": "immutable", "s": "stable", "v": "volatile"}
PARALLEL = {"s": "safe", "r": "restricted", "u": "unsafe"}
MODES = {"i": "in", "o": "out", "b": "inout", "v": "variadic"}
# Settings whose value is a list of names: each element is its own literal in SET (one literal would be one name).
LIST_SETTINGS = frozenset({"search_path", "temp_tablespaces"})
DEFAULT_COST = 100.0
DEFAULT_ROWS = 1000.0


@dataclass(frozen=True, repr=False)
class Argument:
    name: str | None
    type: str
    mode: str = "in"
    default: str | None = None

    def __repr__(self) -> str:
        # As a plan shows a changed argument list: `(a integer, OUT c text)`.
        parts = [self.mode.upper()] if self.mode != "in" else []
        parts += [self.name] if self.name else []
        parts.append(self.type)
        return " ".join(parts + ([f"DEFAULT {self.default}"] if self.default is not None else []))


@dataclass
class Function:
    name: str
    schema: str
    #: Input argument types (format_type spelling): the identity.
    identity: tuple[str, ...]
    kind: str = "function"
    arguments: tuple[Argument, ...] = ()
    #: pg_get_function_result's spelling; None for a procedure.
    returns: str | None = "void"
    language: str = "sql"
    body: str = ""
    volatility: str = "volatile"
    strict: bool = False
    security_definer: bool = False
    #: LEAKPROOF (functions only; setting it takes a superuser).
    leakproof: bool = False
    parallel: str = "unsafe"
    cost: float = DEFAULT_COST
    rows: float = 0.0
    settings: tuple[tuple[str, str], ...] = ()
    comment: str | None = None
    prevent_destroy: bool = field(default=False, compare=False)
    #: Live only: what depends on it besides triggers (pg_describe_object): defaults, checks, views.
    dependents: tuple[str, ...] = field(default=(), compare=False)

    @property
    def key(self) -> str:
        return function_key(self.schema, self.name, self.identity)

    @property
    def returns_set(self) -> bool:
        return self.returns is not None and (self.returns.startswith("SETOF ") or self.returns.startswith("TABLE("))


def function_key(schema: str, name: str, identity: tuple[str, ...] | list[str]) -> str:
    return f"{schema}.{name}({', '.join(identity)})"


# -- spec <-> model -------------------------------------------------------------------------------


def split_top_level(text: str) -> list[str]:
    """`a, numeric(10, 2)` -> ["a", "numeric(10, 2)"]: commas inside parentheses or quotes stay."""
    parts, depth, quote, current = [], 0, "", []
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    if "".join(current).strip():
        parts.append("".join(current).strip())
    return parts


def user_types(context: Any) -> dict[str, str]:
    """The spec's enums, domains and tables (row types) by every name a spec may use for them."""
    types: dict[str, str] = {}
    for group in (context.db.enums, context.db.domains, context.db.tables):
        for obj in group.values():
            canonical = user_type_name(obj.schema, obj.name)
            types[canonical] = types[f"{obj.schema}.{obj.name}"] = canonical
            if obj.schema == context.default_schema:
                types[obj.name] = canonical
    return types


_TYPMOD = re.compile(r"\(\s*\d+(?:\s*,\s*\d+)?\s*\)")
_INTERVAL_FIELDS = re.compile(r"^interval\b[^\[]*")


def canonical_type(raw: str, types: dict[str, str]) -> str:
    """A type as a function's arguments and result keep it: PostgreSQL drops modifiers there
    (`varchar(10)` is `character varying`, `interval year` is `interval`)."""
    text = " ".join(raw.split())
    if text.lower() in PSEUDO_TYPES:
        return text.lower()
    canonical = _TYPMOD.sub("", normalize_type(text, types))
    return _INTERVAL_FIELDS.sub("interval", canonical)


def canonical_result(raw: str, types: dict[str, str]) -> str:
    """`returns` as pg_get_function_result prints it: `integer`, `SETOF text`, `TABLE(id integer, "B" text)`."""
    text = " ".join(str(raw).split())
    setof = re.match(r"(?i)^setof\s+(.+)$", text)
    if setof:
        return "SETOF " + canonical_type(setof.group(1), types)
    table = re.match(r"(?is)^table\s*\((.*)\)$", text)
    if table:
        columns = []
        for column in split_top_level(table.group(1)):
            match = re.match(r'^("(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)\s+(.+)$', column)
            if not match:
                raise ValueError(f"returns {raw!r}: expected TABLE(name type, ...)")
            name = match.group(1)
            name = name[1:-1].replace('""', '"') if name.startswith('"') else name.lower()
            columns.append(f"{quote_ident_if_needed(name)} {canonical_type(match.group(2), types)}")
        return f"TABLE({', '.join(columns)})"
    return canonical_type(text, types)


def split_name(text: str) -> list[str] | None:
    """`schema.Name with space` or `"dotted.schema"."x"` -> its parts, as spec keys write names: a part is
    any text without a dot, or double-quoted (`""` for a quote) when it has one. None if malformed."""
    parts, i = [], 0
    while True:
        if text.startswith('"', i):
            end = i + 1
            while True:
                end = text.find('"', end)
                if end < 0:
                    return None
                if text.startswith('""', end):
                    end += 2
                    continue
                break
            parts.append(text[i + 1:end].replace('""', '"'))
            i = end + 1
        else:
            end = text.find(".", i)
            end = len(text) if end < 0 else end
            if '"' in text[i:end]:
                return None
            parts.append(text[i:end])
            i = end
        if not parts[-1]:
            return None
        if i == len(text):
            return parts
        if text[i] != ".":
            return None
        i += 1


FUNCTION_KEY_SPECIAL = '."()'


def key_part(name: str, special: str = '."') -> str:
    """A name as `split_name` reads it back: quoted only when it holds a dot or a quote (for a function's
    key, also a parenthesis)."""
    return '"' + name.replace('"', '""') + '"' if any(c in name for c in special) else name


def parse_key(key: str, context: Any, types: dict[str, str]) -> tuple[str, str, tuple[str, ...]]:
    # The argument list starts at the first parenthesis outside double quotes.
    quoted, start = False, -1
    for i, char in enumerate(key):
        if char == '"':
            quoted = not quoted
        elif char == "(" and not quoted:
            start = i
            break
    if start < 0 or not key.rstrip().endswith(")"):
        raise ValueError(f"{key!r}: expected name(argument types), e.g. add(integer, integer) or touch()")
    parts = split_name(key[:start].strip())
    if parts is None or len(parts) > 2:
        raise ValueError(f"{key!r}: expected name(...) or schema.name(...)")
    match_types = key.rstrip()[start + 1:-1]
    schema, name = (parts[0], parts[1]) if len(parts) == 2 else (context.default_schema, parts[0])
    if schema not in context.schemas:
        raise ValueError(f"schema {schema!r} is not listed in schemas")
    identity = tuple(canonical_type(t, types) for t in split_top_level(match_types))
    return schema, name, identity


def _arguments(spec: list[Any] | None, identity: tuple[str, ...], types: dict[str, str]) -> tuple[Argument, ...]:
    """The `arguments` list against the key's types: IN/INOUT/VARIADIC entries take them in order."""
    if spec is None:
        return tuple(Argument(None, t) for t in identity)
    arguments, inputs = [], iter(identity)
    for position, entry in enumerate(spec):
        entry = {"name": entry} if isinstance(entry, str) else dict(entry)
        mode = entry.get("mode", "in")
        if mode == "out":
            if "type" not in entry:
                raise ValueError(f"arguments[{position}]: an OUT argument needs its type")
            type_ = canonical_type(str(entry["type"]), types)
        else:
            type_ = next(inputs, None)
            if type_ is None:
                raise ValueError(f"arguments[{position}]: more input arguments than the key's types "
                                 f"({', '.join(identity) or 'none'})")
            if "type" in entry and canonical_type(str(entry["type"]), types) != type_:
                raise ValueError(f"arguments[{position}]: type {entry['type']!r} is not the key's {type_!r}")
        default = entry.get("default")
        if default is not None:
            if mode == "out":
                raise ValueError(f"arguments[{position}]: an OUT argument has no default")
            default = str(default)
            check_expression(default)
        arguments.append(Argument(entry.get("name"), type_, mode, default))
    if next(inputs, None) is not None:
        raise ValueError(f"arguments: {len([a for a in arguments if a.mode != 'out'])} input arguments for the "
                         f"key's {len(identity)} types")
    seen_default = False
    for argument in arguments:
        if argument.mode in ("in", "inout", "variadic"):
            if seen_default and argument.default is None:
                raise ValueError("arguments: every input argument after one with a default needs a default")
            seen_default = seen_default or argument.default is not None
    return tuple(arguments)


def _settings(spec: dict[str, Any] | None) -> tuple[tuple[str, str], ...]:
    settings = []
    for name, value in (spec or {}).items():
        name = name.lower()
        if isinstance(value, bool):
            value = "on" if value else "off"
        value = str(value)
        if name in LIST_SETTINGS:
            # As PostgreSQL stores a list: each name quoted only where needed, ", " between them.
            elements = [e.strip() for e in split_top_level(value)]
            value = ", ".join(quote_ident_if_needed(e[1:-1].replace('""', '"') if e.startswith('"') else e)
                              for e in elements)
        settings.append((name, value))
    return tuple(sorted(settings))


def build(key: str, spec: dict[str, Any] | None, context: Any) -> Function:
    spec = spec or {}
    types = user_types(context)
    schema, name, identity = parse_key(key, context, types)
    kind = spec.get("kind", "function")
    arguments = _arguments(spec.get("arguments"), identity, types)
    outs = [a for a in arguments if a.mode == "out"]
    language = re.sub(r"(?i)^language\s+", "", str(spec.get("language", "sql")).strip())
    language = language[1:-1] if language.startswith('"') else language.lower()
    common = {"name": name, "schema": schema, "identity": identity, "kind": kind, "arguments": arguments,
              "language": language, "body": spec["body"], "security_definer": bool(spec.get("security_definer")),
              "settings": _settings(spec.get("set")), "comment": spec.get("comment"),
              "prevent_destroy": bool(spec.get("prevent_destroy"))}
    if kind == "procedure":
        for option in ("returns", "volatility", "strict", "leakproof", "parallel", "cost", "rows"):
            if option in spec:
                raise ValueError(f"{option}: a procedure has no {option}")
        return Function(**common, returns=None)
    if "returns" in spec:
        returns = canonical_result(spec["returns"], types)
        if outs:
            raise ValueError("returns: a function with OUT arguments returns them (leave returns out)")
    elif outs:
        returns = outs[0].type if len(outs) == 1 else "record"
    else:
        raise ValueError("returns is required for a function (kind: procedure has none)")
    function = Function(**common, returns=returns, volatility=spec.get("volatility", "volatile"),
                        strict=bool(spec.get("strict")), leakproof=bool(spec.get("leakproof")),
                        parallel=spec.get("parallel", "unsafe"),
                        cost=float(spec.get("cost", DEFAULT_COST)))
    if "rows" in spec and not function.returns_set:
        raise ValueError("rows: only a set-returning function (SETOF, TABLE) has rows")
    function.rows = float(spec.get("rows", DEFAULT_ROWS)) if function.returns_set else 0.0
    return function


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def to_spec(function: Function) -> tuple[str, dict[str, Any]]:
    spec: dict[str, Any] = {}
    if function.kind == "procedure":
        spec["kind"] = "procedure"
    outs = any(a.mode == "out" for a in function.arguments)
    if function.returns is not None and not outs:
        spec["returns"] = function.returns
    if any(a.name or a.mode != "in" or a.default is not None for a in function.arguments):
        entries: list[Any] = []
        for argument in function.arguments:
            entry: dict[str, Any] = {"name": argument.name} if argument.name else {}
            if argument.mode != "in":
                entry["mode"] = argument.mode
            if argument.mode == "out":
                entry["type"] = argument.type
            if argument.default is not None:
                entry["default"] = argument.default
            entries.append(argument.name if list(entry) == ["name"] else entry)
        spec["arguments"] = entries
    spec["language"] = function.language
    if function.kind == "function":
        if function.volatility != "volatile":
            spec["volatility"] = function.volatility
        if function.strict:
            spec["strict"] = True
        if function.leakproof:
            spec["leakproof"] = True
        if function.parallel != "unsafe":
            spec["parallel"] = function.parallel
        if function.cost != DEFAULT_COST:
            spec["cost"] = _number(function.cost)
        if function.returns_set and function.rows != DEFAULT_ROWS:
            spec["rows"] = _number(function.rows)
    if function.security_definer:
        spec["security_definer"] = True
    if function.settings:
        spec["set"] = dict(function.settings)
    if function.comment is not None:
        spec["comment"] = function.comment
    spec["body"] = function.body
    parts = [function.name] if function.schema == "public" else [function.schema, function.name]
    name = ".".join(key_part(part, FUNCTION_KEY_SPECIAL) for part in parts)
    return f"{name}({', '.join(function.identity)})", spec


# -- catalog --------------------------------------------------------------------------------------


def load(rows: Rows, catalog: Catalog) -> None:
    for (schema, name, prokind, identity, types, modes, names, defaults, result, language, body, volatility,
         strict, security_definer, parallel, cost, retset, rows_estimate, config, comment, dependents,
         leakproof) in rows:
        arguments = []
        for i, type_ in enumerate(types):
            mode = modes[i] if modes else "i"
            if mode == "t":
                continue  # a RETURNS TABLE column: part of `returns`
            arg_name = names[i] if i < len(names) and names[i] else None
            arguments.append(Argument(arg_name, type_, MODES[mode], defaults[i]))
        settings = tuple(sorted(tuple(entry.split("=", 1)) for entry in config))
        function = Function(
            name=name, schema=schema, identity=tuple(split_top_level(identity)),
            kind="procedure" if prokind == "p" else "function", arguments=tuple(arguments),
            returns=result if prokind == "f" else None, language=language, body=body,
            volatility=VOLATILITY[volatility] if prokind == "f" else "volatile",
            strict=strict if prokind == "f" else False, security_definer=security_definer,
            leakproof=bool(leakproof) if prokind == "f" else False,
            parallel=PARALLEL[parallel] if prokind == "f" else "unsafe",
            cost=float(cost) if prokind == "f" else DEFAULT_COST, rows=float(rows_estimate) if retset else 0.0,
            settings=settings, comment=comment, dependents=tuple(dependents))
        catalog.db.objects.setdefault("function", {})[function.key] = function


# -- comparison -----------------------------------------------------------------------------------


def _needs_replace(before: Function, after: Function) -> bool:
    """What CREATE OR REPLACE refuses: another result, argument names or modes, a default removed."""
    if before.kind != after.kind or before.returns != after.returns:
        return True
    if [(a.name, a.mode, a.type) for a in before.arguments] != [(a.name, a.mode, a.type) for a in after.arguments]:
        return True
    return any(old.default is not None and new.default is None
               for old, new in zip(before.arguments, after.arguments, strict=True))


def in_live_spelling(before: Function, after: Function) -> Function:
    """`after` with argument defaults that mean what the live ones mean written as PostgreSQL prints them."""
    from ..equivalence import equivalent  # sqlglot: only when there is something to compare

    if len(before.arguments) != len(after.arguments):
        return after
    arguments = tuple(
        replace(new, default=old.default)
        if old.default is not None and new.default is not None and equivalent(new.default, old.default) else new
        for old, new in zip(before.arguments, after.arguments, strict=True))
    return replace(after, arguments=arguments)


def diff(kind: ObjectKind, key: str, before: Function | None, after: Function | None) -> list[Change]:
    address = kind.address(key)
    if before is None:
        return [Change(Action.CREATE, kind.name, address, after=after)]
    if after is None:
        return [Change(Action.DROP, kind.name, address, before=before)]
    after = in_live_spelling(before, after)
    if before == after:
        return []
    action = Action.REPLACE if _needs_replace(before, after) else Action.ALTER
    change = Change(action, kind.name, address, before=before, after=after,
                    attributes=attribute_changes(before, after))
    # Dropped and recreated: what prevent_destroy protects against, as for a replaced table.
    change.prevented = action == Action.REPLACE and after.prevent_destroy
    return [change]


# -- rendering ------------------------------------------------------------------------------------


def signature_sql(function: Function) -> str:
    """`"s"."f"(IN integer, OUT text)`: every argument with its mode, which names it for DROP and COMMENT
    whether it is a function (OUT arguments ignored) or a procedure (OUT arguments count)."""
    arguments = ", ".join(f"{a.mode.upper()} {a.type}" for a in function.arguments)
    return f"{qualified_name(function.schema, function.name)}({arguments})"


def _argument_sql(argument: Argument) -> str:
    parts = [] if argument.mode == "in" else [argument.mode.upper()]
    if argument.name:
        parts.append(quote_ident(argument.name))
    parts.append(argument.type)
    if argument.default is not None:
        parts.append(f"DEFAULT {argument.default}")
    return " ".join(parts)


def _setting_sql(name: str, value: str) -> str:
    if name in LIST_SETTINGS:
        elements = [e[1:-1].replace('""', '"') if e.startswith('"') else e for e in split_top_level(value)]
        values = ", ".join(sql_string(e) for e in elements)
    else:
        values = sql_string(value)
    return f"SET {quote_ident(name)} TO {values}"


def create_sql(function: Function, or_replace: bool = False) -> str:
    word = "PROCEDURE" if function.kind == "procedure" else "FUNCTION"
    head = f"CREATE {'OR REPLACE ' if or_replace else ''}{word} {qualified_name(function.schema, function.name)}"
    clauses = [f"{head}({', '.join(_argument_sql(a) for a in function.arguments)})"]
    if function.kind == "function" and not any(a.mode == "out" for a in function.arguments):
        clauses.append(f"RETURNS {function.returns}")
    clauses.append(f"LANGUAGE {quote_ident(function.language)}")
    # Only what differs from PostgreSQL's defaults: CREATE OR REPLACE resets every option it does not name.
    if function.kind == "function":
        if function.volatility != "volatile":
            clauses.append(function.volatility.upper())
        if function.strict:
            clauses.append("STRICT")
        if function.leakproof:
            clauses.append("LEAKPROOF")
        if function.parallel != "unsafe":
            clauses.append(f"PARALLEL {function.parallel.upper()}")
        if function.cost != DEFAULT_COST:
            clauses.append(f"COST {_number(function.cost)!r}")
        if function.returns_set and function.rows != DEFAULT_ROWS:
            clauses.append(f"ROWS {_number(function.rows)!r}")
    if function.security_definer:
        clauses.append("SECURITY DEFINER")
    clauses += [_setting_sql(name, value) for name, value in function.settings]
    tag = dollar_tag(function.body)
    clauses.append(f"AS {tag}{function.body}{tag}")
    return "\n    ".join(clauses) + ";"


def create_statements(function: Function, or_replace: bool = False) -> list[Statement]:
    """CREATE [OR REPLACE]; a SQL-language body unchecked while it is created (as pg_dump does): functions
    come before the tables of the plan, for the defaults and checks that call them, and a SQL body is
    resolved against the tables it reads when it is created. It is checked when it is called."""
    statement = Statement(create_sql(function, or_replace))
    if function.language != "sql":
        return [statement]
    return [Statement("SET LOCAL check_function_bodies TO off;"), statement,
            Statement("SET LOCAL check_function_bodies TO DEFAULT;")]


def comment_sql(function: Function) -> str:
    word = "PROCEDURE" if function.kind == "procedure" else "FUNCTION"
    return comment_on(word, signature_sql(function), function.comment)


def drop_sql(function: Function) -> str:
    word = "PROCEDURE" if function.kind == "procedure" else "FUNCTION"
    return f"DROP {word} {signature_sql(function)};"


def render(change: Change, options: Any) -> list[Statement]:
    if change.action == Action.DROP:
        return [Statement(drop_sql(change.before))]
    after: Function = change.after
    if change.action == Action.CREATE:
        statements = create_statements(after)
        if after.comment is not None:
            statements.append(Statement(comment_sql(after)))
        return statements
    if change.action == Action.REPLACE:
        statements = [Statement(drop_sql(change.before)), *create_statements(after)]
        if after.comment is not None:
            statements.append(Statement(comment_sql(after)))
        return statements
    changed = {a.name for a in change.attributes}
    statements = [] if changed <= {"comment"} else create_statements(after, or_replace=True)
    if "comment" in changed:
        statements.append(Statement(comment_sql(after)))
    return statements


def hazards(change: Change) -> None:
    # Only a replace: a dropped function's dependents are usually dropped before it in the same plan
    # (tables, columns, checks), and one that is not makes the DROP fail, rolled back, with PostgreSQL's message.
    if change.action == Action.REPLACE and change.before.dependents:
        change.add_hazard(Hazard.DEPENDENT_OBJECTS,
                          f"{change.before.kind} {change.before.key} is dropped and recreated, but "
                          f"{'; '.join(change.before.dependents)} depend(s) on it: its DROP fails while they do")


KIND = ObjectKind(name="function", section="functions", build=build, to_spec=to_spec, render=render,
                  create_before="table", diff=diff, hazards=hazards)
