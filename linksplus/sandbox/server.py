"""Building the sandbox app (`create_app`) and running it with uvicorn (`serve`)."""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from linksplus._version import __version__
from linksplus.config import mask_key
from linksplus.sandbox import api, controls, payer
from linksplus.sandbox.context import Sandbox
from linksplus.sandbox.delivery import RETRY_DELAYS, Deliverer
from linksplus.sandbox.drop import DropMarkedConnections
from linksplus.sandbox.errors import install_error_handlers
from linksplus.sandbox.faults import Faults
from linksplus.sandbox.state import Store
from linksplus.webhooks.signing import decode_secret, generate_secret

DESCRIPTION = """A local stand-in for Omise's **Payment Links+** API
(`https://linksplus-api.omise.co`): the same paths, objects, errors and webhooks, with data
kept in memory.

Authenticate the `/external` paths with the sandbox's key as the HTTP Basic user
(`curl -u skey_test_xxx:`), as `Authorization: Bearer skey_test_xxx`, or as the bare
`Authorization` header. The `/_sandbox` paths are test controls that the real service does
not have; they need no key."""

SECURITY_SCHEMES = {
    "basicAuth": {
        "type": "http",
        "scheme": "basic",
        "description": "The key as the user name, empty password.",
    },
    "bearerAuth": {"type": "http", "scheme": "bearer"},
    "rawKey": {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "The bare key as the header value.",
    },
}


def new_api_key() -> str:
    """A fresh test key, shaped like Omise's (``skey_test_`` and 24 hex digits)."""
    return "skey_test_" + secrets.token_hex(12)


def create_app(
    *,
    api_key: str,
    data: str = "empty",
    base_url: str = "http://127.0.0.1:8765",
    webhook_url: str | None = None,
    dashboard_webhook_url: str | None = None,
    webhook_secret: str | None = None,
    webhook_ca_file: str | None = None,
    retry_delays: Sequence[float] = RETRY_DELAYS,
    idempotency: bool = True,
    retry_time_scale: float = 1.0,
) -> FastAPI:
    """The sandbox's FastAPI app, seeded with `data` (``empty`` or ``demo``).

    `base_url` is where the app is reached: links' payment URLs point there. With
    `idempotency` off, creates ignore Idempotency-Key, as the documented service may.
    """
    if webhook_secret:
        decode_secret(webhook_secret)  # ValueError now rather than at the first payment
    store = Store(base_url)
    deliverer = Deliverer(
        store,
        system_url=webhook_url,
        dashboard_url=dashboard_webhook_url,
        secret=webhook_secret,
        ca_file=webhook_ca_file,
        retry_delays=retry_delays,
        time_scale=retry_time_scale,
    )
    sandbox = Sandbox(
        api_key=api_key,
        store=store,
        faults=Faults(),
        deliverer=deliverer,
        idempotency_default=idempotency,
    )
    sandbox.reset(data)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await deliverer.aclose()

    app = FastAPI(
        title="Links+ sandbox", version=__version__, description=DESCRIPTION, lifespan=lifespan
    )
    app.state.sandbox = sandbox
    install_error_handlers(app)
    app.include_router(api.router)
    app.include_router(controls.router)
    app.include_router(payer.router)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's schema plus the three ways to send the key, on the /external paths."""
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        schema.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
        either = [{name: []} for name in SECURITY_SCHEMES]
        for path, operations in schema.get("paths", {}).items():
            if path.startswith("/external"):
                for operation in operations.values():
                    operation["security"] = either
        app.openapi_schema = schema
    return app.openapi_schema


def _public_host(host: str) -> str:
    """The host clients use to reach a server bound to `host` (for payment URLs)."""
    if host in ("0.0.0.0", "", "::"):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


def serve(
    host: str = "127.0.0.1",
    port: int = 8765,
    data: str = "demo",
    api_key: str | None = None,
    webhook_url: str | None = None,
    dashboard_webhook_url: str | None = None,
    webhook_secret: str | None = None,
    webhook_ca_file: str | None = None,
    idempotency: bool = True,
    retry_delays: Sequence[float] = RETRY_DELAYS,
    retry_time_scale: float = 1.0,
) -> None:
    """Run the sandbox until interrupted, printing its key and URL first."""
    import uvicorn

    generated_key = not api_key  # None, or empty from an unset environment variable
    api_key = api_key or new_api_key()
    generated_secret = not webhook_secret and bool(webhook_url or dashboard_webhook_url)
    if generated_secret:
        webhook_secret = generate_secret()
    url = f"http://{_public_host(host)}:{port}"
    try:
        app = create_app(
            api_key=api_key,
            data=data,
            base_url=url,
            webhook_url=webhook_url,
            dashboard_webhook_url=dashboard_webhook_url,
            webhook_secret=webhook_secret,
            webhook_ca_file=webhook_ca_file,
            idempotency=idempotency,
            retry_delays=retry_delays,
            retry_time_scale=retry_time_scale,
        )
    except ValueError as exc:
        raise SystemExit(f"linksplus sandbox: {exc}") from None
    # A key given by the caller is not echoed in full: logs outlive terminals.
    print(f"Links+ sandbox API key: {api_key if generated_key else mask_key(api_key)}", flush=True)
    print(f"Links+ sandbox listening on {url} (API docs at {url}/docs)", flush=True)
    if generated_secret:
        print(f"Webhook signing secret: {webhook_secret}", flush=True)
    # httpx logs every webhook POST at INFO; a replay would bury the sandbox's own lines.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    print(
        "Idempotency-Key on creates: "
        + ("honoured" if idempotency else "ignored (as Links+ documents no idempotency)"),
        flush=True,
    )
    uvicorn.run(
        DropMarkedConnections(app), host=host, port=port, log_level="info", access_log=False
    )
