"""Domain errors. Each names what went wrong and has a stable `code`; `api/errors.py` alone
maps them to HTTP statuses, so nothing in `coach` knows about HTTP.

A few exceptions stay outside `CoachError` on purpose, since none leaves its callers as
itself: `DocumentError` and `CollectionNameError` (coach.knowledge) are ValueErrors that the
API, the upload page and the CLI each report with the file and field they concern;
`StoreError` is the vector store refusing, which callers report with the collection (or,
at start-up, as a bad store setting); `ArtifactError` (coach.quality) is a broken install,
not anything a request did, so it should stay a 500 with its traceback; `SendFailed`
(coach.reminders) is one failed try at delivering a reminder, recorded on its delivery.
"""

from __future__ import annotations


class CoachError(Exception):
    """Base of every error the domain raises on purpose."""

    code: str = "error"


class NotFound(CoachError):
    """A named record does not exist."""

    code = "not_found"

    def __init__(self, kind: str, key: str, *, hint: str = "") -> None:
        # The hint says where the valid keys are, so a guessed key is not a dead end.
        super().__init__(f"{kind} {key!r} not found" + (f"; {hint}" if hint else ""))
        self.kind = kind
        self.key = key


class Forbidden(CoachError):
    """The caller may not do this to this record."""

    code = "forbidden"


class Conflict(CoachError):
    """The request conflicts with the record's current state."""

    code = "conflict"


class Busy(CoachError):
    """The database stayed locked by other writers; nothing was written, so a retry is safe."""

    code = "busy"

    def __init__(self, retry_after: int = 1) -> None:
        super().__init__(
            f"the database is busy with other writes; nothing was saved, retry in {retry_after} s"
        )
        self.retry_after = retry_after


class InvalidInput(CoachError):
    """A field of the request is invalid."""

    code = "invalid_input"

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class TooManyRequests(CoachError):
    """The caller asked for more than a configured bound allows; it lifts once others act."""

    code = "too_many_requests"


class NoHome(CoachError):
    """COACH_HOME holds no Coach data, so a command that needs existing data cannot run."""

    code = "no_home"

    def __init__(self, home: str) -> None:
        super().__init__(
            f"no Coach data at {home}: run `coach init` (an empty home) or `coach demo` "
            "(the demo company) to create it, or set COACH_HOME to the folder that holds "
            "your data (the default is ./.coach in the current folder)"
        )
        self.home = home


class SchemaNotCurrent(CoachError):
    """The database schema is not the one this code needs; `coach db upgrade` brings it there."""

    code = "schema_not_current"

    def __init__(self, database: str, *, current: list[str], expected: list[str]) -> None:
        super().__init__(
            f"the database {database} is at schema revision {', '.join(current) or 'none'}, "
            f"this version of Coach needs {', '.join(expected)}: run `coach db upgrade` once "
            "(with the same COACH_DATABASE_URL / COACH_HOME), then start the workers"
        )
        self.current = current
        self.expected = expected
