from __future__ import annotations

from fastapi import APIRouter, HTTPException, UploadFile, status

from coach.imports import ImportKind, ImportReport
from coach.imports import import_file as import_records

from ..deps import AdminUser, SessionDep, SettingsDep
from ..errors import ImportRejected, InvalidRequest, error_responses

router = APIRouter(prefix="/v1/imports", tags=["imports"])


_REJECTED = (
    InvalidRequest | ImportRejected,
    "The file was rejected whole, with row-level errors; or a field is invalid.",
)


@router.post(
    "/{kind}",
    response_model=ImportReport,
    responses=error_responses(401, 403, 413, 422, 503, overrides={422: _REJECTED}),
)
def import_file(
    kind: ImportKind, file: UploadFile, session: SessionDep, user: AdminUser, settings: SettingsDep
) -> ImportReport:
    """Import a CSV or Excel (.xlsx) file (all rows or none)."""
    # A plain `def` runs in the threadpool: the import blocks on the database, not the event loop.
    data = file.file.read(settings.max_upload_bytes + 1)
    if len(data) > settings.max_upload_bytes:
        raise HTTPException(
            status.HTTP_413_CONTENT_TOO_LARGE,
            f"file: larger than the limit of {settings.max_upload_bytes} bytes",
        )
    # The content decides CSV or Excel (a workbook is a zip archive), whatever the name says.
    return import_records(session, kind, data, actor=user.label, review_scale=settings.review_scale)
