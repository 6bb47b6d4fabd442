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
import yaml_rs

from reconciler.errors import SpecError, SpecErrors

Path_ = tuple[str | int, ...]

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
# A directory spec merges its files section by section: a mapping by its entries (each defined once),
# a list by concatenation, anything else must be equal. Any section: a new kind's needs no entry here.


class Positions:
    """Where each path of the loaded document was written.

    Computing them means building the YAML node tree, which costs seconds on a large spec;
    positions are only needed to report errors, so they may be computed on first use.
    """

    def __init__(self, compute: Callable[[], dict[Path_, tuple[str, int, int]]] | None = None) -> None:
        self._marks: dict[Path_, tuple[str, int, int]] | None = None if compute else {}
        self._compute = compute

    @property
    def marks(self) -> dict[Path_, tuple[str, int, int]]:
        if self._marks is None:
            assert self._compute is not None
            self._marks = self._compute()
        return self._marks

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


class _Builder:
    def __init__(self, file: str, positions: Positions, env: dict[str, str]) -> None:
        self.file, self.positions, self.env = file, positions, env
        self.errors: list[SpecError] = []

    def build(self, node: yaml.Node, path: Path_) -> Any:
        self.positions.marks.setdefault(path, (self.file, node.start_mark.line + 1, node.start_mark.column + 1))
        if isinstance(node, yaml.MappingNode):
            result: dict[str, Any] = {}
            for key_node, value_node in node.value:
                key = self._scalar(key_node)
                if not isinstance(key, str | int | bool | float) or key is None:
                    self.errors.append(self.positions.error(path, "mapping keys must be strings"))
                    continue
                key = str(key)
                child = (*path, key)
                if key in result:
                    self.positions.marks[child] = (self.file, key_node.start_mark.line + 1,
                                                   key_node.start_mark.column + 1)
                    self.errors.append(self.positions.error(child, f"duplicate key {key!r}"))
                    continue
                self.positions.marks[child] = (self.file, value_node.start_mark.line + 1,
                                               value_node.start_mark.column + 1)
                result[key] = self.build(value_node, child)
            return result
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        value = self._scalar(node)
        if isinstance(value, str) and "${" in value:
            value = self._interpolate(value, path)
        return value

    def _scalar(self, node: yaml.Node) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            return None
        return _construct(node)

    def _interpolate(self, value: str, path: Path_) -> str:
        def replace(match: re.Match[str]) -> str:
            name, fallback = match.group(1), match.group(2)
            if name in self.env:
                return self.env[name]
            if fallback is not None:
                return fallback
            self.errors.append(self.positions.error(path, f"environment variable ${{{name}}} is not set"))
            return ""

        return _ENV_REF.sub(replace, value)


# libyaml's parser where the wheel has it: the pure-Python one takes seconds on a 2,000-table spec.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SCALARS = yaml.constructor.SafeConstructor()


def _construct(node: yaml.ScalarNode) -> Any:
    # One shared constructor: scalars carry no state between calls.
    return _SCALARS.construct_object(node, deep=True)


def _parse_text(text: str, display: str, positions: Positions, env: dict[str, str]) -> Any:
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        raise SpecError(f"invalid YAML: {problem}", file=display,
                        line=mark.line + 1 if mark else None,
                        column=mark.column + 1 if mark else None) from None
    except yaml.YAMLError as exc:
        raise SpecError(f"invalid YAML: {exc}", file=display) from None
    if node is None:
        raise SpecError("spec is empty", file=display)
    builder = _Builder(display, positions, env)
    data = builder.build(node, ())
    if builder.errors:
        raise SpecErrors(builder.errors)
    if not isinstance(data, dict):
        raise SpecError("a spec must be a mapping at the top level", file=display, line=1, column=1)
    return data


class _SlowPath(Exception):
    """The fast parser met something only the positioned loader can report with a location."""

    def __init__(self, message: str = "", file: str | None = None) -> None:
        super().__init__(message)
        self.message, self.file = message, file


def _string_keys(value: Any) -> Any:
    """Mapping keys as the positioned loader spells them: scalars become strings, anything else is refused.

    Rewrites in place and copies only mappings that have a non-string key (rare): rebuilding every
    mapping of a large spec cost more than parsing it.
    """
    if type(value) is dict and all(type(key) is str for key in value):
        for key, item in value.items():
            if type(item) is dict or type(item) is list:
                converted = _string_keys(item)
                if converted is not item:
                    value[key] = converted
        return value
    if type(value) is list:
        for i, item in enumerate(value):
            if type(item) is dict or type(item) is list:
                converted = _string_keys(item)
                if converted is not item:
                    value[i] = converted
        return value
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                if key is None or not isinstance(key, int | float | bool):
                    raise _SlowPath("mapping keys must be strings")
                key = str(key)
                if key in out:
                    raise _SlowPath(f"duplicate key {key!r}")
            out[key] = _string_keys(item)
        return out
    if isinstance(value, list):
        return [_string_keys(item) for item in value]
    return value


def hash_source(source: str) -> str:
    return "sha256:" + hashlib.sha256(source.encode()).hexdigest()


def _parse_fast(text: str) -> Any:
    try:
        # yaml-rs (YAML 1.2, Rust): 20x faster than libyaml through PyYAML on large specs, and `NO`, `yes`
        # or `on` stay strings (YAML 1.1 would make enum value NO the boolean false).
        data = _string_keys(yaml_rs.loads(text))
    except yaml_rs.YAMLDecodeError as exc:
        raise _SlowPath(str(exc).splitlines()[0] if str(exc) else "invalid YAML") from None
    return data


def _interpolate_all(value: Any, env: dict[str, str]) -> Any:
    if isinstance(value, str):
        if "${" not in value:
            return value
        missing = [m.group(1) for m in _ENV_REF.finditer(value) if m.group(1) not in env and m.group(2) is None]
        if missing:
            raise _SlowPath
        return _ENV_REF.sub(lambda m: env.get(m.group(1), m.group(2) or ""), value)
    if isinstance(value, dict):
        return {k: _interpolate_all(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [_interpolate_all(v, env) for v in value]
    return value


def _load_fast(files: list[Path], texts: list[str], env: dict[str, str]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for file, text in zip(files, texts, strict=True):
        try:
            data = _parse_fast(text)
        except _SlowPath as exc:
            exc.file = str(file)
            raise
        if not isinstance(data, dict) or not data:
            raise _SlowPath
        if "${" in text:
            data = _interpolate_all(data, env)
        for key, value in data.items():
            if key not in merged:
                merged[key] = value
            elif isinstance(value, dict) and isinstance(merged[key], dict):
                if set(value) & set(merged[key]):
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
    positions = Positions(lambda: _marks_or_none(files, texts, env))
    try:
        data = _load_fast(files, texts, env)
    except _SlowPath as exc:
        # The positioned loader finds the problem and its location. YAML 1.1 (PyYAML) accepts a few
        # things YAML 1.2 does not; then the fast parser's own message stands.
        _load_positioned(files, texts, env)
        raise SpecError(f"invalid YAML: {exc.message}", file=exc.file) from None
    return LoadedSpec(data, positions, [str(f) for f in files], source)


def _marks_or_none(files: list[Path], texts: list[str], env: dict[str, str]) -> dict[Path_, tuple[str, int, int]]:
    """Positions for an error report; a YAML 1.1 reading that fails must not replace the error itself."""
    try:
        return _load_positioned(files, texts, env).positions.marks
    except (SpecError, SpecErrors):
        return {}


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
        for key, value in data.items():
            if key not in merged:
                merged[key] = value
                _copy_marks(file_positions, positions, (key,))
                continue
            if isinstance(value, dict) and isinstance(merged[key], dict):
                for name, item in value.items():
                    if name in merged[key]:
                        errors.append(file_positions.error(
                            (key, name), f"{key[:-1] if key.endswith('s') else key} {name!r} is defined twice "
                            f"(first in {positions.locate((key, name))[0]})"))
                        continue
                    merged[key][name] = item
                    _copy_marks(file_positions, positions, (key, name))
            elif isinstance(value, list) and isinstance(merged[key], list):
                base = len(merged[key])
                for i, item in enumerate(value):
                    merged[key].append(item)
                    _copy_marks(file_positions, positions, (key, i), (key, base + i))
            elif merged[key] != value:
                errors.append(file_positions.error(
                    (key,), f"{key!r} differs from the value in {positions.locate((key,))[0]}"))
    if errors:
        raise SpecErrors(errors)
    return LoadedSpec(data=merged, positions=positions, files=[str(f) for f in files], source="".join(sources))


def _copy_marks(src: Positions, dst: Positions, prefix: Path_, new_prefix: Path_ | None = None) -> None:
    n = len(prefix)
    for path, mark in src.marks.items():
        if path[:n] == prefix:
            dst.marks[(new_prefix or prefix) + path[n:]] = mark
