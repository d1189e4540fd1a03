"""CSV for people: downloads whose text cells a spreadsheet shows as text."""

import csv
import io

from django.http import HttpResponse

# A text cell starting with one of these is a formula to a spreadsheet.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value):
    """A cell as text a spreadsheet shows as text: a leading apostrophe before a text
    that would start a formula (an organization's name, a field's value). Numbers stay."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_attachment(header: list[str], rows, filename: str) -> HttpResponse:
    """A CSV download, every text cell spreadsheet-safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([spreadsheet_safe(value) for value in row] for row in rows)
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
