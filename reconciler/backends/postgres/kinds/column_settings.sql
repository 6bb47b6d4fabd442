-- Per-column planner and storage settings of the managed tables: the statistics target (ALTER COLUMN SET
-- STATISTICS; -1: the default) and the storage (SET STORAGE) with its type's default. Every column whose type
-- can be stored otherwise than plain, and any with a target set: a column not listed is plain by its type and
-- has the default target.
/*managed_tables*/
SELECT m.nspname, m.relname, a.attname, a.attstattarget::pg_catalog.int4, a.attstorage, ty.typstorage
FROM managed m
JOIN pg_catalog.pg_attribute a ON a.attrelid = m.oid
JOIN pg_catalog.pg_type ty ON ty.oid = a.atttypid
WHERE a.attnum > 0 AND NOT a.attisdropped
  AND (ty.typstorage <> 'p' OR a.attstorage <> 'p' OR a.attstattarget >= 0)
ORDER BY m.nspname, m.relname, a.attnum
