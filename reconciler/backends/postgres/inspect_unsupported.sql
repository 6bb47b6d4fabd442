-- What `inspect` reads past in the schemas it reads (%(schemas)s): objects of kinds a spec cannot hold yet,
-- one row each (what it is, its name). Extension members are the extension's business. A kind that becomes
-- supported leaves this list.
WITH ext AS (SELECT dep.classid, dep.objid FROM pg_catalog.pg_depend dep WHERE dep.deptype = 'e')
SELECT 'aggregate', n.nspname || '.' || p.proname || '(' || pg_catalog.pg_get_function_identity_arguments(p.oid) || ')'
FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
WHERE p.prokind = 'a' AND n.nspname = ANY(%(schemas)s)
  AND (('pg_catalog.pg_proc'::regclass, p.oid) NOT IN (SELECT classid, objid FROM ext))
UNION ALL
SELECT 'foreign table', n.nspname || '.' || c.relname
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'f' AND n.nspname = ANY(%(schemas)s)
  AND (('pg_catalog.pg_class'::regclass, c.oid) NOT IN (SELECT classid, objid FROM ext))
UNION ALL
SELECT 'rule', n.nspname || '.' || c.relname || '.' || r.rulename
FROM pg_catalog.pg_rewrite r JOIN pg_catalog.pg_class c ON c.oid = r.ev_class
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE r.rulename <> '_RETURN' AND n.nspname = ANY(%(schemas)s)
  AND (('pg_catalog.pg_class'::regclass, c.oid) NOT IN (SELECT classid, objid FROM ext))
UNION ALL
SELECT 'event trigger', e.evtname
FROM pg_catalog.pg_event_trigger e
WHERE ('pg_catalog.pg_event_trigger'::regclass, e.oid) NOT IN (SELECT classid, objid FROM ext)
UNION ALL
SELECT 'table inheritance', n.nspname || '.' || c.relname || ' inherits ' || pn.nspname || '.' || p.relname
FROM pg_catalog.pg_inherits i
JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_class p ON p.oid = i.inhparent JOIN pg_catalog.pg_namespace pn ON pn.oid = p.relnamespace
WHERE NOT c.relispartition AND c.relkind IN ('r', 'p', 'f') AND n.nspname = ANY(%(schemas)s)
UNION ALL
SELECT 'range type', n.nspname || '.' || t.typname
FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
WHERE t.typtype = 'r' AND n.nspname = ANY(%(schemas)s)
  AND (('pg_catalog.pg_type'::regclass, t.oid) NOT IN (SELECT classid, objid FROM ext))
UNION ALL
-- A partition's own index (not one of its parent's, which PostgreSQL attached to it).
SELECT 'index of a partition', n.nspname || '.' || ic.relname || ' on ' || c.relname
FROM pg_catalog.pg_index x
JOIN pg_catalog.pg_class c ON c.oid = x.indrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_class ic ON ic.oid = x.indexrelid
WHERE c.relispartition AND n.nspname = ANY(%(schemas)s) AND NOT ic.relispartition
UNION ALL
-- A partition's own constraint (not one cloned from, or inherited with, its parent's).
SELECT 'constraint of a partition', n.nspname || '.' || c.relname || '.' || con.conname
FROM pg_catalog.pg_constraint con
JOIN pg_catalog.pg_class c ON c.oid = con.conrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relispartition AND n.nspname = ANY(%(schemas)s) AND con.conparentid = 0 AND con.coninhcount = 0
UNION ALL
-- A partition's own column default (PostgreSQL copies its parent's: only one that differs is its own).
SELECT 'column default of a partition', n.nspname || '.' || c.relname || '.' || a.attname
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_class c ON c.oid = a.attrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_inherits i ON i.inhrelid = c.oid
JOIN pg_catalog.pg_attribute pa ON pa.attrelid = i.inhparent AND pa.attname = a.attname
LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
LEFT JOIN pg_catalog.pg_attrdef pd ON pd.adrelid = pa.attrelid AND pd.adnum = pa.attnum
WHERE c.relispartition AND n.nspname = ANY(%(schemas)s) AND a.attnum > 0 AND NOT a.attisdropped
  AND pg_catalog.pg_get_expr(d.adbin, 0, true) IS DISTINCT FROM pg_catalog.pg_get_expr(pd.adbin, 0, true)
UNION ALL
-- A partition of a table in a schema that is not read: written without its parent, it could not be planned.
SELECT 'partition of a table outside the schemas read', n.nspname || '.' || c.relname
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_inherits i ON i.inhrelid = c.oid
JOIN pg_catalog.pg_class p ON p.oid = i.inhparent JOIN pg_catalog.pg_namespace pn ON pn.oid = p.relnamespace
WHERE c.relispartition AND n.nspname = ANY(%(schemas)s) AND NOT pn.nspname = ANY(%(schemas)s)
ORDER BY 1, 2
