"""A throwaway PostgreSQL database for one benchmark run: created fresh, dropped at the end."""

from __future__ import annotations

SERVER_URL = "postgresql://postgres@127.0.0.1:5432"


def server_execute(statement: str, database: str) -> None:
    import psycopg
    from psycopg import sql

    # CREATE and DROP DATABASE refuse to run inside a transaction, hence autocommit.
    with psycopg.connect(f"{SERVER_URL}/postgres", autocommit=True) as admin:
        admin.execute(sql.SQL(statement).format(name=sql.Identifier(database)))


def database_create(database: str) -> None:
    # FORCE ends sessions a crashed earlier run may have left connected.
    server_execute("DROP DATABASE IF EXISTS {name} WITH (FORCE)", database)
    server_execute("CREATE DATABASE {name}", database)


def database_drop(database: str) -> None:
    """Close Django's connections (if Django is loaded) and drop the database."""
    try:
        from django.db import connections

        connections.close_all()
    except Exception:  # Django may not have loaded; the drop must still happen
        pass
    server_execute("DROP DATABASE IF EXISTS {name} WITH (FORCE)", database)


def database_exists(database: str) -> bool:
    import psycopg

    with psycopg.connect(f"{SERVER_URL}/postgres", autocommit=True) as admin:
        row = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone()
    return row is not None
