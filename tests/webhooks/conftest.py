"""Fixtures of the webhook tests: a real HTTP receiver on 127.0.0.1 that records what it is sent
(tests/support/http_sms.py's server, which answers any other POST with 200), and a clock in the
test's hands."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from tests.support.http_sms import SmsHttpServer


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def receiver() -> Iterator[SmsHttpServer]:
    with SmsHttpServer() as server:
        yield server
