SELECT nspname FROM pg_catalog.pg_namespace WHERE nspname = ANY(%(schemas)s)
