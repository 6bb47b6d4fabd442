/*managed_tables*/
-- Primary keys, uniques, foreign keys, checks and exclusions. Key columns come as attribute numbers, named
-- from the columns already read; only a foreign key to a table outside the managed schemas (whose columns
-- are not read) gets its referenced names here. An exclusion's elements come from its index, one array
-- entry per key: column name (NULL for an expression), expression text, non-default operator class,
-- indoption bits, and the operator.
SELECT con.conrelid, con.conname, con.contype,
       CASE WHEN con.contype = 'c' THEN pg_catalog.pg_get_constraintdef(con.oid, true) END,
       CASE WHEN con.contype <> 'c' THEN con.conkey END,
       fn.nspname, fc.relname,
       con.confrelid, con.confkey,
       CASE WHEN con.contype = 'f' AND NOT EXISTS (SELECT 1 FROM managed r WHERE r.oid = con.confrelid)
            THEN ARRAY(SELECT att.attname FROM unnest(con.confkey) WITH ORDINALITY k(num, ord)
                       JOIN pg_catalog.pg_attribute att ON att.attrelid = con.confrelid AND att.attnum = k.num
                       ORDER BY k.ord) END,
       con.confupdtype, con.confdeltype, con.condeferrable, con.condeferred, con.convalidated,
       con.confmatchtype, con.confdelsetcols, con.connoinherit, d.description,
       COALESCE(ci.indnullsnotdistinct, false),
       CASE WHEN con.contype = 'x' THEN am.amname END,
       CASE WHEN con.contype = 'x' THEN pg_catalog.pg_get_expr(ci.indpred, ci.indrelid, true) END,
       CASE WHEN con.contype = 'x' THEN (
           SELECT pg_catalog.json_agg(pg_catalog.json_build_array(att.attname,
                      CASE WHEN k.num = 0 THEN pg_catalog.pg_get_indexdef(ci.indexrelid, k.ord::int, true) END,
                      CASE WHEN oc.opcdefault THEN NULL ELSE oc.opcname END,
                      k.opt,
                      CASE WHEN opn.nspname = 'pg_catalog' THEN op.oprname
                           ELSE opn.nspname || '.' || op.oprname END) ORDER BY k.ord)
           FROM unnest(ci.indkey::int2[], ci.indclass::oid[], ci.indoption::int2[]) WITH ORDINALITY k(num, opc, opt, ord)
           LEFT JOIN pg_catalog.pg_attribute att ON att.attrelid = ci.indrelid AND att.attnum = k.num AND k.num > 0
           LEFT JOIN pg_catalog.pg_opclass oc ON oc.oid = k.opc
           JOIN pg_catalog.pg_operator op ON op.oid = con.conexclop[k.ord]
           JOIN pg_catalog.pg_namespace opn ON opn.oid = op.oprnamespace
           WHERE k.ord <= ci.indnkeyatts) END
FROM managed m
JOIN pg_catalog.pg_constraint con ON con.conrelid = m.oid
LEFT JOIN pg_catalog.pg_class fc ON fc.oid = con.confrelid
LEFT JOIN pg_catalog.pg_namespace fn ON fn.oid = fc.relnamespace
LEFT JOIN pg_catalog.pg_index ci ON ci.indexrelid = con.conindid AND con.contype IN ('u', 'x')
LEFT JOIN pg_catalog.pg_class cic ON cic.oid = ci.indexrelid
LEFT JOIN pg_catalog.pg_am am ON am.oid = cic.relam
LEFT JOIN pg_catalog.pg_description d
       ON d.objoid = con.oid AND d.classoid = 'pg_catalog.pg_constraint'::regclass AND d.objsubid = 0
WHERE con.contype IN ('p', 'u', 'f', 'c', 'x')
ORDER BY con.conrelid, con.conname
