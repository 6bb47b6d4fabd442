-- Columns in their order; JSON_CHECK is set where MariaDB's json alias left its column check json_valid(`col`).
SELECT c.TABLE_NAME, c.COLUMN_NAME, c.COLUMN_TYPE, c.IS_NULLABLE, c.COLUMN_DEFAULT, c.EXTRA, c.COLUMN_COMMENT,
       (SELECT COUNT(*) FROM information_schema.CHECK_CONSTRAINTS AS k
        WHERE k.CONSTRAINT_SCHEMA = c.TABLE_SCHEMA AND k.TABLE_NAME = c.TABLE_NAME
          AND k.CONSTRAINT_NAME = c.COLUMN_NAME
          AND k.CHECK_CLAUSE = CONCAT('json_valid(`', REPLACE(c.COLUMN_NAME, '`', '``'), '`)')) AS JSON_CHECK
FROM information_schema.COLUMNS AS c
WHERE c.TABLE_SCHEMA = DATABASE()
ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION
