/*managed_tables*/
SELECT m.oid, m.nspname, m.relname, d.description
FROM managed m
LEFT JOIN pg_catalog.pg_description d
       ON d.objoid = m.oid AND d.classoid = 'pg_catalog.pg_class'::regclass AND d.objsubid = 0
ORDER BY m.nspname, m.relname
