"""Signing in with a password: throttled after repeated failures, every attempt in the audit log.

The throttle counts failures per login and per client address within a window (`WINDOW`): after
`MAX_PER_LOGIN` failures for one login, or `MAX_PER_ADDRESS` from one address, further attempts are
refused unchecked until the oldest failure leaves the window. A success clears its login's count.

The counts live in the memory of the serving process, by decision: they are lost on a restart and
not shared between processes, which a single `dunmore serve` process does not need; what an attacker
gains by restarting our server is nothing they could do. Every attempt, refused or not, is an audit
row (`auth.sign_in`, `auth.sign_in_failed` with the reason), which is what survives.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Connection

from dunmore.access import audit
from dunmore.access.service import authenticate_password
from dunmore.access.values import User

WINDOW = timedelta(minutes=15)
MAX_PER_LOGIN = 5
MAX_PER_ADDRESS = 20
ANONYMOUS = "anonymous"
_OBJECT_MAX = 200


@dataclass(frozen=True)
class Outcome:
    """What a sign-in attempt came to: the user, or why not (`throttled_for`: how long to wait)."""

    user: User | None
    throttled_for: timedelta | None = None

    @property
    def retry_minutes(self) -> int:
        seconds = 0 if self.throttled_for is None else int(self.throttled_for.total_seconds())
        return max(1, -(-seconds // 60))


@dataclass
class Throttle:
    """Failed sign-ins per login and per address in the last `window` (thread-safe, in memory)."""

    window: timedelta = WINDOW
    per_login: int = MAX_PER_LOGIN
    per_address: int = MAX_PER_ADDRESS
    _failures: dict[str, deque[datetime]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _recent(self, key: str, now: datetime) -> deque[datetime]:
        times = self._failures.setdefault(key, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        if not times:
            del self._failures[key]
            return deque()
        return times

    def wait(self, *, login: str, address: str, now: datetime) -> timedelta | None:
        """How long the attempt must wait, or None when it may be checked now."""
        with self._lock:
            for key, limit in ((f"login:{login}", self.per_login), (f"address:{address}", self.per_address)):
                times = self._recent(key, now)
                if len(times) >= limit:
                    return times[len(times) - limit] + self.window - now
        return None

    def failed(self, *, login: str, address: str, now: datetime) -> None:
        with self._lock:
            for key in (f"login:{login}", f"address:{address}"):
                self._recent(key, now)
                self._failures.setdefault(key, deque()).append(now)

    def succeeded(self, *, login: str) -> None:
        with self._lock:
            self._failures.pop(f"login:{login}", None)


def sign_in(
    conn: Connection, *, login: str, password: str, address: str, throttle: Throttle, at: datetime
) -> Outcome:
    """The user `login` and `password` name, recorded as `auth.sign_in`; else no user (a wrong login
    or password, a disabled user, or a throttled attempt), recorded as `auth.sign_in_failed` by
    `anonymous`. Not an exception: the caller commits the audit row either way."""
    key = login.strip().lower()
    target = f"user:{key}"[:_OBJECT_MAX]
    waiting = throttle.wait(login=key, address=address, now=at)
    if waiting is not None:
        audit.record(conn, at=at, actor=ANONYMOUS, action="auth.sign_in_failed", object=target,
                     after={"address": address, "reason": "throttled"})  # fmt: skip
        return Outcome(None, throttled_for=waiting)
    user = authenticate_password(conn, login=key, password=password) if key else None
    if user is None:
        throttle.failed(login=key, address=address, now=at)
        audit.record(conn, at=at, actor=ANONYMOUS, action="auth.sign_in_failed", object=target,
                     after={"address": address, "reason": "wrong login or password"})  # fmt: skip
        return Outcome(None)
    throttle.succeeded(login=key)
    audit.record(conn, at=at, actor=user.login, action="auth.sign_in", object=f"user:{user.login}",
                 after={"address": address})  # fmt: skip
    return Outcome(user)


def sign_out(conn: Connection, *, user: User, at: datetime) -> None:
    """Record that `user` signed out (the interface forgets the session)."""
    audit.record(conn, at=at, actor=user.login, action="auth.sign_out", object=f"user:{user.login}")
