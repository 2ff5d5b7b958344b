"""Map domain errors to HTTP responses, each saying what is wrong."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Literal

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from coach.core.db import busy_from
from coach.core.errors import (
    Busy,
    CoachError,
    Conflict,
    Forbidden,
    InvalidInput,
    NoHome,
    NotFound,
    SchemaNotCurrent,
    TooManyRequests,
)
from coach.drafts.store import GenerationFailed
from coach.imports import ImportFailed, RowError
from coach.llm import LLMError
from coach.targets import TargetError

# The one place a domain error gets its HTTP status; a subclass takes its nearest base's
# (UnknownEmployee is a NotFound: 404). The API and the web pages both read it.
STATUS: dict[type[CoachError], int] = {
    NotFound: 404,
    Forbidden: 403,
    Conflict: 409,
    InvalidInput: 422,
    TargetError: 422,
    ImportFailed: 422,
    TooManyRequests: 429,
    LLMError: 502,
    Busy: 503,
    GenerationFailed: 503,
    NoHome: 503,
    SchemaNotCurrent: 503,
}


def status_for(exc: CoachError) -> int:
    """The HTTP status of a domain error: that of the nearest class in `STATUS`."""
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500  # only a CoachError missing from STATUS, which a test forbids


class Error(BaseModel):
    """Every refusal: `detail` says what is wrong, in words."""

    detail: str = Field(description="What is wrong and, where it helps, what to do instead.")
    code: str | None = Field(
        default=None, description="A stable code; sent by the target routes only."
    )


class FieldError(BaseModel):
    """One invalid field, in FastAPI's shape; `input` and `ctx` ride along when known."""

    model_config = ConfigDict(extra="allow")

    loc: list[str | int] = Field(description="Where the field is: `body`, `query`, then names.")
    msg: str = Field(description="Why the value is refused.")
    type: str = Field(description="The kind of problem, e.g. `missing` or `value_error`.")


class DocumentProblem(BaseModel):
    """What is wrong with an uploaded practice document."""

    message: str
    file: str
    field: str
    reason: str


class InvalidRequest(BaseModel):
    """A 422: the fields that are invalid, or a document problem, or a sentence."""

    detail: list[FieldError] | DocumentProblem | str
    code: str | None = Field(
        default=None, description="A stable code; sent by the target routes only."
    )


class ImportRejected(BaseModel):
    """A CSV or .xlsx file rejected whole, with every problem found; nothing was imported."""

    detail: str
    errors: list[RowError]


class GenerationFailedError(BaseModel):
    """A draft that could not be generated even offline; it is kept as failed."""

    detail: str
    draft_id: str
    status: Literal["failed"]


_DESCRIPTIONS = {
    400: "The body could not be parsed at all (not JSON, or not the declared encoding).",
    401: "No valid bearer token.",
    403: "The caller's role or scope does not allow this.",
    404: "A record named in the request does not exist.",
    409: "The request conflicts with the record's current state.",
    413: "The request is larger than its limit.",
    422: "The request is invalid; `detail` names each field and why.",
    429: "Too many requests of this kind are waiting; retry once others are decided.",
    503: "The database is busy; nothing was written, retry after `Retry-After` seconds.",
}


def error_responses(
    *statuses: int, overrides: Mapping[int, tuple[Any, str]] | None = None
) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of a route: each error status it can answer, its body and meaning.

    `overrides` gives a status a body model and description of its own (status: (model, text)).
    """
    declared: dict[int | str, dict[str, Any]] = {}
    for status in sorted(statuses):
        model, description = (overrides or {}).get(
            status, (InvalidRequest if status == 422 else Error, _DESCRIPTIONS[status])
        )
        declared[status] = {"model": model, "description": description}
    return declared


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


def _body(exc: CoachError) -> dict[str, Any]:
    """The JSON body of a domain error: `detail` says what is wrong, some errors add fields."""
    if isinstance(exc, InvalidInput):
        loc = ["body", *exc.field.split(".")]
        return {"detail": [{"loc": loc, "msg": exc.reason, "type": "value_error"}]}
    if isinstance(exc, TargetError):
        return {"detail": exc.message, "code": exc.code}
    if isinstance(exc, GenerationFailed):
        return {"detail": str(exc), "draft_id": exc.draft_id, "status": "failed"}
    if isinstance(exc, ImportFailed):
        return {"detail": str(exc), "errors": [e.model_dump() for e in exc.errors]}
    return {"detail": str(exc)}


def _headers(exc: CoachError) -> dict[str, str] | None:
    """Headers a domain error's response carries: when to retry after `Busy`."""
    return {"Retry-After": str(exc.retry_after)} if isinstance(exc, Busy) else None


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers: request validation, and every domain error through `STATUS`."""

    @app.exception_handler(RequestValidationError)
    async def request_invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        # The errors echo the input, which may be exactly what JSON cannot encode.
        errors = [encodable_error(e) for e in exc.errors()]
        return JSONResponse({"detail": errors}, status_code=422)

    @app.exception_handler(CoachError)
    async def domain_error(_: Request, exc: CoachError) -> JSONResponse:
        return JSONResponse(_body(exc), status_code=status_for(exc), headers=_headers(exc))

    @app.exception_handler(DBAPIError)
    async def database_error(request: Request, exc: DBAPIError) -> JSONResponse:
        # A lock or statement timeout outside a unit of work (a read, say): still `Busy`.
        busy = busy_from(exc)
        if busy is None:
            raise exc
        return await domain_error(request, busy)

    @app.exception_handler(PoolTimeout)
    async def pool_exhausted(request: Request, _: PoolTimeout) -> JSONResponse:
        # Every pooled connection stayed busy past the pool timeout: nothing was started.
        return await domain_error(request, Busy())
