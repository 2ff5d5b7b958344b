"""Domain errors; the API maps each to one HTTP status."""

from __future__ import annotations


class CoachError(Exception):
    """Base of every error the domain raises on purpose."""


class NotFound(CoachError):
    """A named record does not exist."""

    def __init__(self, kind: str, key: str) -> None:
        super().__init__(f"{kind} {key!r} not found")
        self.kind = kind
        self.key = key


class Forbidden(CoachError):
    """The caller may not do this to this record."""


class Conflict(CoachError):
    """The request conflicts with the record's current state."""


class Busy(CoachError):
    """The database stayed locked by other writers; nothing was written, so a retry is safe."""

    def __init__(self, retry_after: int = 1) -> None:
        super().__init__(
            f"the database is busy with other writes; nothing was saved, retry in {retry_after} s"
        )
        self.retry_after = retry_after


class InvalidInput(CoachError):
    """A field of the request is invalid."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class TooManyRequests(CoachError):
    """The caller asked for more than a configured bound allows; it lifts once others act."""


class NoHome(CoachError):
    """COACH_HOME holds no Coach data, so a command that needs existing data cannot run."""

    def __init__(self, home: str) -> None:
        super().__init__(
            f"no Coach data at {home}: run `coach init` (an empty home) or `coach demo` "
            "(the demo company) to create it, or set COACH_HOME to the folder that holds "
            "your data (the default is ./.coach in the current folder)"
        )
        self.home = home
