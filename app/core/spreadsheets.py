"""CSV exports that stream: UTF-8 with a byte-order mark (Excel), cells that cannot become formulas."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: str) -> str:
    """Text a spreadsheet shows as text: a leading formula character is neutralised with an apostrophe."""
    return f"'{value}" if value.startswith(_FORMULA_STARTS) else value


def csv_lines(header: Sequence[str], batches: Iterable[Iterable[Sequence[str]]]) -> Iterator[bytes]:
    """Encoded CSV, one chunk per batch of rows, so a large export never sits whole in memory."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow([spreadsheet_safe(title) for title in header])
    yield buffer.getvalue().encode()
    for batch in batches:
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(batch)
        yield buffer.getvalue().encode()
