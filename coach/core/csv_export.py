"""CSV files meant for a spreadsheet: text from users never runs as a formula.

Excel, LibreOffice and Google Sheets evaluate a cell starting with `=`, `+`, `-` or `@`
(and, after a tab or carriage return, still); an employee named `=HYPERLINK(...)` would run
on HR's machine. As OWASP recommends, such text gets a leading `'`, which spreadsheets show
as plain text. Numbers stay numbers: a float -0.5 is written as it is, since a numeric cell
cannot hold a formula; only text is changed.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """The value to write in a cell: text that would start a formula is quoted with `'`."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_csv(columns: Sequence[str], rows: Iterable[Mapping[str, object]]) -> str:
    """CSV text with a header, every cell passed through `safe_cell`."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    for row in rows:
        writer.writerow({column: safe_cell(value) for column, value in row.items()})
    return out.getvalue()
