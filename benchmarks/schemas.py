"""A benchmark's own schema in the tests' PostgreSQL database (BAOXIU_TEST_DATABASE_URL).

The tests read what is stored where their connections look (tests/rest_guard.py fails a test that
finds a full phone number there), so a benchmark never loads its generated people into the
database's default schema: it works in a schema of its own, named for it.
"""
from __future__ import annotations

from sqlalchemy import text

from storage.db import make_engine


def in_schema(base: str, schema: str) -> str:
    """`base` with every connection's search_path on `schema`."""
    return f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"


def remake(base: str, schema: str, drop_only: bool = False) -> None:
    """Drop `schema` with everything in it, then create it empty (unless `drop_only`)."""
    engine = make_engine(base)
    try:
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            if not drop_only:
                conn.execute(text(f"CREATE SCHEMA {schema}"))
    finally:
        engine.dispose()
