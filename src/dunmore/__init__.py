"""Dunmore: accounts-receivable collections (催款 / 催收)."""

__version__ = "0.1.0"
