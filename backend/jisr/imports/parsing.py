"""Reading spreadsheets as people really write them. Pure functions, no database.

CSV in UTF-8 (with or without BOM) or Windows-1252, separated by `;`, `,` or tabs; XLSX (first
sheet); JSON (an array of objects, or `{"items": [...]}`). Rows come out as (row number, {header:
value}); the row number is the one a person sees: the spreadsheet line (header = 1) for CSV and
XLSX, the 1-based position in the array for JSON.
"""

import codecs
import csv
import io
import json
import re
import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from typing import IO, Any

from jisr.imports.messages import Problem

CSV_FIELD_LIMIT = 1_000_000
csv.field_size_limit(CSV_FIELD_LIMIT)
# Bounds on hostile files (issue 14): no import has more than a few dozen columns; a header line is short.
MAX_COLUMNS = 1000
MAX_HEADER_CHARS = 100_000
MAX_ARCHIVE_MEMBERS = 10_000


class FileError(ValueError):
    """The file as a whole cannot be read (wrong format, broken encoding, no header…)."""


RawRow = tuple[int, dict[str, Any]]


def detect_format(head: bytes, filename: str | None = None, content_type: str | None = None) -> str:
    """csv, xlsx or json, from the first bytes (then the name and type); FileError for anything else."""
    name = (filename or "").lower()
    ctype = (content_type or "").lower()
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped[:1] in (b"[", b"{") or name.endswith(".json") or "json" in ctype:
        return "json"
    if b"\x00" in head[:8192]:
        raise FileError("This file is neither CSV, XLSX nor JSON (it looks binary).")
    if name.endswith((".xls", ".ods", ".numbers")):
        raise FileError("Save the spreadsheet as .xlsx or .csv first: .xls/.ods files are not read.")
    return "csv"


def _encoding(stream: IO[bytes]) -> str:
    """utf-8-sig with a BOM, utf-8 when every byte decodes, else Windows-1252. Reads the stream once."""
    stream.seek(0)
    head = stream.read(3)
    stream.seek(0)
    if head == codecs.BOM_UTF8:
        return "utf-8-sig"
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        while chunk := stream.read(1 << 20):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
        return "utf-8"
    except UnicodeDecodeError:
        return "cp1252"
    finally:
        stream.seek(0)


def _delimiter(header_line: str) -> str:
    counts = {d: 0 for d in (";", ",", "\t")}
    quoted = False
    for ch in header_line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _check_headers(headers: list[str]) -> list[str]:
    cleaned = [h.strip() if isinstance(h, str) else ("" if h is None else str(h).strip()) for h in headers]
    if not any(cleaned):
        raise FileError("The first line must hold the column names; it is empty.")
    seen: set[str] = set()
    for h in cleaned:
        if h and h.casefold() in seen:
            raise FileError(f"The column '{h}' appears twice in the header.")
        seen.add(h.casefold())
    return cleaned


def _too_many_columns(count: int) -> FileError:
    return FileError(f"The file has {count} columns; an import reads at most {MAX_COLUMNS}.")


def read_csv(stream: IO[bytes]) -> Iterator[RawRow]:
    encoding = _encoding(stream)
    try:
        text = io.TextIOWrapper(stream, encoding=encoding, newline="")
        first = text.readline(MAX_HEADER_CHARS + 1)
    except UnicodeDecodeError as exc:
        raise FileError("The file is not text in UTF-8 or Windows-1252.") from exc
    if len(first) > MAX_HEADER_CHARS:
        raise FileError(f"The first line (the column names) is longer than {MAX_HEADER_CHARS} characters.")
    if "\x00" in first:
        raise FileError("This file is neither CSV, XLSX nor JSON (it looks binary).")
    delimiter = _delimiter(first)
    try:
        header_cells = next(csv.reader([first], delimiter=delimiter), [])
    except csv.Error as exc:
        raise FileError(f"Line 1: {exc}.") from exc
    if len(header_cells) > MAX_COLUMNS:
        raise _too_many_columns(len(header_cells))
    headers = _check_headers(header_cells)
    reader = csv.reader(text, delimiter=delimiter)
    line = 1
    try:
        for values in reader:
            line = reader.line_num + 1
            if not any(v.strip() for v in values):
                continue
            if any("\x00" in v for v in values):
                raise FileError(f"Line {line} holds binary data: this is not a CSV file.")
            if len(values) > MAX_COLUMNS:
                raise FileError(f"Line {line} has {len(values)} columns; an import reads at most {MAX_COLUMNS}.")
            row: dict[str, Any] = {}
            for i, value in enumerate(values):
                if i < len(headers) and headers[i]:
                    row[headers[i]] = value
                elif value.strip():
                    row[f"#{i + 1}"] = value  # a value beyond the header: reported as an unknown column
            yield line, row
    except csv.Error as exc:
        raise FileError(f"Line {line}: {exc}.") from exc
    except UnicodeDecodeError as exc:
        raise FileError("The file is not text in UTF-8 or Windows-1252.") from exc
    finally:
        text.detach()


def check_zip(stream: IO[bytes], *, max_bytes: int) -> None:
    """Refuse a zip (an .xlsx is one) with too many members or expanding past ``max_bytes``, before it is
    opened: the sizes are those of the zip's directory, which the reader then holds each member to."""
    try:
        with zipfile.ZipFile(stream) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise FileError("This .xlsx file cannot be opened (damaged, or not an Excel workbook).") from exc
    finally:
        stream.seek(0)
    if len(members) > MAX_ARCHIVE_MEMBERS:
        raise FileError(f"This .xlsx file holds more than {MAX_ARCHIVE_MEMBERS} files.")
    if sum(m.file_size for m in members) > max_bytes:
        raise FileError(f"This .xlsx file expands to more than {max_bytes // 2**20} MiB: it is refused.")


def read_xlsx(stream: IO[bytes]) -> Iterator[RawRow]:
    from openpyxl import load_workbook

    from jisr.core.config import get_settings

    check_zip(stream, max_bytes=get_settings().import_max_expanded_bytes)
    try:
        wb = load_workbook(stream, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise FileError("This .xlsx file cannot be opened (damaged, or not an Excel workbook).") from exc
    try:
        ws = wb.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        header_cells = next(rows, None)
        if header_cells is None:
            raise FileError("The first sheet is empty.")
        if len(header_cells) > MAX_COLUMNS and any(c is not None for c in header_cells[MAX_COLUMNS:]):
            raise _too_many_columns(len(header_cells))
        headers = _check_headers(list(header_cells[:MAX_COLUMNS]))
        for number, cells in enumerate(rows, start=2):
            if len(cells) > MAX_COLUMNS and any(c is not None for c in cells[MAX_COLUMNS:]):
                raise FileError(f"Row {number} has values beyond column {MAX_COLUMNS}; an import reads no more.")
            cells = cells[:MAX_COLUMNS]
            if all(c is None or (isinstance(c, str) and not c.strip()) for c in cells):
                continue
            row: dict[str, Any] = {}
            for i, value in enumerate(cells):
                if i < len(headers) and headers[i]:
                    row[headers[i]] = value
                elif value is not None and str(value).strip():
                    row[f"#{i + 1}"] = value
            yield number, row
    finally:
        wb.close()


def read_json(stream: IO[bytes]) -> Iterator[RawRow]:
    try:
        data = json.load(io.TextIOWrapper(stream, encoding="utf-8-sig"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise FileError(f"This is not valid JSON: {exc}.") from exc
    except RecursionError as exc:
        raise FileError("This JSON is nested too deep to be an import (arrays or objects within each other).") from exc
    if isinstance(data, dict) and isinstance(data.get("items"), list):
        data = data["items"]
    if not isinstance(data, list):
        raise FileError('JSON imports are an array of objects, or {"items": [...]}.')
    for number, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            yield number, {"#": item}
        else:
            yield number, item


def read_rows(stream: IO[bytes], fmt: str) -> Iterator[RawRow]:
    if fmt == "xlsx":
        return read_xlsx(stream)
    if fmt == "json":
        return read_json(stream)
    return read_csv(stream)


# --- cell values -------------------------------------------------------------------------

_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y", "%d.%m.%Y", "%Y/%m/%d")
_DATETIME_FORMATS = ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M")


def blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_date(value: Any) -> date:
    """2021-06-15 or 15/06/2021 (day first, as in France and Lebanon), or a spreadsheet date."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise Problem("not_date", value=text)


def parse_datetime(value: Any) -> datetime:
    """A date (midnight) or a date and time; ISO 8601 with an offset keeps it."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    text = _FRENCH_HOUR.sub(lambda m: f" {m.group(1)}:{m.group(2) or '00'}", str(value).strip())
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        pass
    for fmt in _DATETIME_FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    d = parse_date(text)
    return datetime(d.year, d.month, d.day)


_FRENCH_HOUR = re.compile(r"\s+(?:a\s+|à\s+)?(\d{1,2})\s*h\s*(\d{2})?$", re.IGNORECASE)  # "15/06/2021 à 14h30"
_INT = re.compile(r"^[+-]?\d+$")


_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")  # Arabic-Indic and Eastern Arabic
_MONEY = r"(?:€|\$|£|eur|euros?|usd|lbp|l\.?l\.?|ل\.?ل\.?)"
_CURRENCY = re.compile(rf"^{_MONEY}\s*|\s*{_MONEY}$", re.I)


def _plain_number(value: Any) -> str:
    """`120 000 €`, `15 000`, `$ 2500`, `٢٥٠٠٠٠`: digits without spaces, currency or Arabic digit forms."""
    text = str(value).strip().translate(_DIGITS)
    text = _CURRENCY.sub("", text).strip()
    return text.replace("\u202f", "").replace("\xa0", "").replace("\u066c", "").replace(" ", "")


def parse_int(value: Any) -> int:
    if isinstance(value, bool):
        raise Problem("not_whole_number", value=str(value))
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise Problem("not_whole_number", value=str(value))
    text = _plain_number(value)
    if text.endswith(".0"):
        text = text[:-2]
    if not _INT.match(text):
        raise Problem("not_whole_number", value=str(value))
    return int(text)


def parse_year(value: Any) -> int:
    """2019, or a date whose year is taken (15/06/2019)."""
    if isinstance(value, date | datetime):
        return value.year
    try:
        return parse_int(value)
    except ValueError:
        try:
            return parse_date(value).year
        except ValueError:
            raise Problem("not_year", value=str(value)) from None


def parse_float(value: Any) -> float:
    if isinstance(value, bool):
        raise Problem("not_number", value=str(value))
    if isinstance(value, int | float):
        return float(value)
    text = _plain_number(value).replace("\u066b", ".").replace(",", ".")
    try:
        return float(text)
    except ValueError:
        raise Problem("not_number", value=str(value)) from None


_TRUE = {"1", "true", "yes", "y", "oui", "o", "vrai", "x", "نعم"}
_FALSE = {"0", "false", "no", "n", "non", "faux", "لا"}


def parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    text = str(value).strip().casefold()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise Problem("not_yes_no", value=str(value))


_LIST_SPLIT = re.compile(r"\s*[|;\n]\s*")


def split_list(value: Any) -> list[str]:
    """A cell holding several values: `a | b`, `a; b` (and `a, b` where the values hold no comma)."""
    if isinstance(value, list):
        return [str(v).strip() for v in value if not blank(v)]
    text = str(value).strip()
    if not text:
        return []
    parts = _LIST_SPLIT.split(text)
    if len(parts) == 1 and "," in text:
        parts = text.split(",")
    return [p.strip() for p in parts if p.strip()]


def split_list_keeping_commas(value: Any) -> list[list[str]]:
    """Pieces split on `|`, `;` or new lines; each piece also offered split on commas (for labels)."""
    if isinstance(value, list):
        return [[str(v).strip()] for v in value if not blank(v)]
    return [[p] for p in _LIST_SPLIT.split(str(value).strip()) if p]
