/*managed_tables*/
-- Indexes that are not a primary key, unique or exclusion constraint's: one row per key (then per
-- INCLUDE column), in order. Flat, so the catalog joins are hashed once for all indexes.
SELECT i.indrelid, ic.relname, i.indisunique, am.amname,
       pg_catalog.pg_get_expr(i.indpred, i.indrelid, true), i.indnkeyatts, i.indisvalid,
       i.indnullsnotdistinct, ic.reloptions, d.description,
       att.attname, COALESCE(k.opt, 0),
       -- pg_get_indexdef is costly: only expression keys need it.
       CASE WHEN k.num = 0 THEN pg_catalog.pg_get_indexdef(i.indexrelid, k.ord::int, true) END,
       CASE WHEN oc.opcdefault THEN NULL ELSE oc.opcname END,
       CASE WHEN k.coll IS NULL OR k.coll = 0 THEN NULL
            WHEN att.attnum IS NOT NULL THEN CASE WHEN k.coll <> att.attcollation THEN co.collname END
            -- An expression's own collation is not stored apart from an explicit one: the index's
            -- definition prints COLLATE after the expression only when it was given.
            WHEN k.num = 0 AND k.ord <= i.indnkeyatts
                 AND pg_catalog.strpos(pg_catalog.pg_get_indexdef(i.indexrelid, 0, true),
                                       pg_catalog.pg_get_indexdef(i.indexrelid, k.ord::int, true) || ' COLLATE ') > 0
            THEN co.collname END
FROM managed m
JOIN pg_catalog.pg_index i ON i.indrelid = m.oid
JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
JOIN pg_catalog.pg_am am ON am.oid = ic.relam
CROSS JOIN LATERAL unnest(i.indkey::int2[], i.indoption::int2[], i.indclass::oid[], i.indcollation::oid[])
     WITH ORDINALITY k(num, opt, opc, coll, ord)
LEFT JOIN pg_catalog.pg_attribute att ON att.attrelid = i.indrelid AND att.attnum = k.num AND k.num > 0
LEFT JOIN pg_catalog.pg_opclass oc ON oc.oid = k.opc
LEFT JOIN pg_catalog.pg_collation co ON co.oid = k.coll
LEFT JOIN pg_catalog.pg_description d
       ON d.objoid = i.indexrelid AND d.classoid = 'pg_catalog.pg_class'::regclass AND d.objsubid = 0
WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint con
                   WHERE con.conindid = i.indexrelid AND con.conrelid = i.indrelid
                     AND con.contype IN ('p', 'u', 'x'))
ORDER BY i.indrelid, ic.relname, k.ord
