"""YAML loading and spec validation on hostile or unusual input: one YAML reading, bounded work, clear errors.

Every error case runs `schemactl validate` (in-process, as the CLI tests do; one case as a subprocess) and
expects one line `file:line:col: path: message` and exit code 1, never an "unexpected" error.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from reconciler.spec.loader import load_spec
from tests.cli.helpers import invoke

HEAD = "version: 1\ndialect: postgres\n"


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def validate(path: Path) -> tuple[int, str]:
    return invoke("validate", str(path))


def refused(path: Path) -> str:
    """The one error line for a spec that must be refused, without its `Error: ` prefix."""
    code, output = validate(path)
    lines = output.strip().splitlines()
    assert code == 1, output
    assert len(lines) == 1, output
    assert "unexpected" not in output and "Traceback" not in output, output
    return lines[0].removeprefix("Error: ")


# --- 1. one YAML reading -------------------------------------------------------------------------------

def test_merge_keys_are_expanded(tmp_path):
    path = write(tmp_path, "s.yaml", HEAD + "tables:\n  t:\n    columns:\n"
                                            "      a: &text {type: text, nullable: true}\n"
                                            "      b: {<<: *text, comment: merged}\n"
                                            "      c:\n        <<: *text\n        nullable: false\n")
    code, output = validate(path)
    assert code == 0, output
    columns = load_spec(path).data["tables"]["t"]["columns"]
    assert columns["b"] == {"type": "text", "nullable": True, "comment": "merged"}
    assert columns["c"] == {"type": "text", "nullable": False}


def test_an_error_inside_a_merged_mapping_is_positioned(tmp_path):
    path = write(tmp_path, "s.yaml", HEAD + "tables:\n  t:\n    columns:\n"
                                            "      a: {type: text}\n"
                                            "      b: {<<: {type: text, nullabel: true}}\n")
    assert refused(path).startswith(f"{path}:7:10: tables.t.columns.b: unknown key 'nullabel'")


# Each document is a top-level mapping; the loader must return what PyYAML's SafeLoader returns for it.
CORPUS = {
    "merge keys": "base: &b {x: 1, y: 2}\nother: &o {y: 3, z: 4}\n"
                  "one: {<<: *b, y: 9}\nmany: {<<: [*b, *o], w: 0}\nlate: {x: 0, <<: *b}\n"
                  "nested: {<<: {<<: *o, k: 1}, k: 2}\nseq_inline: {<<: [{a: 1}, {a: 2, b: 2}]}\n",
    "anchors and aliases": "a: &s hello\nb: *s\nc: &l [1, 2, &m {k: v}]\nd: *l\ne: *m\nf: [*s, *m]\n",
    "octal-looking and other ints": "a: 0755\nb: 0o755\nc: 0x1F\nd: 1_000\ne: +12\nf: -0\ng: 0b101\n"
                                    "h: 007\ni: 08\nj: 190:20:30\n",
    "floats": "a: 1e3\nb: 1.0e+3\nc: 1.5\nd: .5\ne: -.inf\nf: .inf\ng: 6.8523015e+5\nh: 1_0.5\n",
    "true and false": "a: true\nb: false\nc: True\nd: FALSE\ne: [true, false]\n",
    "nulls": "a: ~\nb: null\nc: Null\nd:\ne: [~, null]\n'':  empty key\n",
    "timestamps": "a: 2024-01-02\nb: 2024-01-02 10:11:12\nc: 2001-12-14t21:59:43.10-05:00\n"
                  "d: 2001-12-14 21:59:43.10 +5\ne: '2024-01-02'\n",
    "multi-line strings": "a: |\n  one\n  two\nb: >\n  folded\n  text\n\n  para\nc: |-\n  stripped\n"
                          "d: |+\n  kept\n\ne: >2-\n   indented\nf: plain\n  continued\n  lines\n",
    "flow collections": "a: [1, [2, 3], {k: [4]}]\nb: {x: {y: {z: []}}, e: {}}\nc: [a, b, ]\n"
                        "d: {? complex : 1}\n",
    "quoted strings with escapes": 'a: "tab\\there"\nb: "\\u00e9\\x41\\U0001F600"\nc: \'it\'\'s\'\n'
                                   'd: "line\\nbreak \\"q\\" \\\\"\ne: "folded\n  line"\nf: "<<"\ng: "1"\n'
                                   'h: \'~\'\ni: "yes"\nj: !!str 12\nk: !!int "12"\nl: !!float "1"\n',
    "unicode": "名前: 値\nemoji: 😀\naccents: éàü\nrtl: שלום\nkey with spaces: value with spaces\n",
    "explicit standard tags": "a: !!str true\nb: !!null ''\nc: !!bool true\nd: !!seq [1]\ne: !!map {k: v}\n"
                              "f: !!timestamp 2024-01-02\ng: ! 12\n",
    "block collections": "a:\n  - 1\n  - b: 2\n    c: [3]\n  -\n    - nested\nd:\n  e:\n    f: g\n",
}


def _string_keys(value):
    # The loader spells every mapping key as a string (`1: x` is key "1"), as the spec's JSON Schema expects.
    if isinstance(value, dict):
        return {str(k): _string_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_string_keys(v) for v in value]
    return value


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_the_loader_reads_yaml_as_pyyaml_safe_loader_does(tmp_path, name):
    text = CORPUS[name]
    expected = _string_keys(yaml.load(text, Loader=yaml.SafeLoader))
    data = load_spec(write(tmp_path, "s.yaml", text)).data
    assert data == expected
    assert list(data) == list(expected)  # the same key order (column order matters)


def test_yes_no_on_off_are_strings_the_one_documented_difference(tmp_path):
    # README: only true/false are booleans, so the enum value NO stays NO (YAML 1.1 would make it false).
    text = "a: [yes, no, on, off, Yes, NO, y, n]\nb: [true, false]\n"
    assert load_spec(write(tmp_path, "s.yaml", text)).data == {
        "a": ["yes", "no", "on", "off", "Yes", "NO", "y", "n"], "b": [True, False]}


def test_octal_and_exponent_scalars_reach_the_model_as_read(tmp_path):
    path = write(tmp_path, "s.yaml", HEAD + "tables:\n  t:\n    columns:\n"
                                            "      a: {type: integer, default: 0755}\n"
                                            "      b: {type: text, default: 1e3}\n")
    code, output = validate(path)
    assert code == 0, output
    columns = load_spec(path).data["tables"]["t"]["columns"]
    assert columns["a"]["default"] == 0o755 and columns["b"]["default"] == "1e3"


# --- 2. bounded work: alias bombs, recursion, depth ------------------------------------------------------

def billion_laughs(levels: int = 9) -> str:
    lines = ['lol0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        lines.append(f"lol{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("where", ["top", "comment"])
def test_an_alias_bomb_is_refused_without_expanding_it(tmp_path, where):
    bomb = billion_laughs()
    if where == "top":
        text = HEAD + bomb
        line = 9  # the first alias whose expansion crosses the bound
    else:
        text = HEAD + "tables:\n  t:\n    columns: {a: {type: text}}\n    comment:\n" + \
            "".join("      " + row + "\n" for row in bomb.splitlines())
        line = 13
    path = write(tmp_path, "bomb.yaml", text)
    message = refused(path)
    assert re.match(rf"{re.escape(str(path))}:{line}:\d+: .*aliases expand to more than [\d,]+ nodes", message), message


def test_an_alias_bomb_is_refused_by_the_command_in_one_line(tmp_path):
    path = write(tmp_path, "bomb.yaml", HEAD + billion_laughs())
    result = subprocess.run([sys.executable, "-m", "reconciler.cli", "validate", str(path)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == f"Error: {path}:9:12: lol6[0]: aliases expand to more than 1,000,000 nodes\n"


@pytest.mark.parametrize("text, line, column, where", [
    (HEAD + "enums:\n  e: &x [*x]\n", 4, 10, "enums.e[0]"),
    (HEAD + "tables:\n  t: &t\n    columns: {a: {type: text}}\n    comment: *t\n", 6, 14, "tables.t.comment"),
    (HEAD + "tables: &m {t: {<<: *m}}\n", 3, 21, "tables.t.<<"),
])
def test_a_self_referencing_alias_is_refused(tmp_path, text, line, column, where):
    path = write(tmp_path, "s.yaml", text)
    message = refused(path)
    assert message.startswith(f"{path}:{line}:{column}: {where}: alias *"), message
    assert "refers to a node that contains it" in message


@pytest.mark.parametrize("style, depth", [("flow", 300), ("flow", 900), ("flow", 5000), ("block", 300), ("block", 900)])
def test_deep_nesting_is_refused(tmp_path, style, depth):
    if style == "flow":
        text = HEAD + "comment: " + "[" * depth + "]" * depth + "\n"
    else:
        text = HEAD + "comment:\n" + "".join(" " * (i + 1) + "k:\n" for i in range(depth)) + " " * (depth + 1) + "x\n"
    path = write(tmp_path, "deep.yaml", text)
    message = refused(path)
    # On one long line libyaml reads far enough ahead to stop at its own limit (1,000) first.
    assert re.fullmatch(rf"{re.escape(str(path))}:\d+:\d+: (comment(\.k|\[0\])+(\.\.\.)?: nesting deeper than 200 "
                        r"levels is not supported|invalid YAML: exceeded maximum nesting depth)", message), message


def test_undefined_alias_is_a_positioned_error(tmp_path):
    path = write(tmp_path, "s.yaml", HEAD + "tables:\n  t: {columns: {a: {type: text}}, comment: *nope}\n")
    assert refused(path).startswith(f"{path}:4:44: tables.t.comment: alias *nope is not defined")


# --- 3. byte-order mark ----------------------------------------------------------------------------------

def test_a_utf8_byte_order_mark_is_accepted(tmp_path):
    path = write(tmp_path, "s.yaml", b"\xef\xbb\xbf" + (HEAD + "enums:\n  e: [a]\n").encode())
    code, output = validate(path)
    assert code == 0, output
    assert load_spec(path).data["version"] == 1


# --- 4. tags ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("tagged, shown", [
    ("!!binary aGVsbG8=", "!!binary"),
    ("!foo bar", "!foo"),
    ("!!python/object/apply:os.system [echo hi]", "!!python/object/apply:os.system"),
    ("!!python/name:os.system ''", "!!python/name:os.system"),
    ("!!set {a, b}", "!!set"),
    ("!<tag:example.com,2024:x> y", "!<tag:example.com,2024:x>"),
])
def test_unsupported_tags_are_refused(tmp_path, tagged, shown):
    path = write(tmp_path, "s.yaml", HEAD + f"tables:\n  t:\n    columns: {{a: {{type: text}}}}\n    comment: {tagged}\n")
    assert refused(path) == f"{path}:6:14: tables.t.comment: unsupported YAML tag {shown}"


def test_a_bad_value_for_a_standard_tag_is_refused(tmp_path):
    path = write(tmp_path, "s.yaml", HEAD + "tables:\n  t:\n    columns: {a: {type: integer, default: !!int abc}}\n")
    assert refused(path).startswith(f"{path}:5:43: tables.t.columns.a.default: invalid !!int value 'abc'")


# --- 5. the same enum or domain written twice ------------------------------------------------------------

def test_an_enum_spelled_with_and_without_its_schema_is_a_duplicate(tmp_path):
    path = write(tmp_path, "s.yaml", HEAD + "enums:\n  e: [a, b]\n  public.e: [c]\n")
    assert refused(path) == (f"{path}:5:13: enums.public.e: enum 'public.e' is defined twice "
                                     f"(first as 'e' at {path}:4:6)")


def test_a_domain_spelled_with_and_without_its_schema_is_a_duplicate(tmp_path):
    path = write(tmp_path, "s.yaml", HEAD + "domains:\n  public.d: {type: text}\n  d: {type: integer}\n")
    assert refused(path) == (f"{path}:5:6: domains.d: domain 'public.d' is defined twice "
                                     f"(first as 'public.d' at {path}:4:13)")


def test_a_duplicate_enum_across_files_names_both_files(tmp_path):
    write(tmp_path, "spec/a.yaml", HEAD + "enums:\n  e: [a]\n")
    b = write(tmp_path, "spec/b.yaml", HEAD + "enums:\n  public.e: [a]\n")
    message = refused(tmp_path / "spec")
    assert message == (f"{b}:4:13: enums.public.e: enum 'public.e' is defined twice "
                       f"(first as 'e' at {tmp_path / 'spec' / 'a.yaml'}:4:6)")


# --- 6. errors about the top level name the file ---------------------------------------------------------

def test_a_missing_version_names_the_file(tmp_path):
    path = write(tmp_path, "s.yaml", "# a comment\ndialect: postgres\n")
    assert refused(path) == f"{path}:2:1: 'version' is required"


def test_an_unknown_top_level_key_names_its_file_in_a_directory_spec(tmp_path):
    write(tmp_path, "spec/a.yaml", HEAD + "enums:\n  e: [a]\n")
    b = write(tmp_path, "spec/b.yaml", HEAD + "tabels:\n  t: {columns: {a: {type: text}}}\n")
    message = refused(tmp_path / "spec")
    assert message.startswith(f"{b}:3:1: unknown key 'tabels' (did you mean 'tables'?"), message


def test_a_missing_version_in_a_directory_spec_names_a_file(tmp_path):
    a = write(tmp_path, "spec/a.yaml", "dialect: postgres\nenums:\n  e: [a]\n")
    write(tmp_path, "spec/b.yaml", "dialect: postgres\nenums:\n  f: [a]\n")
    assert refused(tmp_path / "spec") == f"{a}:1:1: 'version' is required"


# --- 7. NUL characters -----------------------------------------------------------------------------------

@pytest.mark.parametrize("body, where", [
    ("tables:\n  t:\n    comment: \"a\\0b\"\n    columns: {a: {type: text}}\n", "5:14: tables.t.comment"),
    ("tables:\n  t:\n    columns: {a: {type: text, default: \"a\\x00\"}}\n", "5:40: tables.t.columns.a.default"),
    ("tables:\n  t:\n    columns: {a: {type: text, default: {sql: \"'\\0'\"}}}\n",
     "5:46: tables.t.columns.a.default.sql"),
    ("enums:\n  e: [a, \"b\\0\"]\n", "4:10: enums.e[1]"),
    ("tables:\n  t:\n    columns: {a: {type: text}}\n    checks: {c: \"a <> '\\0'\"}\n", "6:17: tables.t.checks.c"),
    ("tables:\n  t:\n    columns: {a: {type: text}}\n    indexes: [{columns: [a], where: \"a <> '\\0'\"}]\n",
     "6:37: tables.t.indexes[0].where"),
    ("tables:\n  t:\n    columns: {a: {type: text, comment: \"\\0\"}}\n", "5:40: tables.t.columns.a.comment"),
    ("enums:\n  \"e\\0\": [a]\n", "4:10: enums: key 'e\\x00'"),
])
def test_nul_characters_are_refused(tmp_path, body, where):
    path = write(tmp_path, "s.yaml", HEAD + body)
    assert refused(path) == f"{path}:{where}: NUL characters are not allowed"


def test_a_raw_nul_byte_is_a_positioned_yaml_error(tmp_path):
    path = write(tmp_path, "s.yaml", HEAD + "tables:\n  t:\n    comment: a\x00b\n")
    assert re.match(rf"{re.escape(str(path))}:5:15: invalid YAML: .*#x0000", refused(path))


# --- 8. validation stays linear --------------------------------------------------------------------------

def test_a_large_enum_is_validated_and_its_duplicates_found(tmp_path):
    # 20,000 values: a quadratic duplicate check would take seconds here (and minutes at 100,000).
    values = [f"v{i}" for i in range(20_000)]
    path = write(tmp_path, "s.yaml", HEAD + "enums:\n  e: [" + ", ".join(values) + "]\n")
    code, output = validate(path)
    assert code == 0, output
    path = write(tmp_path, "d.yaml", HEAD + "enums:\n  e: [" + ", ".join([*values, "v7", "v3", "v7"]) + "]\n")
    assert refused(path) == f"{path}:4:6: enums.e.values: duplicate enum value 'v3'"
