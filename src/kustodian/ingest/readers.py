"""Files and directory trees into an `Ingestor`: format detection and the built-in readers.

A format is a `Format`: a name, a sniffer that looks at a file's name and first bytes, and a reader
that streams the file's records into the ingestor with their positions. `ingest --format NAME`
skips detection. Formats live in the modules listed in `FORMAT_MODULES`, each exporting
`FORMATS`; the built-in ones here are:

- `diagnostic`: diagnostic-settings records: Event Hub bodies `{"records": [...]}` (one per
  file, or one per line), storage-archive blobs (`PT1H.json`, one record per line), or a JSON
  array of records; `.gz` anywhere.
- `rows`: rows in Log Analytics shape for a named table (`--table`): JSON lines, a JSON array,
  or CSV with a header of column names (read like the Log Analytics exports of exports.py).

Entra portal downloads and Log Analytics exports (`portal-csv`, `portal-json`, `la-export`,
`la-json`) are in exports.py.

A file that cannot be read, or a record that cannot be parsed, goes to `IngestionErrors`.
"""

from __future__ import annotations

import csv
import gzip
import importlib
import io
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, cast

import orjson

from kustodian.ingest.sink import DIAG, LA, Ingestor

HEAD_BYTES = 64 * 1024
# A file that is one JSON document (not JSON lines) is parsed whole; beyond this size it is
# refused with a message (Event Hub bodies are at most 1 MB; archives are JSON lines).
MAX_DOCUMENT_BYTES = 512 << 20

FORMAT_MODULES: tuple[str, ...] = (
    "kustodian.ingest.readers",
    "kustodian.ingest.exports",
    "kustodian.ingest.graph",
)


class ReadError(Exception):
    """A file cannot be read in the requested format."""


@dataclass(frozen=True)
class Format:
    name: str
    description: str
    sniff: Callable[[Path, bytes], bool]
    read: Callable[[Ingestor, Path, str, str | None], None]  # ingestor, path, label, table
    priority: int = 50
    # Detected even when --table is given (the reader honours it); other formats are then
    # passed over for `rows`.
    uses_table: bool = False


def formats() -> dict[str, Format]:
    out: dict[str, Format] = {}
    for name in FORMAT_MODULES:
        module = importlib.import_module(name)
        for f in module.FORMATS:
            out[f.name] = f
    return out


def read_path(ing: Ingestor, path: str, *, fmt: str = "auto", table: str | None = None) -> None:
    """Read a file, or every file under a directory (sorted), into the ingestor."""
    p = Path(path)
    if not p.exists():
        ing.reject(str(p), "", "no such file or directory", "", fmt)
        return
    files = sorted(f for f in p.rglob("*") if f.is_file()) if p.is_dir() else [p]
    known = formats()
    if fmt != "auto" and fmt not in known:
        raise ReadError(f"unknown format '{fmt}'; formats: {', '.join(sorted(known))}")
    for f in files:
        if f.name.startswith(".") or (p.is_dir() and _is_documentation(f)):
            continue
        label = str(f.relative_to(p)) if p.is_dir() else str(f)
        label = f"{p}/{label}" if p.is_dir() else label
        try:
            chosen = known[fmt] if fmt != "auto" else detect(f, known, table)
        except OSError as e:
            ing.reject(label, "", f"cannot read the file: {e.strerror or e}", "", fmt)
            continue
        if chosen is None:
            ing.reject(
                label,
                "",
                "format not recognised (give --format, or --table for rows of one table)",
                _head_text(f),
                "auto",
            )
            continue
        try:
            chosen.read(ing, f, label, table)
        except (OSError, EOFError, ReadError, UnicodeDecodeError, ValueError) as e:
            # ValueError covers the JSON and CSV parsers' errors: the file is recorded, the
            # records read before the error are kept, and the other files go on.
            ing.reject(label, "", f"cannot read the file as {chosen.name}: {e}", "", chosen.name)


def _is_documentation(path: Path) -> bool:
    """Files that travel with exports but hold no records (skipped in directory walks)."""
    return path.suffix.lower() in (".md", ".pdf", ".png", ".jpg", ".html") or (
        path.stem.upper() in ("README", "LICENSE", "NOTICE")
    )


def detect(path: Path, known: dict[str, Format], table: str | None) -> Format | None:
    head = read_head(path)
    for f in sorted(known.values(), key=lambda f: f.priority):
        if (table is None or f.uses_table) and f.sniff(path, head):
            return f
    if table is not None and "rows" in known:
        return known["rows"]
    return None


def open_binary(path: Path) -> io.BufferedIOBase:
    """Open a file, decompressing gzip whatever its name."""
    f = open(path, "rb")  # noqa: SIM115 - returned to the caller
    magic = f.read(2)
    f.seek(0)
    if magic == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=f, mode="rb")
    return f


def read_head(path: Path) -> bytes:
    with open_binary(path) as f:
        head = f.read(HEAD_BYTES)
    return head.removeprefix(b"\xef\xbb\xbf")


def _head_text(path: Path) -> str:
    try:
        return read_head(path)[:2000].decode("utf-8", "replace")
    except (OSError, EOFError):
        return ""


def _lines(path: Path) -> Iterator[tuple[int, bytes]]:
    with open_binary(path) as f:
        for i, line in enumerate(f, 1):
            if i == 1:
                line = line.removeprefix(b"\xef\xbb\xbf")
            yield i, line


def _whole(path: Path) -> bytes:
    size = os.path.getsize(path)
    if size > MAX_DOCUMENT_BYTES:
        raise ReadError(
            f"a single JSON document of {size >> 20} MB; split it, or write one record per line"
        )
    with open_binary(path) as f:
        return f.read().removeprefix(b"\xef\xbb\xbf")


# -- diagnostic-settings records ------------------------------------------------------------


def _sniff_diagnostic(path: Path, head: bytes) -> bool:
    text = head.lstrip()
    if not text.startswith((b"{", b"[")):
        return False
    return b'"records"' in head[:4096] or (b'"category"' in head and b'"properties"' in head)


BLOCK_BYTES = 32 << 20
# Files of records from this size up are first tried whole (`Ingestor.add_file`).
FILE_BYTES = int(os.environ.get("KUSTODIAN_INGEST_FILE_BYTES", str(32 << 20)))


def _read_diagnostic(ing: Ingestor, path: Path, label: str, table: str | None) -> None:
    with open_binary(path) as f:
        head = f.read(HEAD_BYTES).removeprefix(b"\xef\xbb\xbf")
        while b"\n" not in head and (more := f.read(HEAD_BYTES)):  # a long first line
            head += more
        first_line = head.split(b"\n", 1)[0]
        try:
            first = orjson.loads(first_line)
        except orjson.JSONDecodeError:  # one document spread over several lines
            _diagnostic_document(ing, _whole(path), label, "")
            return
        # A big file of records, one per line (a storage archive's PT1H.json): DuckDB reads it
        # itself when it may, else (or when a record needs a closer look) block by block.
        if (
            isinstance(first, dict)
            and "records" not in first
            and not isinstance(f, gzip.GzipFile)
            and os.path.getsize(path) >= FILE_BYTES
            and ing.add_file(path, label, first)
        ):
            return
        # JSON lines: whole blocks of lines go to the ingestor as they are (storage archives);
        # lines that are Event Hub bodies are split into their records here.
        line_no = 1
        for buf, cut in _blocks(f, head):
            if buf.find(b'"records"', 0, cut) >= 0:
                # one line at a time (a block's worth of bodies as Python objects is not small)
                start = count = 0
                while start < cut:
                    end = buf.find(b"\n", start, cut)
                    end = cut if end < 0 else end
                    raw = bytes(buf[start:end])
                    if raw.strip():
                        _diagnostic_document(ing, raw, label, f"line {line_no + count}")
                    count, start = count + 1, end + 1
                line_no += count
            else:
                view = memoryview(buf)[:cut]
                line_no += ing.add_block(view, label, line_no, shape=DIAG, fmt="diagnostic")


def _blocks(f: io.BufferedIOBase, head: bytes) -> Iterator[tuple[bytearray, int]]:
    """Blocks of whole lines of an open file whose first bytes, `head`, were read already:
    (buffer, length of its whole lines). Each buffer is fresh, so that a block can be handed
    over without a copy."""
    # A file's blocks are no bigger than what is left of it: the ingestor keeps the blocks of
    # several small files until they fill a chunk, and a block is all of its buffer.
    left = None if isinstance(f, gzip.GzipFile) else _left(f)
    pending = head
    while True:
        size = BLOCK_BYTES if left is None else min(BLOCK_BYTES, left)
        buf = bytearray(len(pending) + size)  # starts with the previous partial line
        buf[: len(pending)] = pending
        got = f.readinto(memoryview(buf)[len(pending) :]) if size else 0
        end = len(pending) + got
        if left is not None:
            left = max(0, left - got)
        if end < len(buf):  # the file was shorter than it said (or grew less): fit the buffer
            del buf[end:]
        cut = buf.rfind(b"\n", 0, end) + 1 if got else end
        if got and cut == 0:  # a line longer than a block: read on
            pending = bytes(buf[:end])
            continue
        pending = bytes(buf[cut:end])
        if cut:
            yield buf, cut
        if not got:
            return


def _left(f: io.BufferedIOBase) -> int | None:
    """The bytes of a regular file after the current position, None when unknown."""
    try:
        return max(0, os.fstat(f.fileno()).st_size - f.tell())
    except (OSError, io.UnsupportedOperation, AttributeError):
        return None


def _diagnostic_document(ing: Ingestor, raw: bytes, label: str, where: str) -> None:
    """A body `{"records": [...]}`, an array of records, or one record."""
    sep = ", " if where else ""
    text = raw.strip()
    if text.startswith(b"{") and b'"records"' not in text[:4096]:
        # One record per line: hand the text over as it is, DuckDB parses it.
        ing.add(
            text.decode("utf-8", "replace"),
            label,
            where or "record 1",
            shape=DIAG,
            fmt="diagnostic",
        )
        return
    try:
        doc = orjson.loads(text)
    except orjson.JSONDecodeError as e:
        ing.reject(
            label,
            where or "document",
            f"not valid JSON: {e}",
            raw.decode("utf-8", "replace"),
            "diagnostic",
        )
        return
    records = doc.get("records") if isinstance(doc, dict) else doc
    if isinstance(doc, dict) and "records" not in doc:
        records = [doc]
    if not isinstance(records, list):
        ing.reject(
            label,
            where or "document",
            "`records` is not an array",
            raw.decode("utf-8", "replace"),
            "diagnostic",
        )
        return
    for j, rec in enumerate(records, 1):
        ing.add(
            orjson.dumps(rec).decode(),
            label,
            f"{where}{sep}record {j}",
            shape=DIAG,
            fmt="diagnostic",
        )


# -- rows in Log Analytics shape ----------------------------------------------------------------


def _is_csv(path: Path, head: bytes) -> bool:
    return path.suffix.lower() in (".csv", ".tsv") or (
        not head.lstrip().startswith((b"{", b"[")) and b"," in head.split(b"\n", 1)[0]
    )


def csv_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """CSV rows as dicts (header = first row), with their line numbers; cells may span lines."""
    csv.field_size_limit(sys.maxsize)
    with open_binary(path) as raw:
        text = io.TextIOWrapper(cast(IO[bytes], raw), encoding="utf-8-sig", newline="")
        reader = csv.DictReader(text)
        if reader.fieldnames is None:  # reads the header, so the first row's line is right
            return
        while True:
            line = reader.line_num + 1
            try:
                row = next(reader)
            except StopIteration:
                return
            yield line, {k: v for k, v in row.items() if k is not None}


def _read_rows(ing: Ingestor, path: Path, label: str, table: str | None) -> None:
    from kustodian.ingest.exports import read_la_csv, read_la_json

    if table is None:
        raise ReadError("rows need a table: give --table NAME")
    if ing.ws.catalog.get(table) is None:
        raise ReadError(f"no table '{table}' in this workspace")
    head = read_head(path)
    if _is_csv(path, head):
        read_la_csv(ing, path, label, table, fmt="rows")
    elif head.lstrip().startswith(b"["):
        read_la_json(ing, path, label, table, fmt="rows")
    else:  # JSON lines go to the ingestor in blocks, as they are: DuckDB parses them
        with open_binary(path) as f:
            head = f.read(HEAD_BYTES).removeprefix(b"\xef\xbb\xbf")
            line_no = 1
            for buf, cut in _blocks(f, head):
                view = memoryview(buf)[:cut]
                line_no += ing.add_block(view, label, line_no, shape=LA, table=table, fmt="rows")


FORMATS = [
    Format(
        "diagnostic",
        "diagnostic-settings records: Event Hub bodies, storage archive blobs (PT1H.json)",
        _sniff_diagnostic,
        _read_diagnostic,
        priority=10,
    ),
    Format(
        "rows",
        "rows in Log Analytics shape for --table: JSON lines, JSON array or CSV",
        lambda path, head: False,
        _read_rows,
        priority=90,
    ),
]
