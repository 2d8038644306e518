"""Small aiohttp servers on 127.0.0.1 that play a proxy or a server that is not Immich."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from aiohttp import web


@asynccontextmanager
async def serve(app: web.Application) -> AsyncIterator[str]:
    """Serve `app` on a free port of 127.0.0.1, yield its base URL, and stop it on exit."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server = site._server
    assert server is not None
    sockets = getattr(server, "sockets", None)
    assert sockets
    port = sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@dataclass(slots=True)
class RequestLog:
    """Each request a logging server received, as `METHOD /path`, and the API keys sent."""

    requests: list[str] = field(default_factory=list)
    api_keys: list[str] = field(default_factory=list)


def logging_app(log: RequestLog) -> web.Application:
    """An app that records every request in `log` and responds 200 with an HTML page."""

    async def record(request: web.Request) -> web.Response:
        log.requests.append(f"{request.method} {request.path}")
        if "x-api-key" in request.headers:
            log.api_keys.append(request.headers["x-api-key"])
        return web.Response(text="<html>Sign in</html>", content_type="text/html")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", record)
    return app


def redirecting_app(location: str, status: int = 302) -> web.Application:
    """An app that redirects every request to `location` followed by the request's path."""

    async def redirect(request: web.Request) -> web.Response:
        return web.Response(status=status, headers={"Location": f"{location}{request.path_qs}"})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", redirect)
    return app


def json_app(routes: dict[str, bytes]) -> web.Application:
    """An app that responds to `GET <path>` with the JSON body given for that path."""
    app = web.Application()
    for path, body in routes.items():

        async def respond(request: web.Request, body: bytes = body) -> web.Response:
            return web.Response(body=body, content_type="application/json")

        app.router.add_get(path, respond)
    return app
