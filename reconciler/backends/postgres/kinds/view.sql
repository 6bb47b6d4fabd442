/*managed_tables*/
-- The managed views (managed_views.sql) or materialized views (managed_materialized_views.sql): definition as
-- PostgreSQL prints it (pretty, names qualified: the search_path is empty), options, comment, whether it holds
-- data (materialized views: relispopulated, compared only when one is created: REFRESH is not a schema change),
-- and the output columns (name, type, typmod) that decide whether a new definition can replace it in place.
SELECT c.oid, m.nspname, m.relname, pg_catalog.pg_get_viewdef(c.oid, true), c.reloptions, d.description,
       c.relispopulated,
       ARRAY(SELECT a.attname FROM pg_catalog.pg_attribute a
             WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum),
       -- Each column's type as the server describes a query's result (a domain as its base type and typmod,
       -- as the wire protocol does): {type oid, typmod, how many domains deep it was}.
       ARRAY(SELECT ARRAY[b.typ, b.mod, b.depth] FROM pg_catalog.pg_attribute a, LATERAL (
                WITH RECURSIVE chain(typ, mod, depth) AS (
                    SELECT a.atttypid::int8, a.atttypmod::int8, 0::int8
                    UNION ALL
                    SELECT t.typbasetype::int8, t.typtypmod::int8, chain.depth + 1
                    FROM chain JOIN pg_catalog.pg_type t ON t.oid = chain.typ AND t.typtype = 'd')
                SELECT chain.typ, chain.mod, chain.depth FROM chain ORDER BY chain.depth DESC LIMIT 1) b
             WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum),
       ARRAY(SELECT pg_catalog.col_description(c.oid, a.attnum) FROM pg_catalog.pg_attribute a
             WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum)
FROM managed m
JOIN pg_catalog.pg_class c ON c.oid = m.oid
LEFT JOIN pg_catalog.pg_description d
       ON d.objoid = c.oid AND d.classoid = 'pg_catalog.pg_class'::regclass AND d.objsubid = 0
ORDER BY m.nspname, m.relname
