from __future__ import annotations

from fastapi import APIRouter, HTTPException, UploadFile, status

from api.deps import AdminUser, SessionDep, SettingsDep
from coach.imports import ImportKind, ImportReport, import_csv

router = APIRouter(prefix="/v1/imports", tags=["imports"])


@router.post(
    "/{kind}",
    response_model=ImportReport,
    responses={422: {"description": "The file was rejected whole, with row-level errors"}},
)
def import_file(
    kind: ImportKind, file: UploadFile, session: SessionDep, user: AdminUser, settings: SettingsDep
) -> ImportReport:
    """Import a CSV file (all rows or none)."""
    # A plain `def` runs in the threadpool: the import blocks on the database, not the event loop.
    data = file.file.read(settings.max_upload_bytes + 1)
    if len(data) > settings.max_upload_bytes:
        raise HTTPException(
            status.HTTP_413_CONTENT_TOO_LARGE,
            f"file: larger than the limit of {settings.max_upload_bytes} bytes",
        )
    return import_csv(session, kind, data, actor=user.label)
