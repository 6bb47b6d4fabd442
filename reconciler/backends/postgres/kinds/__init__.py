"""One module per kind of PostgreSQL object: its catalog query (`<kind>.sql`) and its rows -> model.

`KINDS` is the order in which their rows are read: a kind after those it looks up (columns after
their tables, constraints after the columns they name).
"""

from __future__ import annotations

from . import column, constraint, domain, enum, extension, index, schema, table

KINDS = (schema, extension, enum, domain, table, column, constraint, index)
