"""All I/O: event store codecs, SQL views for SQLite and PostgreSQL, the CloudEvents edge."""
