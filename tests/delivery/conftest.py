"""Fixtures of the delivery tests: the real SMTP server of tests/support."""

from tests.support.smtp import smtp_server, tls_files

__all__ = ["smtp_server", "tls_files"]
