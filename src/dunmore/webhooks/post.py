"""One HTTP POST to a subscriber, with a timeout, never following a redirect.

The answer is a value, whatever happened: the status and the start of the body, or no status and
what went wrong (refused, timed out, a malformed answer). Deciding what that means is the caller's.
"""

from __future__ import annotations

import http.client
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

REPLY_LIMIT: Final = 2000  # bytes of a receiver's answer kept as proof


@dataclass(frozen=True, slots=True)
class Answer:
    """`status` is None when no HTTP answer came (the connection failed or timed out)."""

    status: int | None
    reply: str

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    def __str__(self) -> str:
        return f"HTTP {self.status} {self.reply}".rstrip() if self.status is not None else self.reply


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """urllib would replay a redirected POST as a GET, unsigned body gone: report the 3xx instead."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def post(url: str, content: bytes, headers: Mapping[str, str], *, timeout: float) -> Answer:
    """POST `content` to `url`; `timeout` bounds the connection and each read, in seconds."""
    request = urllib.request.Request(url, data=content, headers=dict(headers), method="POST")
    try:
        with urllib.request.build_opener(_NoRedirects).open(request, timeout=timeout) as response:
            return Answer(response.status, _text(response.read(REPLY_LIMIT)))
    except urllib.error.HTTPError as exc:
        with exc:
            return Answer(exc.code, _text(exc.read(REPLY_LIMIT)))
    except urllib.error.URLError as exc:
        return Answer(None, _failure(url, exc.reason))
    except (OSError, http.client.HTTPException, ValueError) as exc:
        return Answer(None, _failure(url, exc))


def _text(answer: bytes) -> str:
    return answer.decode("utf-8", errors="replace").strip()


def _failure(url: str, reason: object) -> str:
    if isinstance(reason, TimeoutError):
        return f"no answer from {url} within the timeout"
    return f"connection to {url} failed ({type(reason).__name__}: {reason})"
