-- Row-level security switches of the managed tables that have one on (ENABLE / FORCE ROW LEVEL SECURITY).
/*managed_tables*/
SELECT m.nspname, m.relname, c.relrowsecurity, c.relforcerowsecurity
FROM managed m
JOIN pg_catalog.pg_class c ON c.oid = m.oid
WHERE c.relrowsecurity OR c.relforcerowsecurity
ORDER BY m.nspname, m.relname
