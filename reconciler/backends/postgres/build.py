"""Spec -> model for PostgreSQL: the shared relational builder (with PostgreSQL's `RULES`), the partitions,
then every registered kind's section."""

from __future__ import annotations

from reconciler.model import Database
from reconciler.spec.loader import LoadedSpec
from reconciler.spec.relational import build_database

from .types import RULES


def build_model(loaded: LoadedSpec) -> Database:
    from .kinds import build_objects
    from .kinds.partition import build_partitions

    db = build_database(loaded, RULES)
    build_partitions(loaded, db)
    build_objects(loaded, db)
    return db
