"""Facts about the database itself, kept in the database: what created it and for what.

One row per fact (`key` → `value`). The demo marks the database it builds (`demo` = `yes`), so that
commands which would destroy or fake things (`demo --reset`, a worker sending as the demo creditor)
can tell a demo database from a business's real one.
"""

from __future__ import annotations

from sqlalchemy import Connection, String, delete, insert, select
from sqlalchemy.orm import Mapped, mapped_column

from dunmore.store.base import Base

DEMO = "demo"


class MetaFact(Base):
    __tablename__ = "meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(500))


def read_fact(conn: Connection, key: str) -> str | None:
    """The value stored under `key`, or None when the database holds no such fact."""
    return conn.execute(select(MetaFact.value).where(MetaFact.key == key)).scalar_one_or_none()


def write_fact(conn: Connection, key: str, value: str) -> None:
    """Store `value` under `key`, replacing what was there."""
    conn.execute(delete(MetaFact).where(MetaFact.key == key))
    conn.execute(insert(MetaFact).values(key=key, value=value))


def mark_demo(conn: Connection) -> None:
    """Mark this database as one the demo built (and may rebuild)."""
    write_fact(conn, DEMO, "yes")


def is_demo_database(conn: Connection) -> bool:
    """Whether the demo built this database."""
    return read_fact(conn, DEMO) == "yes"
