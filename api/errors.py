"""Map domain errors to HTTP responses, each saying what is wrong."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from coach.drafts import GenerationFailed
from coach.errors import Busy, Conflict, Forbidden, InvalidInput, NotFound, TooManyRequests
from coach.imports import ImportFailed
from coach.targets import TargetError


def _printable(value: Any) -> Any:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "backslashreplace")
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")  # "\\ud800", not a 500
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def encodable_error(error: Mapping[str, Any]) -> dict[str, Any]:
    """A validation error as JSON can carry it: NaN as "nan", a lone surrogate as "\\ud800"."""
    # A list or object input is part of the caller's own body, possibly nested as deep as the
    # parser allows; it is left out rather than walked. Single values are still echoed.
    kept = {k: v for k, v in error.items() if k != "input" or not isinstance(v, list | dict)}
    encoded: dict[str, Any] = jsonable_encoder(kept, custom_encoder={bytes: _printable})
    for key, value in encoded.items():
        if isinstance(value, list):
            encoded[key] = [_printable(v) for v in value]
        elif isinstance(value, dict):
            encoded[key] = {_printable(k): _printable(v) for k, v in value.items()}
        else:
            encoded[key] = _printable(value)
    return encoded


def install_error_handlers(app: FastAPI) -> None:
    """Register one handler per domain error type."""

    @app.exception_handler(RequestValidationError)
    async def request_invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        # The errors echo the input, which may be exactly what JSON cannot encode.
        errors = [encodable_error(e) for e in exc.errors()]
        return JSONResponse({"detail": errors}, status_code=422)

    @app.exception_handler(NotFound)
    async def not_found(_: Request, exc: NotFound) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=404)

    @app.exception_handler(Forbidden)
    async def forbidden(_: Request, exc: Forbidden) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=403)

    @app.exception_handler(Conflict)
    async def conflict(_: Request, exc: Conflict) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=409)

    @app.exception_handler(TooManyRequests)
    async def too_many(_: Request, exc: TooManyRequests) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=429)

    @app.exception_handler(Busy)
    async def busy(_: Request, exc: Busy) -> JSONResponse:
        return JSONResponse(
            {"detail": str(exc)}, status_code=503, headers={"Retry-After": str(exc.retry_after)}
        )

    @app.exception_handler(InvalidInput)
    async def invalid(_: Request, exc: InvalidInput) -> JSONResponse:
        detail = [
            {"loc": ["body", *exc.field.split(".")], "msg": exc.reason, "type": "value_error"}
        ]
        return JSONResponse({"detail": detail}, status_code=422)

    @app.exception_handler(TargetError)
    async def target_error(_: Request, exc: TargetError) -> JSONResponse:
        return JSONResponse({"detail": exc.message, "code": exc.code}, status_code=exc.http_status)

    @app.exception_handler(GenerationFailed)
    async def generation_failed(_: Request, exc: GenerationFailed) -> JSONResponse:
        return JSONResponse(
            {"detail": str(exc), "draft_id": exc.draft_id, "status": "failed"}, status_code=503
        )

    @app.exception_handler(ImportFailed)
    async def import_failed(_: Request, exc: ImportFailed) -> JSONResponse:
        return JSONResponse(
            {"detail": str(exc), "errors": [e.model_dump() for e in exc.errors]},
            status_code=422,
        )
