"""Reading input files so that every problem can be named by file, row and field.

Row numbers follow a spreadsheet: the header is row 1, so the first data record of a plain CSV is
row 2 (row 4 in a Qualtrics export, under its three header rows). A record whose quoted text spans
several lines is numbered by the line it starts on.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import os
import re
import shutil
import tempfile
from array import array
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np

from papers.errors import InputError, located
from papers.limits import MAX_ANSWER_CHARS, MAX_BODY_BYTES, DocumentError, load_json
from papers.text import excerpt

FORMATS = {
    ".csv": "csv",
    ".tsv": "csv",  # read with a tab as the separator (separator_of)
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}
ENCODING_HINT = (
    "if the file was saved by Excel or another program in a legacy encoding, "
    "pass --encoding cp1252 (or latin-1); otherwise re-save it as UTF-8."
)


def staging_prefix(kind: str) -> str:
    """Temporary files and folders are named papers-<kind>-<pid>-..., so that a later run can remove
    those of a process that was killed (see remove_stale_staging)."""
    return f"papers-{kind}-{os.getpid()}-"


def remove_stale_staging(folder: Path | None = None) -> int:
    """Remove papers' staging files and folders left in the temporary folder by processes that no
    longer run (a load killed with kill -9 cannot clean up after itself). Returns how many."""
    removed = 0
    for entry in Path(folder or tempfile.gettempdir()).glob("papers-*-*-*"):
        pid = entry.name.split("-")[2]
        if not pid.isdigit() or _alive(int(pid)):
            continue
        try:
            shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()
            removed += 1
        except OSError:
            pass  # another user's, or already gone
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True  # a process of another user: not ours to judge
    return True
MAX_LINE_BYTES = MAX_BODY_BYTES  # a row: an answer at papers' cap, every character escaped (JSONL), and its fields
csv.field_size_limit(MAX_LINE_BYTES)  # a longer value is a row's problem, not a whole row held in memory


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check_readable(path: Path) -> Path:
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file.", "check the path; it is relative to the current directory.")
    if path.is_dir():
        raise InputError(f"{path}: is a directory, not a file.")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: the file is empty.", "export the data again; nothing was loaded.")
    return path


def detect_format(path: Path, given: str | None) -> str:
    if given and given != "auto":
        return given
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(
            f"{path}: unknown format '{path.suffix or '(no extension)'}'.",
            "use a .csv, .jsonl or .parquet file, or name the format with --format csv|jsonl|parquet.",
        )
    return fmt


def normalise_encoding(encoding: str | None) -> str:
    name = encoding or "utf-8"
    try:
        info = codecs.lookup(name)
    except LookupError as e:
        raise InputError(f"unknown encoding '{name}'.", "use a Python codec name such as utf-8, cp1252 or latin-1.") from e
    # Excel writes a byte-order mark; reading UTF-8 as utf-8-sig drops it transparently.
    return "utf-8-sig" if info.name == "utf-8" else info.name


@dataclass
class BadRow:
    row: int
    raw: str
    reason: str


@dataclass
class CsvFile:
    """A CSV checked record by record, ready for a columnar reader.

    `path` is the original file, or a UTF-8 copy holding only the well-formed records when the
    original needed transcoding or had bad rows; `rows[i]` is the spreadsheet row of record i.
    """

    source: Path
    path: Path
    header: list[str]
    rows: np.ndarray
    bad: list[BadRow] = field(default_factory=list)
    sha256: str = ""
    skip_after_header: int = 0
    temporary: bool = False
    separator: str = ","  # of `path`: a tab for a .tsv read as it is, a comma for a copy

    def cleanup(self) -> None:
        if self.temporary:
            self.path.unlink(missing_ok=True)

    def row_of(self, index: int) -> int:
        return int(self.rows[index])


class _HashingReader:
    """A binary file wrapper that hashes the bytes as they are read."""

    def __init__(self, f):
        self.f = f
        self.digest = hashlib.sha256()

    def readable(self):
        return True

    def read(self, n=-1):
        data = self.f.read(n)
        self.digest.update(data)
        return data

    def read1(self, n=-1):
        return self.read(n)

    def readinto(self, b):
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)

    @property
    def closed(self):
        return self.f.closed

    def close(self):
        self.f.close()

    def flush(self):
        pass

    def seekable(self):
        return False

    def writable(self):
        return False


def scan_csv(path: Path, *, encoding: str | None = None, header_rows: int = 1, combine_headers: bool = False,
             strict: bool = True, progress=None, can_skip: bool = True) -> CsvFile:
    """Check every record of a CSV (or, for a .tsv file, tab-separated values): decodable, and with
    as many fields as the header.

    With `strict`, the first bad record raises an InputError naming its row; otherwise bad records
    are returned in `.bad` (for the rejects table) and left out of the readable copy. With
    `combine_headers`, the first two header rows become one (see `combine_header_rows`): SurveyMonkey
    writes a question over several columns and each column's option below it.
    """
    path = check_readable(path)
    codec = normalise_encoding(encoding)
    separator = separator_of(path)
    if codec == "utf-8-sig" and header_rows == 1:
        fast = _scan_unquoted(path, separator, progress, strict, can_skip)
        if fast is not None:
            return fast
    return _scan_records(path, codec, header_rows, strict, progress, can_skip, separator, combine_headers)


ANSWER_PLACEHOLDERS = ("", "response", "open-ended response")  # SurveyMonkey's sub-header of a plain question


def combine_header_rows(top: list[str], sub: list[str]) -> list[str]:
    """One name per column from two header rows: the question (carried right over the blank cells
    of the columns it spans), and the option below it in brackets, as Google Forms names grid
    columns: `How important is each value? [Ethical Integrity]`.

    >>> combine_header_rows(["ID", "Rate each", "", "Age"], ["", "EI", "PR", "Response"])
    ['ID', 'Rate each [EI]', 'Rate each [PR]', 'Age']
    """
    names, question = [], ""
    for i, cell in enumerate(top):
        question = cell.strip() or question
        option = sub[i].strip() if i < len(sub) else ""
        names.append(question if option.lower() in ANSWER_PLACEHOLDERS else f"{question} [{option}]")
    return names


def separator_of(path: Path) -> str:
    """The field separator a file's name promises: a tab for .tsv, a comma otherwise."""
    return "\t" if path.suffix.lower() == ".tsv" else ","


FAST_CHUNK = 1 << 24


def _scan_unquoted(path: Path, separator: str, progress=None, strict: bool = True,
                   can_skip: bool = True) -> CsvFile | None:
    """The same checks as the csv module, vectorised, for the common file with no quote character.

    Without quotes a record is a line and its fields are its separators plus one, so numpy can
    count them a chunk at a time. Returns None (and the caller takes the record-by-record path,
    which also words any error) at the first quote, undecodable byte or row of the wrong width.
    A row longer than MAX_LINE_BYTES is not read further: with `strict` it is named with its
    longest field, else the record-by-record path rejects it.
    """
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines = _LineCounter(ord(separator))
    with open(path, "rb") as f:
        while True:
            chunk = f.read(FAST_CHUNK)
            final = not chunk
            digest.update(chunk)
            if b'"' in chunk:
                return None
            try:
                decoder.decode(chunk, final=final)
            except UnicodeDecodeError:
                return None
            if not lines.feed(path, chunk, final, separator, progress):
                if lines.long is not None and strict:
                    raise _long_row(path, lines, can_skip)
                return None
            if final:
                break
    if lines.header is None:
        return None
    rows = np.concatenate(lines.starts) if lines.starts else np.zeros(0, dtype=np.uint32)
    if len(rows) == 0:
        raise InputError(f"{path}: the file has a header but no data rows.", "export the data again, with its responses.")
    return CsvFile(path, path, lines.header, rows, [], digest.hexdigest(), separator=separator)


@dataclass
class _LineCounter:
    """Counts the fields of each line of unquoted chunks; keeps the row number of every record."""

    separator: int  # the separator's byte
    header: list[str] | None = None
    starts: list[np.ndarray] = field(default_factory=list)
    carry: bytes = b""
    line_base: int = 0  # lines completed before the current chunk
    long: tuple[int, bytes] | None = None  # (row, its start) of a row longer than MAX_LINE_BYTES

    def feed(self, path: Path, chunk: bytes, final: bool, separator: str, progress) -> bool:
        """Take one chunk; False when a row has the wrong number of fields or is too long."""
        data = self.carry + chunk
        if final and data and not data.endswith(b"\n"):
            data += b"\n"
        arr = np.frombuffer(data, dtype=np.uint8)
        ends = np.flatnonzero(arr == 10)
        if len(ends) == 0:
            self.carry = b"" if final else data
            return self._short(self.line_base + 1, self.carry)
        self.carry = data[ends[-1] + 1:]
        fields = np.diff(np.cumsum(arr == self.separator)[ends], prepend=0) + 1
        begins = np.concatenate(([0], ends[:-1] + 1))
        length = ends - begins - (arr[np.maximum(ends - 1, 0)] == 13)
        numbers = self.line_base + np.arange(1, len(ends) + 1)
        self.line_base += len(ends)
        if self.header is None:
            first = data[: ends[0]].decode("utf-8-sig").rstrip("\r")
            self.header = [h.strip() for h in first.split(separator)]
            _check_header(path, self.header)
            fields, length, numbers, begins = fields[1:], length[1:], numbers[1:], begins[1:]
        if len(length) and length.max() > MAX_LINE_BYTES:
            i = int(np.argmax(length > MAX_LINE_BYTES))
            return self._short(int(numbers[i]), data[begins[i]:begins[i] + MAX_LINE_BYTES + 1])
        if not self._short(self.line_base + 1, self.carry):
            return False
        keep = length > 0
        if np.any(fields[keep] != len(self.header)):
            return False
        self.starts.append(numbers[keep].astype(np.uint32))
        if progress is not None:
            progress(int(keep.sum()))
        return True

    def _short(self, row: int, line: bytes) -> bool:
        """False, keeping the row, when `line` is longer than papers reads of one row (a header that
        long is left to the csv module's path, which names every problem of a header)."""
        if len(line) <= MAX_LINE_BYTES:
            return True
        if self.header is not None:
            self.long = (row, line[:MAX_LINE_BYTES])
        return False


def _long_row(path: Path, lines: _LineCounter, can_skip: bool) -> InputError:
    """A row of an unquoted CSV longer than MAX_LINE_BYTES, named with its longest field."""
    row, start = lines.long
    pieces = start.split(bytes([lines.separator]))
    longest = max(range(len(pieces)), key=lambda i: len(pieces[i]))
    column = lines.header[longest] if longest < len(lines.header) else None
    what = "its value" if column else "the row"
    return InputError(f"{located(path, row, column)}: {what} is longer than papers reads of one row "
                      f"({MAX_LINE_BYTES:,} bytes; an answer holds at most {MAX_ANSWER_CHARS:,} characters).",
                      "shorten the value" + (", or " + SKIP_HINT if can_skip else "; nothing was loaded."))


def _scan_records(path: Path, codec: str, header_rows: int, strict: bool, progress=None,
                  can_skip: bool = True, separator: str = ",", combine: bool = False) -> CsvFile:
    rows = array("I")
    bad: list[BadRow] = []
    extra: list[list[str]] = []
    header: list[str] = []
    with open(path, "rb") as raw:
        hashing = _HashingReader(raw)
        try:
            # a record's number is its spreadsheet row: line breaks inside quoted cells do not count
            for number, (start, record) in enumerate(_records(open_text(hashing, codec), separator), start=1):
                if isinstance(record, csv.Error):
                    if not header:
                        raise InputError(f"{located(path, number)}: the header row is not readable as CSV "
                                         f"({_quote_problem(record)}).", "fix the header row's quoting.")
                    bad.append(_malformed(path, number, record, strict, can_skip))
                elif not header:
                    header = [h.strip() for h in record]
                    if not combine:
                        _check_header(path, header)
                elif len(extra) < header_rows - 1:
                    extra.append(record)
                    if combine and len(extra) == 1:
                        header = combine_header_rows(header, record)
                        _check_header(path, header)
                elif record and record != [""]:
                    if len(record) != len(header):
                        bad.append(_bad_record(path, number, record, header, strict, can_skip))
                        continue
                    rows.append(number)
                    if progress is not None and len(rows) % 65536 == 0:
                        progress(65536)
        except UnicodeDecodeError as e:
            raise decode_error(path, codec) from e
    if not header:
        raise InputError(f"{path}: the file is empty.", "export the data again; nothing was loaded.")
    if not rows and not bad:
        raise InputError(f"{path}: the file has a header but no data rows.", "export the data again, with its responses.")
    if progress is not None:
        progress(len(rows) % 65536)
    result = CsvFile(path, path, header, np.frombuffer(rows, dtype=np.uint32), bad, hashing.digest.hexdigest(),
                     skip_after_header=header_rows - 1, separator=separator)
    if bad or codec != "utf-8-sig" or combine:
        result.path = _utf8_copy(path, codec, header, header_rows, {b.row for b in bad}, separator)
        result.temporary, result.skip_after_header, result.separator = True, 0, ","
    return result


def _records(text, separator: str = ",") -> Iterator[tuple[int, list[str] | csv.Error]]:
    """(first line, record) of each CSV record, read strictly: a record whose quoting is broken is
    given as its csv.Error, and reading goes on with the next line, so that the columnar reader
    later meets only well-formed records."""
    reader = csv.reader(text, strict=True, delimiter=separator)
    line = 1
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            record = e
        start, line = line, reader.line_num + 1
        yield start, record


def _quote_problem(error) -> str:
    text = str(error)
    if "unexpected end of data" in text:
        return "a quoted field opened here is never closed"
    if "expected after" in text:
        return "a quote character inside a field that is not quoted as a whole"
    if "field larger than field limit" in text:
        return f"a value longer than the {csv.field_size_limit():,} characters papers reads of one CSV field"
    return excerpt(text)


def _malformed(path: Path, row: int, error: csv.Error, strict: bool, can_skip: bool) -> BadRow:
    problem = _quote_problem(error)
    if strict:
        raise InputError(
            f"{located(path, row)}: not readable as CSV ({problem}).",
            'fix the quoting (a field holding a quote character is written "like ""this"""), or '
            + (SKIP_HINT if can_skip else "export the file again."),
        )
    return BadRow(row, "", f"not readable as CSV ({problem})")


SKIP_HINT = "pass --skip-bad-rows to load the rest and keep this row in the rejects table."


def read_csv_frame(scanned: CsvFile):
    """The checked CSV as a polars frame of text columns (a reader error is an InputError)."""
    import polars as pl

    try:
        return pl.read_csv(scanned.path, infer_schema=False, separator=scanned.separator)
    except pl.exceptions.PolarsError as e:
        raise InputError(f"{scanned.source}: not readable as CSV ({excerpt(str(e).splitlines()[0])}).",
                         "re-save the file as CSV (UTF-8) from the program that wrote it.") from e


def decode_error(path: Path, codec: str) -> InputError:
    """An InputError naming the line of the first byte that does not decode."""
    decoder = codecs.getincrementaldecoder(codec)()
    offset = 0
    line = 1
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as e:
                # the decoder may hold back a few bytes of the previous chunk; they precede e.start
                held = len(e.object) - len(chunk)
                bad = max(e.start - held, 0)
                line += chunk[:bad].count(b"\n")
                byte = e.object[e.start]
                return InputError(
                    f"{located(path, line)}: bytes that are not valid {codec.replace('-sig', '')} "
                    f"(byte 0x{byte:02x} at offset {offset + bad}).",
                    ENCODING_HINT,
                )
            line += chunk.count(b"\n")
            offset += len(chunk)
    return InputError(f"{path}: bytes that are not valid {codec.replace('-sig', '')}.", ENCODING_HINT)


def _bad_record(path: Path, row: int, record: list[str], header: list[str], strict: bool,
                can_skip: bool = True) -> BadRow:
    what = "cut short" if len(record) < len(header) else "too long"
    reason = f"{len(record)} fields where the header has {len(header)}"
    if strict:
        raise InputError(
            f"{located(path, row)}: the row is {what} ({reason}).",
            "fix the row (a missing separator or an unclosed quote)"
            + (", or " + SKIP_HINT if can_skip else "; nothing was loaded."),
        )
    return BadRow(row, ",".join(record)[:2000], f"row {what} ({reason})")


def open_text(binary, codec: str):
    return io.TextIOWrapper(binary, encoding=codec, newline="", errors="strict")


def _check_header(path: Path, header: list[str]) -> None:
    seen = set()
    for i, name in enumerate(header):
        if not name:
            raise InputError(f"{located(path, 1)}: column {i + 1} has no name.", "give every column a header.")
        if name in seen:
            raise InputError(f"{located(path, 1, name)}: the column name appears twice.", "rename one of them.")
        seen.add(name)


def _utf8_copy(path: Path, codec: str, header: list[str], header_rows: int, skip: set[int],
               separator: str = ",") -> Path:
    """A UTF-8, comma-separated copy with one header row and only the good records, for the columnar reader."""
    f = tempfile.NamedTemporaryFile("w", suffix=".csv", prefix=staging_prefix("copy"), delete=False,
                                    encoding="utf-8", newline="")
    with open(path, encoding=codec, newline="") as src, f:
        writer = csv.writer(f)
        writer.writerow(header)
        for number, (_, record) in enumerate(_records(src, separator), start=1):
            if number <= header_rows or isinstance(record, csv.Error) or not record or record == [""] or number in skip:
                continue
            writer.writerow(record)
    return Path(f.name)


def read_jsonl(path: Path, encoding: str | None = None, bad: list[BadRow] | None = None) -> Iterator[tuple[int, dict]]:
    """(line number, object) for each non-blank line. A line that cannot be read raises an
    InputError naming it, or, given a `bad` list (--skip-bad-rows), is added to it and skipped."""
    codec = normalise_encoding(encoding)
    with open(path, "rb") as f:
        for number, raw in enumerate(_lines(f), start=1):
            try:
                obj = _jsonl_object(raw, codec)
            except _BadLine as e:
                if bad is None:
                    raise InputError(f"{located(path, number, e.field)}: {e.problem}", e.hint) from e.__cause__
                reason = e.problem if e.field is None else f"field '{excerpt(e.field)}': {e.problem}"
                bad.append(BadRow(number, excerpt(raw.decode(codec, errors="replace").strip(), 200), reason))
                continue
            if obj is not None:
                yield number, obj


class _LongLine(bytes):
    """The first MAX_LINE_BYTES of a longer line: the rest was skipped, never held in memory."""


def _lines(f, limit: int = MAX_LINE_BYTES) -> Iterator[bytes]:
    """Each line of a binary file; a line longer than `limit` as a _LongLine of its start."""
    while line := f.readline(limit + 1):
        if len(line) <= limit or line.endswith(b"\n"):
            yield line
            continue
        while (rest := f.readline(2**20)) and not rest.endswith(b"\n"):
            pass
        yield _LongLine(line[:limit])


_KEY_RE = re.compile(rb'(?<!\\)"([^"\\]{1,200})"\s*:\s*"')  # `"key": "`, the start of a text value
_QUOTE_RE = re.compile(rb'(?<!\\)"')


def _open_field(start: bytes) -> str | None:
    """The key of the text value a cut line ends inside (no closing quote after it), if any."""
    last = None
    for last in _KEY_RE.finditer(start):
        pass
    if last is None or _QUOTE_RE.search(start, last.end()):
        return None
    return last.group(1).decode("utf-8", "replace")


class _BadLine(Exception):
    def __init__(self, problem: str, hint: str | None = None, field: str | None = None):
        super().__init__(problem)
        self.problem, self.hint, self.field = problem, hint, field


def _long_line(raw: _LongLine, codec: str) -> _BadLine:
    """A line past MAX_LINE_BYTES, named by the field whose text runs past the cut where one does."""
    field = _open_field(raw) if codec == "utf-8-sig" else None
    what = "its value" if field else "the line"
    return _BadLine(f"{what} is longer than papers reads of one row ({MAX_LINE_BYTES:,} bytes; an answer holds at "
                    f"most {MAX_ANSWER_CHARS:,} characters).", "shorten the value, or pass --skip-bad-rows to load the "
                    "rest and keep this row, cut short, in the rejects table.",
                    field)


def _jsonl_object(raw: bytes, codec: str) -> dict | None:
    """One JSONL line as its object (None for a blank line); a _BadLine says why it cannot be read."""
    if isinstance(raw, _LongLine):
        raise _long_line(raw, codec)
    try:
        text = raw.decode(codec).strip()
    except UnicodeDecodeError as e:
        raise _BadLine(f"bytes that are not valid {codec.replace('-sig', '')}.", ENCODING_HINT) from e
    if not text:
        return None
    try:
        obj = load_json(text)
    except DocumentError as e:
        raise _BadLine(f"JSON nested too deeply to read ({e}).",
                       "each line must hold one flat JSON object of the columns.") from e
    except ValueError as e:
        raise _BadLine(f"not valid JSON ({e.args[0].split(':')[0]}).",
                       "each line must hold one JSON object; a line may have been cut short.") from e
    if not isinstance(obj, dict):
        raise _BadLine(f"expected a JSON object, got {type(obj).__name__}.")
    return obj
