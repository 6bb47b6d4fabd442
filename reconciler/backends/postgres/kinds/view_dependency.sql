-- What views and materialized views read (their rewrite rule's dependencies): one row per view and
-- relation column it reads (the column NULL for a whole-relation dependency). Every view of the managed
-- schemas, and views anywhere else that read a relation of the managed schemas: the plan names those
-- (hazard dependent_objects) when it changes what they read.
SELECT DISTINCT vn.nspname, v.relname, v.relkind::text, rn.nspname, r.relname, a.attname
FROM pg_catalog.pg_rewrite rw
JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_rewrite'::regclass AND d.objid = rw.oid
JOIN pg_catalog.pg_class v ON v.oid = rw.ev_class
JOIN pg_catalog.pg_namespace vn ON vn.oid = v.relnamespace
JOIN pg_catalog.pg_class r ON d.refclassid = 'pg_catalog.pg_class'::regclass AND r.oid = d.refobjid
JOIN pg_catalog.pg_namespace rn ON rn.oid = r.relnamespace
LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = r.oid AND a.attnum = d.refobjsubid AND d.refobjsubid > 0
WHERE v.relkind IN ('v', 'm') AND r.oid <> v.oid AND d.deptype = 'n'
  AND (rn.nspname = ANY(%(schemas)s) OR vn.nspname = ANY(%(schemas)s))
  AND vn.nspname NOT IN ('pg_catalog', 'information_schema')
ORDER BY 1, 2, 4, 5, 6
