"""Persistence: tables, the database engine and sessions, migrations, the ingest seam."""
