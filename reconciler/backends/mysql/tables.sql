-- Base tables of the session's database (the URL's), with their comments.
SELECT t.TABLE_NAME, t.TABLE_COMMENT
FROM information_schema.TABLES AS t
WHERE t.TABLE_SCHEMA = DATABASE() AND t.TABLE_TYPE = 'BASE TABLE'
ORDER BY t.TABLE_NAME
