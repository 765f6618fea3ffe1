"""Files people open in a spreadsheet: formula neutralising and CSV that French Excel opens as is.

The one place where CSV and XLSX cells are made safe: text a spreadsheet would run as a formula
gets a leading apostrophe, and characters the format cannot hold are replaced.
"""

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from jisr.core.hygiene import for_json, for_xml

# What a spreadsheet reads as the start of a formula: ASCII and full-width = + - @, and tab or CR
# (after which some spreadsheets still evaluate). Leading spaces and line breaks are skipped first:
# " =1+1" and "\n=1+1" are formulas to some of them too.
FORMULA_START = ("=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20", "\t", "\r")
_SKIPPED = " \n\u00a0\u3000"


def neutralise(value: Any) -> Any:
    """Text a spreadsheet would run as a formula gets a leading apostrophe; numbers stay numbers."""
    if isinstance(value, str) and value.lstrip(_SKIPPED).startswith(FORMULA_START):
        return "'" + value
    return "" if value is None else value


def csv_cell(value: Any) -> Any:
    """A CSV cell: neutralised, and encodable as UTF-8 (an unpaired surrogate becomes U+FFFD)."""
    value = neutralise(value)
    return for_json(value) if isinstance(value, str) else value


def xlsx_cell(value: Any) -> Any:
    """An XLSX cell: neutralised, and holding only characters XML 1.0 allows."""
    value = neutralise(value)
    return for_xml(value) if isinstance(value, str) else value


def excel_csv(header: Sequence[str], rows: Iterable[Sequence[Any]], separator: str = ";") -> bytes:
    """UTF-8 with a BOM, `;` by default, CRLF: French Excel opens it without an import wizard."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=separator, lineterminator="\r\n")
    writer.writerow([csv_cell(h) for h in header])
    for row in rows:
        writer.writerow([csv_cell(cell) for cell in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
