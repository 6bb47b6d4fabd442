-- The roles the spec manages (`roles:`), or `inspect --role` names: roles are cluster-wide, and only
-- these are ever read, created or changed; of their memberships, only those in other managed roles.
SELECT r.rolname, r.rolcanlogin, r.rolcreatedb, r.rolcreaterole, r.rolinherit, r.rolbypassrls, r.rolreplication,
       r.rolconnlimit,
       ARRAY(SELECT g.rolname FROM pg_catalog.pg_auth_members m JOIN pg_catalog.pg_roles g ON g.oid = m.roleid
             WHERE m.member = r.oid AND g.rolname = ANY(%(roles)s) ORDER BY g.rolname)
FROM pg_catalog.pg_roles r
WHERE r.rolname = ANY(%(roles)s)
ORDER BY r.rolname
