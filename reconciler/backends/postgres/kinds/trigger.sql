-- Triggers on the managed tables and on the views of the managed schemas (INSTEAD OF, and statement
-- triggers), but not the internal ones (foreign keys, deferred uniques) and not those with transition tables
-- (REFERENCING) or a constraint trigger's FROM table, which the spec cannot say.
/*managed_tables*/
, relations AS (
    SELECT m.oid, m.nspname, m.relname, false AS is_view FROM managed m
    UNION ALL
    SELECT c.oid, n.nspname, c.relname, true
    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind = 'v' AND n.nspname = ANY(%(schemas)s)
      AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend dep
                      WHERE dep.classid = 'pg_catalog.pg_class'::regclass AND dep.objid = c.oid AND dep.deptype = 'e')
)
SELECT m.nspname, m.relname, t.tgname, t.tgtype,
       ARRAY(SELECT a.attname
             FROM pg_catalog.unnest(t.tgattr::pg_catalog.int2[]) WITH ORDINALITY u(attnum, i)
             JOIN pg_catalog.pg_attribute a ON a.attrelid = t.tgrelid AND a.attnum = u.attnum
             ORDER BY u.i),
       t.tgnargs, t.tgargs, t.tgenabled, t.tgconstraint <> 0, t.tgdeferrable, t.tginitdeferred,
       fn.nspname, p.proname, pg_catalog.pg_get_triggerdef(t.oid, true), d.description, m.is_view
FROM relations m
JOIN pg_catalog.pg_trigger t ON t.tgrelid = m.oid
JOIN pg_catalog.pg_proc p ON p.oid = t.tgfoid
JOIN pg_catalog.pg_namespace fn ON fn.oid = p.pronamespace
LEFT JOIN pg_catalog.pg_description d
       ON d.objoid = t.oid AND d.classoid = 'pg_catalog.pg_trigger'::regclass AND d.objsubid = 0
WHERE NOT t.tgisinternal AND t.tgoldtable IS NULL AND t.tgnewtable IS NULL AND t.tgconstrrelid = 0
ORDER BY m.nspname, m.relname, t.tgname
