"""The statuses a delivery goes through (see models.py), apart so that naming them loads no database."""

from __future__ import annotations

from typing import Final

STATUSES: Final = ("pending", "sending", "sent", "failed", "dead", "cancelled")
