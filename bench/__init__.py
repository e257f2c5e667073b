"""Reproducible benchmarks of the journey: ingest and projection catch-up on SQLite and
PostgreSQL, against the library's naive way, with the peak memory of every run.

Run with ``make bench`` (``python -m bench``); see docs/benchmarks.md.
"""
