"""The one `MetaData` every table of Dunmore hangs from, with stable constraint names.

Apart from `dunmore.store.base` (the ORM's declarative base, which uses it), so that tables declared
with SQLAlchemy Core alone (`dunmore.ledger.tables`) load without the ORM: a read-only command such as
`dunmore aging` then never imports `sqlalchemy.orm`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import MetaData, text

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
METADATA = MetaData(naming_convention=NAMING)


def partial(condition: str) -> dict[str, Any]:
    """The keyword arguments of an `Index` that holds only the rows where `condition` (SQL) is true,
    on both backends."""
    where = text(condition)
    return {"sqlite_where": where, "postgresql_where": where}
