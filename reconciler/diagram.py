"""Entity-relationship diagrams of a model: `schemactl diagram` and the picture in `plan --format markdown`.

A backend turns its model into an `ERModel` (`Backend.er_model`; the relational model's is
`relational_er`), and this module writes it as Mermaid (`erDiagram`, which GitHub renders in a comment)
or Graphviz DOT. Only key columns are drawn (primary, unique, foreign key): a diagram is for the shape
of the data, the spec is for the details.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.changes import Action, Change

#: Fill colours per change kind, and for the unchanged neighbours drawn for context.
HIGHLIGHTS = {"created": "#d4f7d4", "changed": "#fff3c4", "dropped": "#f9d0d0", "neighbour": "#eeeeee"}


@dataclass
class Attribute:
    name: str
    type: str
    #: "PK", "FK", "UK" (several for a column that is more than one).
    keys: list[str] = field(default_factory=list)
    note: str | None = None


@dataclass
class Entity:
    name: str
    attributes: list[Attribute] = field(default_factory=list)


@dataclass
class Relation:
    """`child` refers to `parent` (a foreign key): drawn parent ||--o{ child."""

    parent: str
    child: str
    label: str
    #: The referring columns may be null: the child may have no parent.
    optional: bool = False


@dataclass
class ERModel:
    entities: dict[str, Entity] = field(default_factory=dict)
    relations: list[Relation] = field(default_factory=list)

    def around(self, names: Iterable[str]) -> ERModel:
        """Only the named entities and their direct neighbours (what a foreign key links them to)."""
        wanted = {name for name in names if name in self.entities}
        relations = [r for r in self.relations if r.parent in wanted or r.child in wanted]
        keep = wanted | {r.parent for r in relations} | {r.child for r in relations}
        return ERModel({n: e for n, e in self.entities.items() if n in keep},
                       [r for r in relations if r.parent in keep and r.child in keep])

    def merged(self, other: ERModel) -> ERModel:
        """This model with the entities (and their relations) only `other` has: dropped tables in a plan."""
        entities = {**other.entities, **self.entities}
        seen = {(r.parent, r.child, r.label) for r in self.relations}
        extra = [r for r in other.relations if (r.parent, r.child, r.label) not in seen
                 and r.child not in self.entities]
        return ERModel(entities, self.relations + extra)


# -- the relational model (PostgreSQL, SQLite) --------------------------------------------------------


def relational_er(db: Any) -> ERModel:
    """Tables with their key columns, foreign keys with their actions."""
    er = ERModel()
    for key, table in db.tables.items():
        marks: dict[str, list[str]] = {}
        for column in table.primary_key.columns if table.primary_key else []:
            marks.setdefault(column, []).append("PK")
        for fk in table.foreign_keys.values():
            for column in fk.columns:
                marks.setdefault(column, []).append("FK")
        unique_sets = [u.columns for u in table.uniques.values()]
        unique_sets += [[e.column for e in i.elements] for i in table.indexes.values()
                        if i.unique and i.where is None and all(e.column for e in i.elements)]
        for columns in unique_sets:
            for column in columns:
                if "UK" not in marks.setdefault(column, []):
                    marks[column].append("UK")
        attributes = [Attribute(name, column.type, sorted(set(marks[name]), key=["PK", "FK", "UK"].index),
                                None if column.nullable else "not null")
                      for name, column in table.columns.items() if name in marks]
        er.entities[key] = Entity(key, attributes)
    for key, table in db.tables.items():
        for fk in table.foreign_keys.values():
            parent = _referenced_key(table, fk)
            if parent not in er.entities:
                er.entities[parent] = Entity(parent)
            actions = [f"on {event} {action}" for event, action in (("delete", fk.on_delete), ("update", fk.on_update))
                       if action != "no action"]
            label = f"{fk.name}: {', '.join(fk.columns)}" + (f" ({', '.join(actions)})" if actions else "")
            optional = any(table.columns[c].nullable for c in fk.columns if c in table.columns)
            er.relations.append(Relation(parent, key, label, optional))
    return er


def _referenced_key(table: Any, fk: Any) -> str:
    schema = fk.ref_schema if fk.ref_schema is not None else table.schema
    return f"{schema}.{fk.ref_table}" if schema else fk.ref_table


# -- what a plan changes ---------------------------------------------------------------------------


def changed_entities(changes: Iterable[Change], entities: Mapping[str, Entity]) -> dict[str, str]:
    """Entity name -> "created" / "dropped" / "changed" for the entities a plan touches."""
    kinds: dict[str, str] = {}
    for change in changes:
        subject = change.address.partition(" ")[2]
        name = change.table or subject
        if name not in entities:
            continue
        if subject == name and change.action == Action.CREATE:
            kinds[name] = "created"
        elif subject == name and change.action == Action.DROP:
            kinds[name] = "dropped"
        else:
            kinds.setdefault(name, "changed")
    return kinds


def plan_diagram(er_current: ERModel, er_desired: ERModel, changes: list[Change]) -> str | None:
    """Mermaid of the tables a plan changes and their neighbours, coloured by change; None if it touches none."""
    er = er_desired.merged(er_current)
    highlight = changed_entities(changes, er.entities)
    if not highlight:
        return None
    return to_mermaid(er.around(highlight), highlight)


# -- writers ----------------------------------------------------------------------------------------


def _word(text: str) -> str:
    """Mermaid attribute names and types are words: anything else becomes `_` (the label keeps the name)."""
    return re.sub(r"[^\w\[\](),.]", "_", text) or "_"


def _quoted(text: str) -> str:
    # Mermaid has no escape for `"` inside a quoted name or label.
    return '"' + text.replace('"', "'").replace("\n", " ") + '"'


def to_mermaid(er: ERModel, highlight: Mapping[str, str] | None = None) -> str:
    ids = {name: f"e{i}" for i, name in enumerate(er.entities)}
    lines = ["erDiagram"]
    for name, entity in er.entities.items():
        lines.append(f"  {ids[name]}[{_quoted(name)}] {{")
        for attr in entity.attributes:
            keys = f" {', '.join(attr.keys)}" if attr.keys else ""
            note = f" {_quoted(attr.note)}" if attr.note else ""
            lines.append(f"    {_word(attr.type)} {_word(attr.name)}{keys}{note}")
        lines.append("  }")
    for rel in er.relations:
        left = "|o" if rel.optional else "||"
        lines.append(f"  {ids[rel.parent]} {left}--o{{ {ids[rel.child]} : {_quoted(rel.label)}")
    highlight = highlight or {}
    neighbours = [ids[n] for n in er.entities if n not in highlight]
    groups = {kind: [ids[n] for n, k in highlight.items() if k == kind] for kind in HIGHLIGHTS}
    groups["neighbour"] = neighbours if highlight else []
    for kind, members in groups.items():
        if members:
            lines.append(f"  classDef {kind} fill:{HIGHLIGHTS[kind]}")
            lines.append(f"  class {','.join(members)} {kind}")
    return "\n".join(lines) + "\n"


def to_dot(er: ERModel, highlight: Mapping[str, str] | None = None) -> str:
    highlight = highlight or {}
    ids = {name: f"e{i}" for i, name in enumerate(er.entities)}
    lines = ["digraph schema {", "  rankdir=LR;", '  node [shape=plaintext, fontname="Helvetica"];',
             '  edge [fontname="Helvetica", fontsize=10];']
    for name, entity in er.entities.items():
        fill = HIGHLIGHTS.get(highlight.get(name, ""), "#ffffff")
        rows = [f'<tr><td colspan="2" bgcolor="{fill}"><b>{html.escape(name)}</b></td></tr>']
        rows += [f"<tr><td>{html.escape(a.name)}</td><td>{html.escape(' '.join([a.type, *a.keys]))}</td></tr>"
                 for a in entity.attributes]
        lines.append(f'  {ids[name]} [label=<<table border="0" cellborder="1" cellspacing="0">{"".join(rows)}'
                     f"</table>>];")
    for rel in er.relations:
        style = ", style=dashed" if rel.optional else ""
        lines.append(f"  {ids[rel.child]} -> {ids[rel.parent]} [label=<{html.escape(rel.label)}>{style}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


FORMATS = {"mermaid": to_mermaid, "dot": to_dot}
