"""The PostgreSQL test fixtures give real, working, disposable databases."""

import uuid

import psycopg
import pytest

from tests.support.postgres import create_database, drop_database

pytestmark = pytest.mark.postgres


def test_postgres_url_is_a_writable_database(postgres_url):
    with psycopg.connect(postgres_url) as conn:
        conn.execute("CREATE TABLE touchpoint (id int PRIMARY KEY, channel text NOT NULL)")
        conn.execute("INSERT INTO touchpoint VALUES (1, 'email')")
        rows = conn.execute("SELECT id, channel FROM touchpoint").fetchall()

    assert rows == [(1, "email")]


def test_create_and_drop_database_add_and_remove_it_on_the_server(postgres_base_url):
    name = f"t_{uuid.uuid4().hex[:12]}"

    url = create_database(postgres_base_url, name)
    exists_after_create = _database_exists(postgres_base_url, name)
    with psycopg.connect(url) as conn:
        current = conn.execute("SELECT current_database()").fetchone()[0]
    drop_database(postgres_base_url, name)

    assert exists_after_create
    assert current == name
    assert not _database_exists(postgres_base_url, name)


def _database_exists(base_url: str, name: str) -> bool:
    with psycopg.connect(base_url) as conn:
        row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    return row is not None
