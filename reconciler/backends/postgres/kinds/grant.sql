-- Privileges of the managed roles (`roles:`, `inspect --role`) on the managed schemas and on the tables,
-- views, sequences and functions in them, from the ACLs (aclexplode). An owner's own privileges are its
-- by owning the object, not grants; partitions and extension members are left out, as everywhere.
WITH managed_roles AS (
    SELECT r.oid, r.rolname FROM pg_catalog.pg_roles r WHERE r.rolname = ANY(%(roles)s)
)
SELECT mr.rolname, 'schema', n.nspname, NULL, NULL, a.privilege_type
FROM pg_catalog.pg_namespace n
CROSS JOIN LATERAL pg_catalog.aclexplode(n.nspacl) a
JOIN managed_roles mr ON mr.oid = a.grantee
WHERE n.nspname = ANY(%(schemas)s) AND a.grantee <> n.nspowner
UNION ALL
SELECT mr.rolname, CASE WHEN c.relkind = 'S' THEN 'sequence' ELSE 'table' END, n.nspname, c.relname, NULL,
       a.privilege_type
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
CROSS JOIN LATERAL pg_catalog.aclexplode(c.relacl) a
JOIN managed_roles mr ON mr.oid = a.grantee
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') AND NOT c.relispartition AND n.nspname = ANY(%(schemas)s)
  AND a.grantee <> c.relowner
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend dep
                  WHERE dep.classid = 'pg_catalog.pg_class'::regclass AND dep.objid = c.oid AND dep.deptype = 'e')
UNION ALL
SELECT mr.rolname, 'function', n.nspname, p.proname, pg_catalog.oidvectortypes(p.proargtypes), a.privilege_type
FROM pg_catalog.pg_proc p
JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
CROSS JOIN LATERAL pg_catalog.aclexplode(p.proacl) a
JOIN managed_roles mr ON mr.oid = a.grantee
WHERE p.prokind IN ('f', 'p') AND n.nspname = ANY(%(schemas)s) AND a.grantee <> p.proowner
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend dep
                  WHERE dep.classid = 'pg_catalog.pg_proc'::regclass AND dep.objid = p.oid AND dep.deptype = 'e')
ORDER BY 1, 2, 3, 4, 5, 6
