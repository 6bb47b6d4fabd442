/*managed_tables*/
SELECT m.oid, m.nspname, m.relname, d.description, c.reltuples, c.relpersistence = 'u', c.reloptions
FROM managed m
JOIN pg_catalog.pg_class c ON c.oid = m.oid
LEFT JOIN pg_catalog.pg_description d
       ON d.objoid = m.oid AND d.classoid = 'pg_catalog.pg_class'::regclass AND d.objsubid = 0
ORDER BY m.nspname, m.relname
