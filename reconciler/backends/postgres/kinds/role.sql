-- The roles the spec manages (`roles:`), or `inspect --role` names: roles are cluster-wide, and only
-- these are ever read, created or changed.
SELECT r.rolname, r.rolcanlogin
FROM pg_catalog.pg_roles r
WHERE r.rolname = ANY(%(roles)s)
ORDER BY r.rolname
