"""The benchmark's app: the real application plus one trivial route that measures the framework's ceiling.

Served by `uvicorn bench.app:make_bench_app --factory`; the extra route never exists in the real app.
"""

from __future__ import annotations

from fastapi import Depends, FastAPI
from fastapi.responses import PlainTextResponse

from app.core.access import PUBLIC
from app.core.config import Settings
from app.main import create_app

HELLO_PATH = "/__bench/hello"


def bench_hello() -> PlainTextResponse:
    # A plain `def` like the real page handlers, so it pays the same thread-pool hop and differs only in work.
    return PlainTextResponse("hello")


def make_bench_app() -> FastAPI:
    app = create_app(Settings())
    # Same middleware, CSRF dependency and access policy as every page: the ceiling a real page can reach.
    app.add_api_route(
        HELLO_PATH,
        bench_hello,
        methods=["GET"],
        dependencies=[Depends(PUBLIC)],
        response_class=PlainTextResponse,
        name="bench_hello",
    )
    return app
