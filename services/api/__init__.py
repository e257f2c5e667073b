"""The HTTP API (FastAPI): ingest, department commands and department reads."""
