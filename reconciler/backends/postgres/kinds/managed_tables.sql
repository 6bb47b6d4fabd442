-- The managed tables: every per-table query starts with this CTE (see catalog.load_query).
-- Objects that belong to an extension (pg_depend deptype 'e') are the extension's business.
WITH managed AS MATERIALIZED (
    SELECT c.oid, n.nspname, c.relname
    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND n.nspname = ANY(%(schemas)s)
      AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend dep
                      WHERE dep.classid = 'pg_catalog.pg_class'::regclass AND dep.objid = c.oid AND dep.deptype = 'e')
)
