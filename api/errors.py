"""Map domain errors to HTTP responses, each saying what is wrong."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from coach.chains.service import GenerationFailed
from coach.errors import Busy, Conflict, Forbidden, InvalidInput, NotFound
from coach.imports import ImportFailed
from coach.targets import TargetError


def install_error_handlers(app: FastAPI) -> None:
    """Register one handler per domain error type."""

    @app.exception_handler(NotFound)
    async def not_found(_: Request, exc: NotFound) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=404)

    @app.exception_handler(Forbidden)
    async def forbidden(_: Request, exc: Forbidden) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=403)

    @app.exception_handler(Conflict)
    async def conflict(_: Request, exc: Conflict) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=409)

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
