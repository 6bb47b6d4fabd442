SELECT e.extname, n.nspname
FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
WHERE (n.nspname = ANY(%(schemas)s) OR e.extname = ANY(%(extensions)s)) AND e.extname <> 'plpgsql'
ORDER BY e.extname
