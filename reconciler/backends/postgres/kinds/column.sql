/*managed_tables*/
-- A default cannot refer to a column, so its expression is printed without the table as context
-- (relation 0): with the table, pg_get_expr opens it for every default.
SELECT a.attrelid, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull,
       CASE WHEN a.attgenerated = '' THEN pg_catalog.pg_get_expr(ad.adbin, 0, true) END,
       a.attidentity, a.attgenerated,
       CASE WHEN a.attcollation <> t.typcollation THEN co.collname END,
       d.description, owned.seqname, a.attnum,
       -- A generated column's expression names other columns: printed with the table as context.
       CASE WHEN a.attgenerated = 's' THEN pg_catalog.pg_get_expr(ad.adbin, ad.adrelid, true) END,
       ids.seqstart, ids.seqincrement, ids.seqmin, ids.seqmax, ids.seqcache, ids.seqcycle
FROM managed m
JOIN pg_catalog.pg_attribute a ON a.attrelid = m.oid
JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation
LEFT JOIN pg_catalog.pg_description d
       ON d.objoid = a.attrelid AND d.classoid = 'pg_catalog.pg_class'::regclass AND d.objsubid = a.attnum
LEFT JOIN (
    -- Sequences owned by a column (deptype 'a') with serial's options: what serial columns have.
    -- (A sequence with options of its own is a standalone sequence: the sequence kind reads it.)
    SELECT DISTINCT ON (dep.refobjid, dep.refobjsubid) dep.refobjid, dep.refobjsubid,
           seq.oid::regclass::text AS seqname
    FROM pg_catalog.pg_depend dep
    JOIN pg_catalog.pg_class seq ON seq.oid = dep.objid
    JOIN pg_catalog.pg_sequence s ON s.seqrelid = seq.oid
    WHERE dep.classid = 'pg_catalog.pg_class'::regclass AND dep.refclassid = 'pg_catalog.pg_class'::regclass
      AND dep.deptype = 'a' AND seq.relkind = 'S'
      AND s.seqstart = 1 AND s.seqincrement = 1 AND s.seqmin = 1 AND s.seqcache = 1 AND NOT s.seqcycle
      AND s.seqmax = CASE s.seqtypid WHEN 'pg_catalog.int2'::regtype THEN 32767
                                     WHEN 'pg_catalog.int4'::regtype THEN 2147483647
                                     ELSE 9223372036854775807 END
) owned ON owned.refobjid = a.attrelid AND owned.refobjsubid = a.attnum
-- An identity column's own sequence (deptype 'i'), for its options.
LEFT JOIN pg_catalog.pg_depend idd
       ON a.attidentity <> '' AND idd.refobjid = a.attrelid AND idd.refobjsubid = a.attnum
      AND idd.classid = 'pg_catalog.pg_class'::regclass AND idd.refclassid = 'pg_catalog.pg_class'::regclass
      AND idd.deptype = 'i'
LEFT JOIN pg_catalog.pg_sequence ids ON ids.seqrelid = idd.objid
WHERE a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attrelid, a.attnum
