"""Load spec YAML into plain data, remembering where every value came from.

Positions let every later error name `file:line:col` and the path inside the
document. A spec is one file or a directory of `*.yaml`/`*.yml` files merged
section by section; defining the same object twice is an error.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from reconciler.errors import SpecError, SpecErrors

Path_ = tuple[str | int, ...]

# `${VAR}` or `${VAR:-fallback}`; `$${...}` is the escape for a literal `${...}`.
_ENV_REF = re.compile(r"\$(\$?)\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def substitute(value: str, resolve: Callable[[str, str | None], str]) -> str:
    """`value` with each `${NAME}` / `${NAME:-fallback}` replaced by `resolve(NAME, fallback)`."""
    return _ENV_REF.sub(lambda m: m.group(0)[1:] if m.group(1) else resolve(m.group(2), m.group(3)), value)


def escape_references(value: Any) -> Any:
    """Data written as a spec (by `inspect`) with every `${` escaped as `$${`, so reading it back
    substitutes nothing: a live comment saying `${HOME}` stays `${HOME}`."""
    if isinstance(value, str):
        return value.replace("${", "$${")
    if isinstance(value, dict):
        return {escape_references(k): escape_references(v) for k, v in value.items()}
    if isinstance(value, list):
        return [escape_references(v) for v in value]
    return value
# A directory spec merges its files section by section: a mapping by its entries (each defined once),
# a list by concatenation, anything else must be equal. Any section: a new kind's needs no entry here.


Mark = tuple[str, int, int]


class Positions:
    """Where each path of the loaded document was written (`marks`, at the value), and where each
    top-level key was (`keys`: for errors about the top level of a spec of several files).

    Computing them means reading the YAML again, with positions; they are only needed to report
    errors, so they may be computed on first use.
    """

    def __init__(self, compute: Callable[[], Positions] | None = None) -> None:
        self._marks: dict[Path_, Mark] | None = None if compute else {}
        self._keys: dict[str, Mark] | None = None if compute else {}
        self._compute = compute

    def _computed(self) -> None:
        assert self._compute is not None
        computed = self._compute()
        self._marks, self._keys = computed.marks, computed.keys

    @property
    def marks(self) -> dict[Path_, Mark]:
        if self._marks is None:
            self._computed()
            assert self._marks is not None
        return self._marks

    @property
    def keys(self) -> dict[str, Mark]:
        if self._keys is None:
            self._computed()
            assert self._keys is not None
        return self._keys

    def locate(self, path: Path_) -> tuple[str | None, int | None, int | None]:
        # Fall back to the nearest enclosing node that has a position.
        probe = tuple(path)
        while True:
            if probe in self.marks:
                return self.marks[probe]
            if not probe:
                return (None, None, None)
            probe = probe[:-1]

    def error(self, path: Path_, message: str) -> SpecError:
        file, line, column = self.locate(path)
        return SpecError(message, file=file, line=line, column=column, path=format_path(path) or None)


def format_path(path: Path_) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


class LoadedSpec:
    """A loaded spec: its document (`data`), where each value was written, and its text."""

    def __init__(self, data: dict[str, Any], positions: Positions, files: list[str], source: str) -> None:
        self.data, self.positions, self.files = data, positions, files
        # Raw text of all files, hashed into saved plans.
        self.source = source
        # Set by validate_document once the document passed: validating again is a no-op.
        self.validated = False

    @property
    def source_hash(self) -> str:
        """`sha256:<hex>` of `source`: what plans record."""
        return hash_source(self.source)

    @property
    def dialect(self) -> Any:
        return self.data.get("dialect")


# Anything past these is refused before it is built: no real spec comes near them, and an alias that
# names a large node costs nothing to write but multiplies the work of everything that reads the result.
MAX_DEPTH = 200
MAX_NODES = 5_000_000
MAX_ALIAS_NODES = 1_000_000

_TAG = "tag:yaml.org,2002:"
_BOOL, _MAP, _SEQ, _STR = _TAG + "bool", _TAG + "map", _TAG + "seq", _TAG + "str"


class _Resolver(yaml.resolver.Resolver):
    """PyYAML's safe resolver, except that only true/false are booleans (`NO`, `yes` and `on` stay strings).

    Also `=` stays a string: PyYAML resolves it to a tag that no safe constructor builds.
    """


_Resolver.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in (_BOOL, _TAG + "value")]
    for first, resolvers in yaml.resolver.Resolver.yaml_implicit_resolvers.items()}
_Resolver.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
_resolve = _Resolver().resolve

# The safe constructors of the scalar tags; nothing else is ever constructed.
_SAFE = yaml.constructor.SafeConstructor()
_SCALAR_TAGS: dict[str, Callable[..., Any]] = {
    _TAG + name: yaml.constructor.SafeConstructor.yaml_constructors[_TAG + name]
    for name in ("null", "bool", "int", "float", "timestamp", "str")}

# libyaml's parser where the wheel has it; only its events are used.
_Parser = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MISSING = object()
# The scalars a mapping key may be (spelled as a string); None is refused.
_KEY_TYPES = (str, int, float, bool)


def _show_tag(tag: str) -> str:
    if tag.startswith(_TAG):
        return "!!" + tag[len(_TAG):]
    return tag if tag.startswith("!") else f"!<{tag}>"


def _short_path(path: Path_) -> str:
    # A path hundreds of levels deep says nothing more than its start.
    return format_path(path) if len(path) <= 12 else format_path(path[:6]) + "..."


class _Reader:
    """Plain data straight from the YAML parser's events, as PyYAML's SafeLoader would construct it.

    One reading for data and positions alike: mapping keys become strings, merge keys (`<<`) are
    applied, an alias is the very object its anchor built (never a copy), and only the standard
    scalar, sequence and mapping tags are accepted. Positions (`marks`, `keys` for top-level keys)
    are recorded only when asked for. Anything an alias would multiply, nest or loop is refused
    with its position before it is built.
    """

    def __init__(self, file: str, positions: Positions | None, env: dict[str, str] | None) -> None:
        self.file, self.env = file, env
        self.marks = None if positions is None else positions.marks
        self.keys = None if positions is None else positions.keys
        self.errors: list[SpecError] = []
        # anchor -> (value, nodes it stands for), or None while the anchored node is being read
        self.anchors: dict[str, tuple[Any, int] | None] = {}
        self.anchor_marks: dict[str, Any] = {}
        self.nodes = self.aliased = 0
        self.plain: dict[str, Any] = {}  # plain scalar text -> value: a spec repeats the same few

    def error(self, mark: Any, path: Path_ | str, message: str) -> SpecError:
        shown = path if isinstance(path, str) else format_path(path)
        return SpecError(message, file=self.file, line=mark.line + 1, column=mark.column + 1, path=shown or None)

    def read(self, text: str) -> Any:
        """The document of `text`; None if it holds none."""
        try:
            self.parser = parser = _Parser(text)
            try:
                parser.get_event()  # stream start
                if parser.check_event(yaml.StreamEndEvent):
                    return None
                parser.get_event()  # document start
                data = self.node(parser.get_event(), (), 0)
                parser.get_event()  # document end
                if not parser.check_event(yaml.StreamEndEvent):
                    raise self.error(parser.get_event().start_mark, (),
                                     "invalid YAML: expected a single document, but found another document")
            finally:
                parser.dispose()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            problem = exc.problem or exc.context or "invalid YAML"
            raise SpecError(f"invalid YAML: {problem}", file=self.file, line=mark.line + 1 if mark else None,
                            column=mark.column + 1 if mark else None) from None
        except yaml.reader.ReaderError as exc:
            # libyaml counts bytes of UTF-8, PyYAML characters.
            before = text.encode()[:exc.position].decode(errors="ignore") if _Parser is not yaml.SafeLoader \
                else text[:exc.position]
            raise SpecError(f"invalid YAML: {exc.reason} (#x{exc.character:04x})", file=self.file,
                            line=before.count("\n") + 1, column=len(before) - before.rfind("\n")) from None
        except yaml.YAMLError as exc:
            raise SpecError(f"invalid YAML: {exc}", file=self.file) from None
        except SpecError as exc:
            # Refused part-way: report it with whatever was found before.
            raise SpecErrors([*self.errors, exc]) if self.errors else exc from None
        return data

    def count(self, event: Any, path: Path_, nodes: int = 1) -> None:
        self.nodes += nodes
        if self.nodes > MAX_NODES:
            raise self.error(event.start_mark, _short_path(path), f"the spec has more than {MAX_NODES:,} YAML nodes")

    def node(self, event: Any, path: Path_, depth: int, key: bool = False) -> Any:
        marks = self.marks
        if marks is not None and path not in marks:
            marks[path] = (self.file, event.start_mark.line + 1, event.start_mark.column + 1)
        kind = event.__class__
        anchor = event.anchor
        if kind is yaml.ScalarEvent and anchor is None:
            # Nearly every node of a spec (a type, `true`, a column's key): no anchor to record.
            self.count(event, path)
            return self.scalar(event, path, key)
        if kind is yaml.AliasEvent:
            return self.alias(event, path)
        if anchor is not None:
            if anchor in self.anchors:
                first = self.anchor_marks[anchor]
                raise self.error(event.start_mark, path, f"anchor &{anchor} is defined twice (first at "
                                                         f"{self.file}:{first.line + 1}:{first.column + 1})")
            self.anchors[anchor], self.anchor_marks[anchor] = None, event.start_mark
        start = self.nodes
        self.count(event, path)
        if kind is yaml.ScalarEvent:
            value = self.scalar(event, path, key)
        elif depth >= MAX_DEPTH:
            raise self.error(event.start_mark, _short_path(path),
                             f"nesting deeper than {MAX_DEPTH} levels is not supported")
        elif kind is yaml.SequenceStartEvent:
            self.check_tag(event, _SEQ, path)
            value = []
            get_event, i = self.parser.get_event, 0
            while (item := get_event()).__class__ is not yaml.SequenceEndEvent:
                value.append(self.node(item, (*path, i), depth + 1))
                i += 1
        else:
            self.check_tag(event, _MAP, path)
            value = self.mapping(path, depth)
        if anchor is not None:
            self.anchors[anchor] = (value, self.nodes - start)
        return value

    def alias(self, event: Any, path: Path_) -> Any:
        name = event.anchor
        if name not in self.anchors:
            raise self.error(event.start_mark, path, f"alias *{name} is not defined")
        entry = self.anchors[name]
        if entry is None:
            raise self.error(event.start_mark, path, f"alias *{name} refers to a node that contains it "
                                                     "(recursive structures are not supported)")
        value, nodes = entry
        self.aliased += nodes
        if self.aliased > MAX_ALIAS_NODES:
            raise self.error(event.start_mark, path, f"aliases expand to more than {MAX_ALIAS_NODES:,} nodes")
        self.count(event, path, nodes)
        return value

    def check_tag(self, event: Any, expected: str, path: Path_) -> None:
        tag = event.tag
        if tag is not None and tag != "!" and tag != expected:
            self.errors.append(self.error(event.start_mark, path, f"unsupported YAML tag {_show_tag(tag)}"))

    def scalar(self, event: Any, path: Path_, key: bool) -> Any:
        tag, text = event.tag, event.value
        if (tag is None or tag == "!") and event.implicit[0]:
            value = self.plain.get(text, _MISSING)
            if value is _MISSING:
                value = self.plain[text] = self.construct(event, path, _resolve(yaml.ScalarNode, text, (True, False)))
        elif tag is None or tag == "!" or tag == _STR:
            value = text
        elif tag in _SCALAR_TAGS:
            value = self.construct(event, path, tag)
        else:
            self.errors.append(self.error(event.start_mark, path, f"unsupported YAML tag {_show_tag(tag)}"))
            return None
        if not key and type(value) is str and self.env is not None and "${" in value:
            value = self.interpolate(value, event, path)
        return value

    def construct(self, event: Any, path: Path_, tag: str) -> Any:
        if tag == _STR:
            return event.value
        try:
            return _SCALAR_TAGS[tag](_SAFE, yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark))
        except (ValueError, TypeError, KeyError, AttributeError, yaml.YAMLError):
            self.errors.append(self.error(event.start_mark, path, f"invalid {_show_tag(tag)} value {event.value!r}"))
            return None

    def mapping(self, path: Path_, depth: int) -> dict[str, Any]:
        get_event, marks = self.parser.get_event, self.marks
        keys = self.keys if not path else None
        result: dict[str, Any] = {}
        merged: list[tuple[str, Any, Any]] = []
        while (key_event := get_event()).__class__ is not yaml.MappingEndEvent:
            if key_event.__class__ is yaml.ScalarEvent and key_event.value == "<<" and key_event.implicit[0] \
                    and key_event.tag in (None, "!"):
                self.count(key_event, path)
                self.merge(get_event(), (*path, "<<"), depth, merged)
                continue
            key = self.node(key_event, path, depth + 1, key=True)
            value_event = get_event()
            if type(key) is not str:
                if key is None or not isinstance(key, _KEY_TYPES):
                    self.errors.append(self.error(key_event.start_mark, path, "mapping keys must be strings"))
                    self.node(value_event, path, depth + 1)
                    continue
                key = str(key)
            child = (*path, key)
            if keys is not None:
                keys.setdefault(key, (self.file, key_event.start_mark.line + 1, key_event.start_mark.column + 1))
            if key in result:
                self.errors.append(self.error(key_event.start_mark, child, f"duplicate key {key!r}"))
                self.node(value_event, child, depth + 1)
                continue
            result[key] = self.node(value_event, child, depth + 1)
        if not merged:
            return result
        # As PyYAML's SafeLoader: merged keys first, in order; the mapping's own keys win.
        combined: dict[str, Any] = {}
        for key, value, mark in merged:
            combined[key] = value
            if marks is not None:
                marks.setdefault((*path, key), (self.file, mark.line + 1, mark.column + 1))
        combined.update(result)
        return combined

    def merge(self, event: Any, path: Path_, depth: int, merged: list[tuple[str, Any, Any]]) -> None:
        """`<<: mapping` or `<<: [mapping, ...]` (the first mapping listed wins)."""
        value = self.node(event, path, depth + 1)
        sources = [value] if type(value) is dict else \
            value[::-1] if type(value) is list and all(type(v) is dict for v in value) else None
        if sources is None:
            self.errors.append(self.error(event.start_mark, path, "a merge key (<<) takes a mapping or a list of mappings"))
            return
        for source in sources:
            merged.extend((key, item, event.start_mark) for key, item in source.items())

    def interpolate(self, value: str, event: Any, path: Path_) -> str:
        env = self.env
        assert env is not None

        def replace(name: str, fallback: str | None) -> str:
            if name in env:
                return env[name]
            if fallback is not None:
                return fallback
            self.errors.append(self.error(event.start_mark, path, f"environment variable ${{{name}}} is not set"))
            return ""

        return substitute(value, replace)


def _parse_text(text: str, display: str, positions: Positions | None, env: dict[str, str] | None) -> dict[str, Any]:
    """The document of one file; positions (when given) record where each value was written.

    Without `env`, `${VAR}` references are left as written.
    """
    reader = _Reader(display, positions, env)
    data = reader.read(text)
    if reader.errors:
        raise SpecErrors(reader.errors)
    if data is None and reader.nodes == 0:
        raise SpecError("spec is empty", file=display)
    if not isinstance(data, dict):
        raise SpecError("a spec must be a mapping at the top level", file=display, line=1, column=1)
    return data


class _SlowPath(Exception):
    """The fast reading met something only the positioned one can report with a location."""


def hash_source(source: str) -> str:
    return "sha256:" + hashlib.sha256(source.encode()).hexdigest()


def _interpolate_all(value: Any, env: dict[str, str]) -> Any:
    if isinstance(value, str):
        if "${" not in value:
            return value
        missing = [m.group(2) for m in _ENV_REF.finditer(value)
                   if not m.group(1) and m.group(2) not in env and m.group(3) is None]
        if missing:
            raise _SlowPath
        return substitute(value, lambda name, fallback: env.get(name, fallback or ""))
    if isinstance(value, dict):
        return {k: _interpolate_all(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [_interpolate_all(v, env) for v in value]
    return value


def _own(value: Any) -> Any:
    """A section about to take in other files' entries, copied: YAML aliases may share it."""
    if isinstance(value, dict):
        return dict(value)
    if isinstance(value, list):
        return list(value)
    return value


def _load_fast(files: list[Path], texts: list[str], env: dict[str, str]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for file, text in zip(files, texts, strict=True):
        data = _parse_text(text, str(file), None, None)
        if "${" in text:
            data = _interpolate_all(data, env)
        for key, value in data.items():
            if key not in merged:
                merged[key] = _own(value)
            elif isinstance(value, dict) and isinstance(merged[key], dict):
                if not value.keys().isdisjoint(merged[key]):
                    raise _SlowPath
                merged[key].update(value)
            elif isinstance(value, list) and isinstance(merged[key], list):
                merged[key].extend(value)
            elif merged[key] != value:
                raise _SlowPath
    return merged


def spec_files(path: str | os.PathLike[str]) -> list[Path]:
    root = Path(path)
    if root.is_dir():
        files = sorted(p for p in root.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
        if not files:
            raise SpecError("directory holds no *.yaml or *.yml spec files", file=str(root))
        return files
    if not root.exists():
        raise SpecError("spec file not found", file=str(root))
    return [root]


def _read(file: Path) -> str:
    try:
        return file.read_text(encoding="utf-8")
    except OSError as exc:
        raise SpecError(f"cannot read spec: {exc.strerror}", file=str(file)) from None
    except UnicodeDecodeError:
        raise SpecError("spec is not valid UTF-8", file=str(file)) from None


def load_spec(path: str | os.PathLike[str], env: dict[str, str] | None = None) -> LoadedSpec:
    """Load a spec file or directory into one document; positions are computed when an error needs them."""
    env = dict(os.environ) if env is None else env
    files = spec_files(path)
    texts = [_read(file) for file in files]
    source = "".join(f"--- {file.name}\n{text}" for file, text in zip(files, texts, strict=True))
    positions = Positions(lambda: _positions_or_none(files, texts, env))
    try:
        data = _load_fast(files, texts, env)
    except _SlowPath:
        # Files that clash, or a missing variable: the positioned reading reports where.
        data = _load_positioned(files, texts, env).data
    return LoadedSpec(data, positions, [str(f) for f in files], source)


def _positions_or_none(files: list[Path], texts: list[str], env: dict[str, str]) -> Positions:
    """Positions for an error report; a reading that fails must not replace the error itself."""
    try:
        return _load_positioned(files, texts, env).positions
    except (SpecError, SpecErrors):
        return Positions()


def _load_positioned(files: list[Path], texts: list[str], env: dict[str, str]) -> LoadedSpec:
    positions = Positions()
    merged: dict[str, Any] = {}
    sources: list[str] = []
    errors: list[SpecError] = []
    for file, text in zip(files, texts, strict=True):
        display = str(file)
        file_positions = Positions()
        data = _parse_text(text, display, file_positions, env)
        sources.append(f"--- {file.name}\n{text}")
        # What of this file was taken, by top-level key: all of it, the entries of a merged section
        # named, or a list section's items appended at an offset.
        taken: dict[str, bool | set[str] | tuple[int]] = {}
        for key, value in data.items():
            if key not in merged:
                merged[key] = _own(value)
                taken[key] = True
                if key in file_positions.keys:
                    positions.keys[key] = file_positions.keys[key]
                continue
            if isinstance(value, dict) and isinstance(merged[key], dict):
                names = taken[key] = set()
                for name, item in value.items():
                    if name in merged[key]:
                        errors.append(file_positions.error(
                            (key, name), f"{key[:-1] if key.endswith('s') else key} {name!r} is defined twice "
                            f"(first in {positions.locate((key, name))[0]})"))
                        continue
                    merged[key][name] = item
                    names.add(name)
            elif isinstance(value, list) and isinstance(merged[key], list):
                taken[key] = (len(merged[key]),)
                merged[key].extend(value)
            elif merged[key] != value:
                errors.append(file_positions.error(
                    (key,), f"{key!r} differs from the value in {positions.locate((key,))[0]}"))
        _copy_marks(file_positions, positions, taken)
    if errors:
        raise SpecErrors(errors)
    return LoadedSpec(data=merged, positions=positions, files=[str(f) for f in files], source="".join(sources))


def _copy_marks(src: Positions, dst: Positions, taken: dict[str, bool | set[str] | tuple[int]]) -> None:
    """The marks of what was taken from one file, in one pass over them."""
    marks = dst.marks
    for path, mark in src.marks.items():
        if not path:
            marks.setdefault(path, mark)  # the top level: the first file's
            continue
        how = taken.get(path[0])  # type: ignore[arg-type]
        if how is True:
            marks[path] = mark
        elif type(how) is set:
            if len(path) > 1 and path[1] in how:
                marks[path] = mark
        elif type(how) is tuple and len(path) > 1 and type(path[1]) is int:
            marks[(path[0], path[1] + how[0], *path[2:])] = mark
