"""`dunmore serve`: the web application (staff pages, the JSON API, the SMS status callbacks).

FastAPI and uvicorn are imported inside the command, so that `dunmore --help` stays fast.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from dunmore.cli.context import console, reported, state
from dunmore.cli.language import _


def _now() -> datetime:
    return datetime.now(UTC)


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on (0.0.0.0: every interface).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Run the web application: sign in at http://HOST:PORT/, the JSON API under /api/v1 (docs at
    /api/docs), and the SMS status callbacks at /sms/status when a gateway is configured. Needs
    DUNMORE_WEB__SECRET_KEY, except on the demo database."""
    import uvicorn

    from dunmore.delivery.callbacks import StatusCallbacks
    from dunmore.delivery.wiring import callback_verifier, sms_gateway
    from dunmore.web.app import create_app

    with reported():
        app = state(ctx)
        engine = app.engine()
        gateway = sms_gateway(app.settings.sms)
        callbacks = None
        if gateway is not None:
            callbacks = StatusCallbacks(engine, gateway, callback_verifier(app.settings.sms), clock=_now)
        web = create_app(engine, app.settings, clock=_now, callbacks=callbacks)
        base = f"http://{host}:{port}"
        console.print(_("Dunmore on %(base)s/ (API docs: %(base)s/api/docs); Ctrl-C stops", base=base))
        uvicorn.run(web, host=host, port=port, log_level="warning", server_header=False, proxy_headers=False)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
