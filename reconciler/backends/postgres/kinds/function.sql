-- Functions and procedures (prokind f, p) in the managed schemas; aggregates and window functions, extension
-- members, C/internal functions (no source to recreate them from) and SQL-standard bodies (BEGIN ATOMIC) are
-- left alone. One row per function: its arguments as parallel arrays (types, modes, names, defaults),
-- without RETURNS TABLE's columns (mode 't'), which pg_get_function_result prints.
SELECT n.nspname, p.proname, p.prokind, pg_catalog.oidvectortypes(p.proargtypes),
       ARRAY(SELECT pg_catalog.format_type(a.t, NULL)
             FROM pg_catalog.unnest(COALESCE(p.proallargtypes, p.proargtypes::pg_catalog.oid[])) WITH ORDINALITY a(t, i)
             ORDER BY a.i),
       COALESCE(p.proargmodes::text[], ARRAY[]::text[]),
       COALESCE(p.proargnames, ARRAY[]::text[]),
       ARRAY(SELECT pg_catalog.pg_get_function_arg_default(p.oid, a.i::integer)
             FROM pg_catalog.generate_series(1, COALESCE(pg_catalog.array_length(p.proallargtypes, 1), p.pronargs)) a(i)
             ORDER BY a.i),
       pg_catalog.pg_get_function_result(p.oid), l.lanname, p.prosrc, p.provolatile, p.proisstrict, p.prosecdef,
       p.proparallel, p.procost, p.proretset, p.prorows, COALESCE(p.proconfig, ARRAY[]::text[]), d.description,
       -- What depends on it besides triggers (dropped before it, never in its way): defaults, checks, views.
       ARRAY(SELECT pg_catalog.pg_describe_object(dep.classid, dep.objid, dep.objsubid)
             FROM pg_catalog.pg_depend dep
             WHERE dep.refclassid = 'pg_catalog.pg_proc'::regclass AND dep.refobjid = p.oid AND dep.deptype = 'n'
               AND dep.classid <> 'pg_catalog.pg_trigger'::regclass
             ORDER BY 1),
       p.proleakproof
FROM pg_catalog.pg_proc p
JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
JOIN pg_catalog.pg_language l ON l.oid = p.prolang
LEFT JOIN pg_catalog.pg_description d
       ON d.objoid = p.oid AND d.classoid = 'pg_catalog.pg_proc'::regclass AND d.objsubid = 0
WHERE n.nspname = ANY(%(schemas)s)
  AND p.prokind IN ('f', 'p')
  AND l.lanname NOT IN ('c', 'internal')
  AND p.prosqlbody IS NULL
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend dep
                  WHERE dep.classid = 'pg_catalog.pg_proc'::regclass AND dep.objid = p.oid AND dep.deptype = 'e')
ORDER BY n.nspname, p.proname, 4
