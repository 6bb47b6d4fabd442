-- Every index (PRIMARY and unique keys included), one row per key part, in key order.
SELECT s.TABLE_NAME, s.INDEX_NAME, s.NON_UNIQUE, s.COLUMN_NAME, s.COLLATION, s.SUB_PART, s.INDEX_TYPE
FROM information_schema.STATISTICS AS s
WHERE s.TABLE_SCHEMA = DATABASE()
ORDER BY s.TABLE_NAME, s.INDEX_NAME, s.SEQ_IN_INDEX
