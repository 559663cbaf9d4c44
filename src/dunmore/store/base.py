"""The declarative base every ORM-declared table of Dunmore hangs from (on `METADATA`)."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from dunmore.store.metadata import METADATA, partial

__all__ = ["Base", "partial"]


class Base(DeclarativeBase):
    metadata = METADATA
