"""What the API answers when it refuses, as OpenAPI responses a route declares: every refusal a
route can give is in /openapi.json with its body's schema (schemathesis holds the two equal).

The router of the API declares 401 for every route; a route adds the others it can give, e.g.
`responses=errors.BAD_REQUEST | errors.NOT_FOUND`.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class Unauthorized(BaseModel):
    detail: str = Field(description="How to authenticate.")


class Refusal(BaseModel):
    detail: str = Field(description="What was refused, and how to fix it.")
    code: str = Field(description="A stable code for the kind of refusal, e.g. `bad_argument`, `not_found`.")


Responses = dict[int | str, dict[str, Any]]

UNAUTHORIZED: Responses = {
    401: {"model": Unauthorized, "description": "No valid bearer token was sent (or it was revoked)."}
}
BAD_REQUEST: Responses = {
    400: {
        "model": Refusal,
        "description": "A rule refused the request: `detail` says which and how to fix it.",
    }
}
FORBIDDEN: Responses = {
    403: {"model": Refusal, "description": "The token's user's role does not allow this."}
}
NOT_FOUND: Responses = {
    404: {"model": Refusal, "description": "No such object among those the token's user can see."}
}
