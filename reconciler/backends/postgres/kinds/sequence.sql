-- Standalone sequences: not an identity column's, and not a serial column's (owned by an integer
-- column whose default is nextval of it, with serial's options: that column is `type: serial` in the
-- spec; the same condition as in column.sql). The last column says whether it is a serial's: the loader
-- leaves those out. (A name is no sign of one: renaming the table keeps the sequence's name.)
SELECT n.nspname, c.relname, pg_catalog.format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement,
       s.seqmin, s.seqmax, s.seqcache, s.seqcycle, own.nspname, own.relname, own.attname, d.description,
       COALESCE(own.deptype = 'a'
           AND own.atttypid IN ('pg_catalog.int2'::regtype, 'pg_catalog.int4'::regtype, 'pg_catalog.int8'::regtype)
           -- as pg_get_expr prints it (standard strings: quote_literal would write E'...' for a backslash)
           AND own.default_expr = 'nextval(''' || pg_catalog.replace(c.oid::regclass::text, '''', '''''')
                                  || '''::regclass)'
           AND s.seqstart = 1 AND s.seqincrement = 1 AND s.seqmin = 1 AND s.seqcache = 1 AND NOT s.seqcycle
           AND s.seqmax = CASE s.seqtypid WHEN 'pg_catalog.int2'::regtype THEN 32767
                                          WHEN 'pg_catalog.int4'::regtype THEN 2147483647
                                          ELSE 9223372036854775807 END, false)
FROM pg_catalog.pg_sequence s
JOIN pg_catalog.pg_class c ON c.oid = s.seqrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN LATERAL (
    SELECT tn.nspname, t.relname, a.attname, a.atttypid,
           pg_catalog.pg_get_expr(ad.adbin, 0, true) AS default_expr, dep.deptype
    FROM pg_catalog.pg_depend dep
    JOIN pg_catalog.pg_class t ON t.oid = dep.refobjid
    JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace
    JOIN pg_catalog.pg_attribute a ON a.attrelid = dep.refobjid AND a.attnum = dep.refobjsubid
    LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
    WHERE dep.classid = 'pg_catalog.pg_class'::regclass AND dep.objid = c.oid
      AND dep.refclassid = 'pg_catalog.pg_class'::regclass AND dep.deptype IN ('a', 'i')
    LIMIT 1
) own ON true
LEFT JOIN pg_catalog.pg_description d
       ON d.objoid = c.oid AND d.classoid = 'pg_catalog.pg_class'::regclass AND d.objsubid = 0
WHERE n.nspname = ANY(%(schemas)s)
  AND own.deptype IS DISTINCT FROM 'i'
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend dep
                  WHERE dep.classid = 'pg_catalog.pg_class'::regclass AND dep.objid = c.oid AND dep.deptype = 'e')
ORDER BY n.nspname, c.relname
