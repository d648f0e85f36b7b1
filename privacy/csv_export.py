"""CSV downloads (commissioning tables, staff exports).

A cell that starts with = + - @ (or a tab or carriage return) is read as a
formula by spreadsheet programs; such cells are prefixed with an apostrophe
so that opening a download can never run anything (CSV injection).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence

from django.http import HttpResponse, StreamingHttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: object) -> str:
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def csv_response(
    *, filename: str, columns: Sequence[str], rows: Iterable[Sequence[object]]
) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow([csv_safe(c) for c in columns])
    for row in rows:
        writer.writerow([csv_safe(c) for c in row])
    return response


class _Line:
    """A file-like object whose write returns the line, for csv.writer."""

    def write(self, value: str) -> str:
        return value


def csv_streaming_response(
    *, filename: str, columns: Sequence[str], rows: Iterable[Sequence[object]]
) -> StreamingHttpResponse:
    """Like csv_response, but written row by row as the download proceeds:
    for exports of big tables (with ``audit.admin_utils.keyset_iterate``), so
    memory stays flat however many rows there are."""
    writer = csv.writer(_Line())

    def lines() -> Iterator[str]:
        yield writer.writerow([csv_safe(c) for c in columns])
        for row in rows:
            yield writer.writerow([csv_safe(c) for c in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
