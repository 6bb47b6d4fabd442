-- The schemas `inspect` reads by default: every one but the system's (pg_catalog, information_schema,
-- pg_toast*, pg_temp*), those an extension owns and schemactl's own (its apply history).
SELECT n.nspname
FROM pg_catalog.pg_namespace n
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', %(history)s) AND n.nspname !~ '^pg_(toast|temp)'
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend dep
                  WHERE dep.classid = 'pg_catalog.pg_namespace'::regclass AND dep.objid = n.oid AND dep.deptype = 'e')
ORDER BY n.nspname = 'public' DESC, n.nspname
