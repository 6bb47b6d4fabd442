-- The indexes of the managed materialized views, one row per key (then per INCLUDE column), as index.sql
-- reads a table's: the same columns after the view's schema and name (index._index reads both).
WITH managed AS MATERIALIZED (
    SELECT c.oid, n.nspname, c.relname
    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind = 'm' AND n.nspname = ANY(%(schemas)s)
      AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend dep
                      WHERE dep.classid = 'pg_catalog.pg_class'::regclass AND dep.objid = c.oid AND dep.deptype = 'e')
)
SELECT m.nspname, m.relname, ic.relname, i.indisunique, am.amname,
       pg_catalog.pg_get_expr(i.indpred, i.indrelid, true), i.indnkeyatts, i.indisvalid,
       i.indnullsnotdistinct, ic.reloptions, d.description,
       att.attname, COALESCE(k.opt, 0),
       CASE WHEN k.num = 0 THEN pg_catalog.pg_get_indexdef(i.indexrelid, k.ord::int, true) END,
       CASE WHEN oc.opcdefault THEN NULL ELSE oc.opcname END,
       CASE WHEN k.coll IS NULL OR k.coll = 0 THEN NULL
            WHEN att.attnum IS NOT NULL THEN CASE WHEN k.coll <> att.attcollation THEN co.collname END
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
ORDER BY m.nspname, m.relname, ic.relname, k.ord
