-- Privileges of the managed roles (`roles:`, `inspect --role`) on the managed schemas and on the tables,
-- views, sequences and functions in them, from the ACLs (aclexplode). An owner holds an object's privileges
-- by owning it: those are one 'OWNER' row, never grants. Partitions and extension members are left out.
WITH managed_roles AS (
    SELECT r.oid, r.rolname FROM pg_catalog.pg_roles r WHERE r.rolname = ANY(%(roles)s)
), objects AS (
    SELECT 'schema' AS kind, n.nspname AS schema_name, NULL::text AS name, NULL::text AS args,
           n.nspacl AS acl, n.nspowner AS owner
    FROM pg_catalog.pg_namespace n
    WHERE n.nspname = ANY(%(schemas)s)
    UNION ALL
    SELECT CASE WHEN c.relkind = 'S' THEN 'sequence' ELSE 'table' END, n.nspname, c.relname::text, NULL,
           c.relacl, c.relowner
    FROM pg_catalog.pg_class c
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') AND NOT c.relispartition AND n.nspname = ANY(%(schemas)s)
      AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend dep
                      WHERE dep.classid = 'pg_catalog.pg_class'::regclass AND dep.objid = c.oid AND dep.deptype = 'e')
    UNION ALL
    SELECT 'function', n.nspname, p.proname::text, pg_catalog.oidvectortypes(p.proargtypes), p.proacl, p.proowner
    FROM pg_catalog.pg_proc p
    JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
    WHERE p.prokind IN ('f', 'p') AND n.nspname = ANY(%(schemas)s)
      AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend dep
                      WHERE dep.classid = 'pg_catalog.pg_proc'::regclass AND dep.objid = p.oid AND dep.deptype = 'e')
)
SELECT mr.rolname, o.kind, o.schema_name, o.name, o.args, a.privilege_type
FROM objects o
CROSS JOIN LATERAL pg_catalog.aclexplode(o.acl) a
JOIN managed_roles mr ON mr.oid = a.grantee
WHERE a.grantee <> o.owner
UNION ALL
SELECT mr.rolname, o.kind, o.schema_name, o.name, o.args, 'OWNER'
FROM objects o
JOIN managed_roles mr ON mr.oid = o.owner
ORDER BY 1, 2, 3, 4, 5, 6
