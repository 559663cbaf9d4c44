"""Imports every table module so that `Base.metadata` is whole (for Alembic and tests)."""

from __future__ import annotations

from dunmore.ledger import models as ledger_models
from dunmore.run import models as run_models
from dunmore.store.base import Base

metadata = Base.metadata

__all__ = ["ledger_models", "metadata", "run_models"]
