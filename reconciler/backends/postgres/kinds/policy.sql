-- Row-level security policies of the managed tables. USING and WITH CHECK as PostgreSQL prints them
-- (pg_get_expr over the table, with the empty search_path: other objects come back schema-qualified);
-- roles by name, PUBLIC (oid 0) as 'public'.
/*managed_tables*/
SELECT m.nspname, m.relname, p.polname, p.polcmd, p.polpermissive,
       ARRAY(SELECT CASE WHEN r.oid = 0 THEN 'public' ELSE pg_catalog.pg_get_userbyid(r.oid) END
             FROM pg_catalog.unnest(p.polroles) AS r(oid) ORDER BY 1),
       pg_catalog.pg_get_expr(p.polqual, p.polrelid, true),
       pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid, true),
       d.description
FROM pg_catalog.pg_policy p
JOIN managed m ON m.oid = p.polrelid
LEFT JOIN pg_catalog.pg_description d
       ON d.objoid = p.oid AND d.classoid = 'pg_catalog.pg_policy'::regclass AND d.objsubid = 0
ORDER BY m.nspname, m.relname, p.polname
