-- REPLICA IDENTITY of the managed tables whose identity is not DEFAULT: FULL ('f'), NOTHING ('n') or USING
-- INDEX ('i', with the index flagged indisreplident; none when that index was dropped since, which PostgreSQL
-- treats as NOTHING).
/*managed_tables*/
SELECT m.nspname, m.relname, c.relreplident,
       (SELECT ic.relname FROM pg_catalog.pg_index x JOIN pg_catalog.pg_class ic ON ic.oid = x.indexrelid
        WHERE x.indrelid = m.oid AND x.indisreplident)
FROM managed m
JOIN pg_catalog.pg_class c ON c.oid = m.oid
WHERE c.relreplident <> 'd'
ORDER BY m.nspname, m.relname
