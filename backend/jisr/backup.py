"""Backups: the whole database as one portable file, and back.

The file is gzip'd JSON lines, the same for SQLite and PostgreSQL (a backup of one restores into the
other). Line 1 is a header: format version, app version, the schema's alembic revisions and, per table,
its columns and row count. Then, table by table in foreign-key order (``metadata.sorted_tables``), a line
``{"table": name, "rows": n}`` followed by one JSON array per row; the last line is ``{"end": true, ...}``
so that a file cut at a line boundary is caught too. Rows are read and written in batches: memory stays
bounded whatever the size of the database.

Values are encoded from the column types of ``jisr.models.metadata`` (UUID and timestamps as text, bytes
as base64, JSON as JSON) and decoded with the same types, so they come back as the same Python values.
A restore therefore needs the schema the backup was made with: it refuses a file of other revisions.
It runs in one transaction: a truncated or corrupted file, or any failed row, leaves the database as
it was.
"""

import base64
import gzip
import io
import json
import os
import uuid
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from sqlalchemy import (
    JSON,
    Column,
    Connection,
    Engine,
    Integer,
    Table,
    bindparam,
    delete,
    func,
    select,
    text,
    update,
)
from sqlalchemy.types import TypeDecorator

from jisr import __version__
from jisr.models import metadata

FORMAT = "jisr-backup"
FORMAT_VERSION = 1
BATCH = 1000
REFERENCE_TABLES = frozenset({"thematic_tags"})
"""Filled by every start (``bootstrap``): a database holding only these still counts as empty."""

Progress = Callable[[int], None]


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why, for the person at the terminal."""


@dataclass
class Summary:
    tables: dict[str, int] = field(default_factory=dict)
    revisions: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(self.tables.values())


# --- values ------------------------------------------------------------------------------------------


def _kind(column: Column[Any]) -> str:
    """How a column's values are written: json, uuid, datetime, date, time, bytes, decimal or plain."""
    sql_type = column.type
    while isinstance(sql_type, TypeDecorator):  # UTCDateTime, AutoString…: what the database holds
        sql_type = sql_type.impl_instance
    if isinstance(sql_type, JSON):
        return "json"
    try:
        python_type = sql_type.python_type
    except NotImplementedError:
        return "plain"
    for kind, cls in (
        ("uuid", uuid.UUID),
        ("datetime", datetime),  # before date: datetime is a date
        ("date", date),
        ("time", time),
        ("bytes", bytes),
        ("decimal", Decimal),
    ):
        if issubclass(python_type, cls):
            return kind
    return "plain"


def _encoder(kind: str) -> Callable[[Any], Any]:
    if kind == "uuid":
        return str
    if kind in ("datetime", "date", "time"):
        return lambda v: v.isoformat()
    if kind == "bytes":
        return lambda v: base64.b64encode(v).decode("ascii")
    if kind == "decimal":
        return str
    return lambda v: v


def _decoder(kind: str) -> Callable[[Any], Any]:
    if kind == "uuid":
        return uuid.UUID
    if kind == "datetime":

        def to_datetime(v: str) -> datetime:
            value = datetime.fromisoformat(v)
            # a naive value comes from a column without time zone: it stays naive
            return value.astimezone(UTC) if value.tzinfo is not None else value

        return to_datetime
    if kind == "date":
        return date.fromisoformat
    if kind == "time":
        return time.fromisoformat
    if kind == "bytes":
        return base64.b64decode
    if kind == "decimal":
        return Decimal
    return lambda v: v


def _codec(table: Table, *, decode: bool) -> list[Callable[[Any], Any]]:
    make = _decoder if decode else _encoder

    def nullable(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
        return lambda v: None if v is None else convert(v)

    return [nullable(make(_kind(column))) for column in table.columns]


# --- schema ------------------------------------------------------------------------------------------


def revisions(conn: Connection) -> list[str]:
    """The alembic revisions the database is at (sorted; several when migrations branch)."""
    try:
        return sorted(r[0] for r in conn.execute(text("SELECT version_num FROM alembic_version")))
    except Exception as exc:  # no alembic_version table: never migrated
        raise BackupError("The database has no schema: run `jisr migrate` first.") from exc


def _tables() -> list[Table]:
    return list(metadata.sorted_tables)


def _self_references(table: Table) -> list[Column[Any]]:
    """Columns that point into their own table (a parent): restored in a second pass."""
    return [fk.parent for fk in table.foreign_keys if fk.column.table is table]


def _order(table: Table) -> list[Column[Any]]:
    return list(table.primary_key.columns) or list(table.columns)


# --- backup ------------------------------------------------------------------------------------------


def _snapshot(engine: Engine) -> Connection:
    """A connection whose reads all see one state of the database (backups run beside a live app)."""
    if engine.dialect.name == "postgresql":
        conn = engine.connect().execution_options(isolation_level="REPEATABLE READ")
        conn.exec_driver_sql("SET TRANSACTION READ ONLY")
        return conn
    conn = engine.connect()
    # pysqlite opens no transaction for reads; an explicit one pins the WAL snapshot until the end.
    conn.exec_driver_sql("BEGIN")
    return conn


def backup(engine: Engine, path: Path, *, progress: Progress | None = None, total: Progress | None = None) -> Summary:
    """Write the whole database to ``path`` (gzip'd JSON lines). The file appears only once complete.

    ``total`` is told the number of rows once counted, ``progress`` the rows written since its last call.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    summary = Summary()
    try:
        with _snapshot(engine) as conn:
            summary.revisions = revisions(conn)
            tables = _tables()
            for table in tables:
                summary.tables[table.name] = int(conn.execute(select(func.count()).select_from(table)).scalar_one())
            if total is not None:
                total(summary.rows)
            header = {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "app_version": __version__,
                "created_at": datetime.now(UTC).isoformat(),
                "source": engine.dialect.name,
                "revisions": summary.revisions,
                "tables": [
                    {"name": t.name, "columns": [c.name for c in t.columns], "rows": summary.tables[t.name]}
                    for t in tables
                ],
            }
            # Owner-only: the file holds personal data, password hashes and webhook secrets.
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.fchmod(fd, 0o600)
            with (
                os.fdopen(fd, "wb") as raw,
                gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6) as packed,
                io.TextIOWrapper(packed, encoding="utf-8") as out,
            ):
                out.write(json.dumps(header, ensure_ascii=False) + "\n")
                for table in tables:
                    _dump_table(conn, table, summary.tables[table.name], out, progress)
                out.write(json.dumps({"end": True, "rows": summary.rows}) + "\n")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return summary


def _dump_table(conn: Connection, table: Table, expected: int, out: IO[str], progress: Progress | None) -> None:
    out.write(json.dumps({"table": table.name, "rows": expected}) + "\n")
    encode = _codec(table, decode=False)
    written = 0
    result = conn.execution_options(yield_per=BATCH).execute(select(table).order_by(*_order(table)))
    for rows in result.partitions():
        for row in rows:
            out.write(json.dumps([c(v) for c, v in zip(encode, row, strict=True)], ensure_ascii=False) + "\n")
        written += len(rows)
        if progress is not None:
            progress(len(rows))
    if written != expected:  # cannot happen in a snapshot; a guard, not a feature
        raise BackupError(f"{table.name}: counted {expected} rows but read {written}")


# --- restore -----------------------------------------------------------------------------------------


def read_header(path: Path) -> dict[str, Any]:
    """The header of a backup file, checked for format (not for schema: see ``restore``)."""
    try:
        with gzip.open(path, "rt", encoding="utf-8") as f:
            return _parse_header(f.readline())
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
        raise BackupError(f"{path} is not a readable Jisr backup ({exc}).") from exc


def _parse_header(line: str) -> dict[str, Any]:
    try:
        header = json.loads(line)
    except ValueError:
        header = None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise BackupError("This file is not a Jisr backup (no Jisr header on its first line).")
    if header.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"This backup has format version {header.get('format_version')}; "
            f"this Jisr ({__version__}) reads version {FORMAT_VERSION}."
        )
    return header


def _check_schema(header: dict[str, Any], current: list[str]) -> None:
    theirs = sorted(header.get("revisions") or [])
    if theirs != current:
        raise BackupError(
            f"This backup was made at schema revision {', '.join(theirs) or '(none)'} (Jisr "
            f"{header.get('app_version')}); the database is at {', '.join(current)}. Restore it into a Jisr of the "
            "same version (then migrate), or migrate the database to the backup's revision."
        )
    known = {t.name: [c.name for c in t.columns] for t in _tables()}
    listed = {t["name"]: t["columns"] for t in header.get("tables", [])}
    if listed != known:
        raise BackupError("The tables of this backup differ from this Jisr's schema at the same revision.")


def nonempty_tables(conn: Connection) -> dict[str, int]:
    """Tables holding rows, beyond the reference data every start writes."""
    counts = {}
    for table in _tables():
        if table.name in REFERENCE_TABLES:
            continue
        n = int(conn.execute(select(func.count()).select_from(table)).scalar_one())
        if n:
            counts[table.name] = n
    return counts


def _lines(f: IO[str]) -> Iterator[Any]:
    for number, line in enumerate(f, start=2):
        try:
            yield json.loads(line)
        except ValueError as exc:
            raise BackupError(f"The backup is damaged: line {number} is not JSON.") from exc


def restore(
    engine: Engine,
    path: Path,
    *,
    force: bool = False,
    progress: Progress | None = None,
    total: Progress | None = None,
) -> Summary:
    """Replace the contents of the database with the backup at ``path``, in one transaction.

    Without ``force`` the database must be empty (migrated, nothing but reference tags). The schema
    revision must be the backup's. Any error rolls everything back and raises ``BackupError``.
    """
    header = read_header(path)
    summary = Summary()
    try:
        with engine.connect() as conn, conn.begin():
            summary.revisions = revisions(conn)
            _check_schema(header, summary.revisions)
            if not force and (filled := nonempty_tables(conn)):
                listed = ", ".join(f"{name} ({n})" for name, n in filled.items())
                raise BackupError(f"The database is not empty: {listed}. Restore with --force to replace it.")
            if total is not None:
                total(sum(t["rows"] for t in header["tables"]))
            _clear(conn)
            with gzip.open(path, "rt", encoding="utf-8") as f:
                f.readline()
                summary.tables = _load(conn, header, _lines(f), progress)
            _reset_sequences(conn)
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
        raise BackupError(f"The backup is damaged or cut short ({exc}); the database was not changed.") from exc
    return summary


def _clear(conn: Connection) -> None:
    tables = _tables()
    if conn.dialect.name == "postgresql":
        conn.execute(text("TRUNCATE " + ", ".join(f'"{t.name}"' for t in tables)))
        return
    for table in reversed(tables):
        conn.execute(delete(table))


def _load(conn: Connection, header: dict[str, Any], lines: Iterator[Any], progress: Progress | None) -> dict[str, int]:
    by_name = {t.name: t for t in _tables()}
    expected = [(t["name"], int(t["rows"])) for t in header["tables"]]
    counts: dict[str, int] = {}
    for name, rows in expected:
        start = next(lines, None)
        if start is None:
            raise BackupError(f"The backup is cut short: table {name} is missing.")
        if not isinstance(start, dict) or start.get("table") != name or start.get("rows") != rows:
            raise BackupError(f"The backup is damaged: expected the rows of {name}, found {str(start)[:80]}.")
        counts[name] = _load_table(conn, by_name[name], lines, rows, progress)
    end = next(lines, None)
    if not isinstance(end, dict) or end.get("end") is not True:
        raise BackupError("The backup is cut short: its end mark is missing.")
    if next(lines, None) is not None:
        raise BackupError("The backup is damaged: lines follow its end mark.")
    return counts


def _load_table(conn: Connection, table: Table, lines: Iterator[Any], rows: int, progress: Progress | None) -> int:
    names = [c.name for c in table.columns]
    decode = _codec(table, decode=True)
    parents = _self_references(table)
    pk = list(table.primary_key.columns)
    links: list[dict[str, Any]] = []  # (pk, parent) of self-referencing rows, set once all rows exist
    batch: list[dict[str, Any]] = []
    done = 0

    def flush() -> None:
        nonlocal batch
        if batch:
            conn.execute(table.insert(), batch)
            if progress is not None:
                progress(len(batch))
            batch = []

    for _ in range(rows):
        values = next(lines, None)
        if not isinstance(values, list) or len(values) != len(names):
            raise BackupError(f"The backup is cut short or damaged in table {table.name} (row {done + 1} of {rows}).")
        try:
            row = {n: d(v) for n, d, v in zip(names, decode, values, strict=True)}
        except (ValueError, TypeError) as exc:
            raise BackupError(f"The backup is damaged: a value of {table.name} cannot be read ({exc}).") from exc
        if parents and any(row[c.name] is not None for c in parents):
            links.append({**{f"k_{c.name}": row[c.name] for c in pk}, **{f"p_{c.name}": row[c.name] for c in parents}})
            row.update({c.name: None for c in parents})
        batch.append(row)
        done += 1
        if len(batch) >= BATCH:
            flush()
    flush()
    if links:
        stmt = (
            update(table)
            .where(*(c == bindparam(f"k_{c.name}") for c in pk))
            .values({c.name: bindparam(f"p_{c.name}") for c in parents})
        )
        for start in range(0, len(links), BATCH):
            conn.execute(stmt, links[start : start + BATCH])
    return done


def _reset_sequences(conn: Connection) -> None:
    """PostgreSQL: serial keys continue after the restored rows (Jisr's keys are UUIDs today)."""
    if conn.dialect.name != "postgresql":
        return
    for table in _tables():
        for column in table.primary_key.columns:
            if isinstance(column.type, Integer) and column.autoincrement in (True, "auto"):
                seq = conn.execute(
                    text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": column.name}
                ).scalar()
                if seq:
                    top = f'SELECT COALESCE(MAX("{column.name}"), 0) + 1 FROM "{table.name}"'
                    conn.execute(text(f"SELECT setval(:s, ({top}), false)"), {"s": seq})
