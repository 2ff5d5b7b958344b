"""Errors of the practice library's input: each names the file and the field at fault."""

from __future__ import annotations


class DocumentError(ValueError):
    """A practice document is invalid; names the file and the offending field."""

    def __init__(self, file: str, field: str, reason: str) -> None:
        self.file = file
        self.field = field
        self.reason = reason
        super().__init__(f"{file}: field '{field}': {reason}")


class UploadError(DocumentError):
    """An uploaded file is not a practice file Coach can read (name, size or encoding)."""


class UploadTooLarge(UploadError):
    """An uploaded file is over the size limit."""
