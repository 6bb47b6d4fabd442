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
UNION ALL
SELECT 'collation', n.nspname || '.' || co.collname
FROM pg_catalog.pg_collation co JOIN pg_catalog.pg_namespace n ON n.oid = co.collnamespace
WHERE n.nspname = ANY(%(schemas)s)
  AND (('pg_catalog.pg_collation'::regclass, co.oid) NOT IN (SELECT classid, objid FROM ext))
UNION ALL
-- Extended statistics the statistics kind does not read: on expressions, or on a table it does not write
-- (a partition, a table of a schema not read).
SELECT CASE WHEN st.stxexprs IS NOT NULL THEN 'extended statistics on expressions'
            ELSE 'extended statistics on a partition or a table not read' END,
       n.nspname || '.' || st.stxname
FROM pg_catalog.pg_statistic_ext st JOIN pg_catalog.pg_namespace n ON n.oid = st.stxnamespace
JOIN pg_catalog.pg_class tc ON tc.oid = st.stxrelid JOIN pg_catalog.pg_namespace tn ON tn.oid = tc.relnamespace
WHERE n.nspname = ANY(%(schemas)s)
  AND (st.stxexprs IS NOT NULL OR tc.relispartition OR NOT tn.nspname = ANY(%(schemas)s))
  AND (('pg_catalog.pg_statistic_ext'::regclass, st.oid) NOT IN (SELECT classid, objid FROM ext))
UNION ALL
-- Per-column settings of ALTER COLUMN SET STATISTICS / SET STORAGE that the column_settings kind does not
-- read: on materialized views, and a partition's own (one that differs from its parent's, which it copies).
SELECT 'column ' || x.what, n.nspname || '.' || c.relname || '.' || a.attname
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_class c ON c.oid = a.attrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_type ty ON ty.oid = a.atttypid
LEFT JOIN pg_catalog.pg_inherits i ON i.inhrelid = c.oid AND c.relispartition
LEFT JOIN pg_catalog.pg_attribute pa ON pa.attrelid = i.inhparent AND pa.attname = a.attname
CROSS JOIN LATERAL (VALUES ('statistics target', CASE WHEN c.relispartition
                                                      THEN a.attstattarget <> pa.attstattarget
                                                      ELSE a.attstattarget >= 0 END),
                           ('storage', CASE WHEN c.relispartition THEN a.attstorage <> pa.attstorage
                                            ELSE a.attstorage <> ty.typstorage END)) x(what, differs)
WHERE x.differs AND (c.relkind = 'm' OR c.relispartition) AND a.attnum > 0 AND NOT a.attisdropped
  AND n.nspname = ANY(%(schemas)s)
  AND (('pg_catalog.pg_class'::regclass, c.oid) NOT IN (SELECT classid, objid FROM ext))
UNION ALL
-- A partition's own replica identity (the replica_identity kind reads the tables a spec holds, not partitions).
SELECT 'replica identity of a partition', n.nspname || '.' || c.relname
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relispartition AND c.relkind IN ('r', 'p') AND c.relreplident <> 'd' AND n.nspname = ANY(%(schemas)s)
UNION ALL
SELECT 'storage parameters of a partition', n.nspname || '.' || c.relname
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relispartition AND c.relkind = 'r' AND c.reloptions IS NOT NULL AND n.nspname = ANY(%(schemas)s)
UNION ALL
-- The sequence of an identity or serial column is the column's: the spec has no place for its comment.
SELECT 'comment on the sequence of a column', n.nspname || '.' || s.relname
FROM pg_catalog.pg_class s JOIN pg_catalog.pg_namespace n ON n.oid = s.relnamespace
JOIN pg_catalog.pg_description d
  ON d.objoid = s.oid AND d.classoid = 'pg_catalog.pg_class'::regclass AND d.objsubid = 0
JOIN pg_catalog.pg_depend dep ON dep.classid = 'pg_catalog.pg_class'::regclass AND dep.objid = s.oid
 AND dep.refclassid = 'pg_catalog.pg_class'::regclass AND dep.deptype IN ('a', 'i')
JOIN pg_catalog.pg_sequence sq ON sq.seqrelid = s.oid
LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = dep.refobjid AND ad.adnum = dep.refobjsubid
WHERE s.relkind = 'S' AND n.nspname = ANY(%(schemas)s)
  -- identity, or what the sequence kind takes for a serial's (the condition of sequence.sql)
  AND (dep.deptype = 'i'
       OR (pg_catalog.pg_get_expr(ad.adbin, 0, true)
               = 'nextval(''' || pg_catalog.replace(s.oid::regclass::text, '''', '''''') || '''::regclass)'
           AND sq.seqstart = 1 AND sq.seqincrement = 1 AND sq.seqmin = 1 AND sq.seqcache = 1 AND NOT sq.seqcycle
           AND sq.seqmax = CASE sq.seqtypid WHEN 'pg_catalog.int2'::regtype THEN 32767
                                            WHEN 'pg_catalog.int4'::regtype THEN 2147483647
                                            ELSE 9223372036854775807 END))
UNION ALL
SELECT 'default privileges', pg_catalog.pg_get_userbyid(da.defaclrole) || ' on '
       || CASE da.defaclobjtype WHEN 'r' THEN 'tables' WHEN 'S' THEN 'sequences' WHEN 'f' THEN 'functions'
                                WHEN 'T' THEN 'types' ELSE 'schemas' END
       || COALESCE(' in ' || n.nspname, '')
FROM pg_catalog.pg_default_acl da LEFT JOIN pg_catalog.pg_namespace n ON n.oid = da.defaclnamespace
WHERE da.defaclnamespace = 0 OR n.nspname = ANY(%(schemas)s)
ORDER BY 1, 2
