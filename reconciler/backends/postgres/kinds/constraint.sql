/*managed_tables*/
-- Primary keys, uniques, foreign keys and checks. Key columns come as attribute numbers, named from
-- the columns already read; only a foreign key to a table outside the managed schemas (whose columns
-- are not read) gets its referenced names here.
SELECT con.conrelid, con.conname, con.contype,
       CASE WHEN con.contype = 'c' THEN pg_catalog.pg_get_constraintdef(con.oid, true) END,
       CASE WHEN con.contype <> 'c' THEN con.conkey END,
       fn.nspname, fc.relname,
       con.confrelid, con.confkey,
       CASE WHEN con.contype = 'f' AND NOT EXISTS (SELECT 1 FROM managed r WHERE r.oid = con.confrelid)
            THEN ARRAY(SELECT att.attname FROM unnest(con.confkey) WITH ORDINALITY k(num, ord)
                       JOIN pg_catalog.pg_attribute att ON att.attrelid = con.confrelid AND att.attnum = k.num
                       ORDER BY k.ord) END,
       con.confupdtype, con.confdeltype, con.condeferrable, con.condeferred, con.convalidated
FROM managed m
JOIN pg_catalog.pg_constraint con ON con.conrelid = m.oid
LEFT JOIN pg_catalog.pg_class fc ON fc.oid = con.confrelid
LEFT JOIN pg_catalog.pg_namespace fn ON fn.oid = fc.relnamespace
WHERE con.contype IN ('p', 'u', 'f', 'c')
ORDER BY con.conrelid, con.conname
