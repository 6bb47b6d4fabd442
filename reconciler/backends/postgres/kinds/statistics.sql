-- Extended statistics objects (CREATE STATISTICS) in the managed schemas on the managed tables' columns: the
-- columns in their order, the kinds ('d' ndistinct, 'f' dependencies, 'm' mcv), the statistics target (-1 or
-- NULL: the default) and comment. Those on expressions are left to inspect's warnings.
/*managed_tables*/
SELECT sn.nspname, s.stxname, m.nspname, m.relname,
       ARRAY(SELECT a.attname
             FROM pg_catalog.unnest(s.stxkeys::pg_catalog.int2[]) WITH ORDINALITY u(attnum, i)
             JOIN pg_catalog.pg_attribute a ON a.attrelid = s.stxrelid AND a.attnum = u.attnum
             ORDER BY u.i),
       s.stxkind::pg_catalog.text[], s.stxstattarget::pg_catalog.int4, d.description
FROM managed m
JOIN pg_catalog.pg_statistic_ext s ON s.stxrelid = m.oid
JOIN pg_catalog.pg_namespace sn ON sn.oid = s.stxnamespace
LEFT JOIN pg_catalog.pg_description d
       ON d.objoid = s.oid AND d.classoid = 'pg_catalog.pg_statistic_ext'::regclass AND d.objsubid = 0
WHERE s.stxexprs IS NULL AND sn.nspname = ANY(%(schemas)s)
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend dep
                  WHERE dep.classid = 'pg_catalog.pg_statistic_ext'::regclass AND dep.objid = s.oid
                    AND dep.deptype = 'e')
ORDER BY sn.nspname, s.stxname
