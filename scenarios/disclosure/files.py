"""Checks of one output file on its own: its type, its size, row-level content and the
degrees of freedom of statistical models it reports.

Every check reads the file in bounded memory: text is streamed in chunks, JSON is read
value by value, Parquet batch by batch (and not at all when its metadata says its data is
larger than ``PARQUET_MAX_BYTES``), images only up to ``IMAGE_MAX_PIXELS`` and PDFs only
up to ``PDF_MAX_PAGES`` pages and ``PDF_MAX_TEXT`` characters of text. A file that cannot
be read as what its extension says is sent to review with a reason; nothing passes
unread. The parsers still run over hostile bytes: the worker runs these checks in a
bounded child process (``scenarios.disclosure.bounded``).

Reasons name findings with table codes, the catalog's limits and counts, never with text
taken from the file (its column names or numbers could carry data): what the file says
is kept under the entry's ``detail`` key, for reviewers only.

Entries (ACRO's vocabulary where it has one):

- ``BlockedTypeCheck``: the extension must be an allowed one and the first bytes must
  agree with it; archives, databases, pickled or serialized objects and executables are
  blocked whatever they are called.
- ``SizeCheck``: larger than ``max_bytes`` fails.
- ``RowLevelCheck``: a tabular output with a column named like an input table's identifier
  or pseudonym column, any pseudonym of the workspace anywhere in the file, or as many
  rows as an input table (at least half of them for a table above the threshold) fails.
- ``dof``: a model's residual degrees of freedom below ``params.min_dof`` fail.
"""

import codecs
import csv
import functools
import json
import math
import re
import stat
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from scenarios.disclosure.params import FAIL, NOT_APPLICABLE, PASS, REVIEW, Parameters
from scenarios.disclosure.reasons import say

# Pseudonyms are "P" + this many lowercase hex characters (scenarios.workspace, which
# needs Django, so the constant is repeated here rather than imported).
PSEUDONYM_HEX_CHARS = 20

CHUNK = 1 << 20  # bytes read at a time
OVERLAP = 512  # bytes kept between chunks: longer than any pattern searched for
SNIFF = 8192  # bytes read to tell a file's type
MAX_LINE = 4 << 20  # characters of one text line held at once
MAX_JSON_VALUE = 32 << 20  # characters of one JSON value held at once
MAX_COLUMNS = 10_000  # distinct keys collected from JSON objects
PDF_MAX_PAGES = 200
PDF_MAX_TEXT = 4 << 20  # characters of a PDF's text extracted in all
IMAGE_MAX_PIXELS = 50_000_000
PARQUET_MAX_BYTES = 256 << 20  # uncompressed data of a Parquet file, in all and per column chunk
PARQUET_MAX_FOOTER = 16 << 20  # bytes of a Parquet file's metadata
PARQUET_MAX_CHUNKS = 100_000  # row groups times columns
PARQUET_BATCH_ROWS = 1024
DETAIL_NAMES = 50  # names kept in a detail, each cut to DETAIL_CHARS
DETAIL_CHARS = 200

# extension -> kind
ALLOWED = {
    "csv": "csv",
    "tsv": "tsv",
    "txt": "text",
    "md": "text",
    "json": "json",
    "png": "png",
    "jpg": "jpeg",
    "jpeg": "jpeg",
    "svg": "svg",
    "pdf": "pdf",
    "parquet": "parquet",
}
TEXT_KINDS = {"csv", "tsv", "text", "json", "svg"}
KIND_NAMES = {
    "csv": "CSV",
    "tsv": "TSV",
    "text": "text",
    "json": "JSON",
    "svg": "SVG image",
    "png": "PNG image",
    "jpeg": "JPEG image",
    "pdf": "PDF document",
    "parquet": "Parquet file",
}
_BLOCKED_EXTENSIONS = {
    "archive": {"zip", "gz", "tgz", "tar", "bz2", "xz", "7z", "rar", "zst", "lz4", "z"},
    "database": {"sqlite", "sqlite3", "db", "duckdb", "wal", "mdb", "accdb"},
    "serialized object": {
        "pkl",
        "pickle",
        "npy",
        "npz",
        "joblib",
        "pt",
        "pth",
        "h5",
        "hdf5",
        "feather",
        "arrow",
        "avro",
        "orc",
    },
    "executable": {"exe", "so", "dll", "dylib", "bin", "elf", "sh", "py", "pyc", "whl", "jar"},
}

# (offset, magic, category, description): content blocked whatever the extension says
_BLOCKED_MAGIC = (
    (0, b"PK\x03\x04", "archive", "a ZIP archive"),
    (0, b"PK\x05\x06", "archive", "a ZIP archive"),
    (0, b"PK\x07\x08", "archive", "a ZIP archive"),
    (0, b"\x1f\x8b", "archive", "a gzip archive"),
    (0, b"\xfd7zXZ\x00", "archive", "an xz archive"),
    (0, b"7z\xbc\xaf\x27\x1c", "archive", "a 7-Zip archive"),
    (0, b"Rar!\x1a\x07", "archive", "a RAR archive"),
    (0, b"\x28\xb5\x2f\xfd", "archive", "a Zstandard archive"),
    (0, b"\x04\x22\x4d\x18", "archive", "an LZ4 archive"),
    (0, b"\x78\x01", "archive", "zlib-compressed data"),
    (0, b"\x78\x9c", "archive", "zlib-compressed data"),
    (0, b"\x78\xda", "archive", "zlib-compressed data"),
    (0, b"SQLite format 3\x00", "database", "an SQLite database"),
    (0, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "database", "an OLE compound document"),
    (0, b"\x93NUMPY", "serialized object", "a NumPy array file"),
    (0, b"\x89HDF\r\n\x1a\n", "serialized object", "an HDF5 file"),
    (0, b"Obj\x01", "serialized object", "an Avro file"),
    (0, b"\x7fELF", "executable", "an ELF executable"),
    (0, b"\xfe\xed\xfa\xce", "executable", "a Mach-O executable"),
    (0, b"\xfe\xed\xfa\xcf", "executable", "a Mach-O executable"),
    (0, b"\xce\xfa\xed\xfe", "executable", "a Mach-O executable"),
    (0, b"\xcf\xfa\xed\xfe", "executable", "a Mach-O executable"),
    (0, b"\xca\xfe\xba\xbe", "executable", "a Mach-O or Java class file"),
    (0, b"\x00asm", "executable", "a WebAssembly module"),
    (0, b"#!", "executable", "a script with an interpreter line"),
)
_BZIP2 = re.compile(rb"BZh[1-9](?:1AY&SY|\x17rE8P\x90)")

_TEXT_CONTROL = set(range(32)) - {9, 10, 12, 13, 8, 27}

_HEX = "[0-9a-fA-F]"
_RUN = f"{_HEX}{{{PSEUDONYM_HEX_CHARS}}}"
# "P" + the hex body (in any case), or a bare run of exactly that many hex characters
_HEX_BODY = re.compile(f"[Pp]({_RUN})|(?<!{_HEX})({_RUN})(?!{_HEX})".encode())
_STANDARD_PSEUDONYM = re.compile(f"P[0-9a-f]{{{PSEUDONYM_HEX_CHARS}}}")
_DOF_TEXT = re.compile(
    rb"(?:Df Residuals:[ \t]{0,200}(\d{1,12}(?:\.\d{1,12})?)"
    rb"|\bon[ \t]{1,20}(\d{1,12})[ \t]{1,20}degrees of freedom)"
)
_DOF_KEYS = {"df_resid", "dof", "df_residuals"}
_SVG_ACTIVE = re.compile(
    rb"<script|<foreignObject|javascript:|\son[a-z]{2,30}[ \t\r\n]*=[ \t\r\n]*[\"']",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class TableInfo:
    code: str
    rows: int
    columns: tuple[str, ...]
    identifier_columns: tuple[str, ...]  # identifier fields of the catalog in this workspace
    pseudonym_columns: tuple[str, ...]  # columns holding keyed pseudonyms
    pseudonyms: frozenset[str]  # every pseudonym value of the scenario's workspace


class Unreadable(Exception):
    """The file cannot be read as what its extension says; the message says why."""


def _entry(status: str, reason: str, said: list, **extra) -> dict:
    """A rule's verdict, its reason in English and, in ``reasons``, as codes (``say``)."""
    return {"status": status, "reason": reason, "reasons": said, **extra}


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


# --- Type ---------------------------------------------------------------------------------


def _blocked_content(head: bytes) -> tuple[str, str] | None:
    for offset, magic, category, description in _BLOCKED_MAGIC:
        if head[offset : offset + len(magic)] == magic:
            return category, description
    if _BZIP2.match(head):
        return "archive", "a bzip2 archive"
    if head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        return "serialized object", "a Python pickle"
    # magic bytes that text could hold too: only with binary bytes around them
    if head[:2] == b"MZ" and b"\x00" in head[:64]:
        return "executable", "a Windows executable"
    if head[8:12] == b"DUCK" and b"\x00" in head[12:20]:
        return "database", "a DuckDB database"
    if head[257:262] == b"ustar" and b"\x00" in head[:257]:
        return "archive", "a tar archive"
    if head[:6] == b"ARROW1" and b"\x00" in head[6:16]:
        return "serialized object", "an Arrow IPC file"
    return None


def _binary_kind(head: bytes, tail: bytes) -> str | None:
    """The allowed binary type the content is, by its magic bytes."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"PAR1") and tail.endswith(b"PAR1"):
        return "parquet"
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"%PDF-"):
        return "pdf"
    return None


def _other_binary(head: bytes) -> str | None:
    """Binary formats neither allowed nor blocked outright: other images, containers."""
    for magic, description in (
        (b"GIF8", "a GIF image"),
        (b"II*\x00", "a TIFF image"),
        (b"MM\x00*", "a TIFF image"),
        (b"RIFF", "a RIFF container"),
    ):
        if head.startswith(magic):
            return description
    return None


def _text_encoding(head: bytes) -> str:
    """'utf-8', 'utf-16' (a BOM), 'other' (text in an encoding other than UTF-8) or
    'binary' (NUL or many control bytes)."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if b"\x00" in head:
        return "binary"
    if head:
        controls = sum(1 for byte in head if byte in _TEXT_CONTROL)
        if controls * 10 > len(head):
            return "binary"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return "other"
    return "utf-8"


def _type_check(extension: str, head: bytes, tail: bytes) -> tuple[dict, str | None]:
    """The BlockedTypeCheck entry and the kind the file is to be read as (None: do not
    read it further)."""
    blocked = _blocked_content(head)
    if blocked is not None:
        category, description = blocked
        return _entry(
            FAIL,
            f"The file's content is {description} (by its first bytes): {category} outputs "
            "are blocked.",
            say("blocked_content", category=category),
            detected=category,
        ), None
    kind = ALLOWED.get(extension)
    if kind is None:
        for category, extensions in _BLOCKED_EXTENSIONS.items():
            if extension in extensions:
                return _entry(
                    FAIL,
                    f"Files with the extension .{extension} ({category}) are blocked.",
                    say("blocked_extension", category=category),
                    detected=category,
                ), None
        # the extension is part of a name the job chose: in the detail, not the reason
        return _entry(
            FAIL,
            "The file's extension is not an allowed output type; allowed are "
            + ", ".join(sorted(ALLOWED))
            + ".",
            say("extension_not_allowed", allowed=sorted(ALLOWED)),
            detail={"extension": extension[:DETAIL_CHARS]},
        ), None
    binary = _binary_kind(head, tail)
    if kind in TEXT_KINDS:
        if binary is not None:
            return _entry(
                FAIL,
                f"The file's content is a {KIND_NAMES[binary]} but its extension says "
                f"{KIND_NAMES[kind]}.",
                say("content_differs", kind=kind, detected=binary),
                detected=binary,
            ), None
        encoding = _text_encoding(head)
        if encoding == "binary":
            described = _other_binary(head) or "binary data"
            return _entry(
                FAIL,
                f"The file's content is {described}, not {KIND_NAMES[kind]} as its extension says.",
                say("content_differs", kind=kind, detected="binary"),
                detected="binary",
            ), None
        if encoding == "utf-16":
            return _entry(
                REVIEW,
                "The text is encoded as UTF-16, which the checks cannot scan; write UTF-8.",
                say("utf16"),
                detected="utf-16",
            ), None
        if kind == "svg" and b"<svg" not in head.lower():
            return _entry(
                FAIL,
                "The file's content is not an SVG image as its extension says.",
                say("content_differs", kind=kind, detected="text"),
                detected="text",
            ), None
        return _entry(
            PASS, f"The file is {KIND_NAMES[kind]}, an allowed type.", say("type_pass", kind=kind)
        ), kind
    if binary != kind:
        described = (
            f"a {KIND_NAMES[binary]}" if binary else (_other_binary(head) or "something else")
        )
        if not head:
            described = "empty"
        return _entry(
            FAIL,
            f"The file's content is {described}, not a {KIND_NAMES[kind]} as its extension says.",
            say("content_differs", kind=kind, detected=binary or ("empty" if not head else "")),
            detected=binary or "unknown",
        ), None
    return _entry(
        PASS, f"The file is a {KIND_NAMES[kind]}, an allowed type.", say("type_pass", kind=kind)
    ), kind


# --- Streaming scan of the raw bytes ---------------------------------------------------------


class PseudonymMatcher:
    """Finds pseudonyms of a workspace in bytes: "P" + 20 hex characters, also upper-cased
    or without the "P" (a bare run of exactly 20 hex characters); any other shape of value
    by exact substring."""

    def __init__(self, pseudonyms: frozenset[str]):
        self.bodies = set()
        others = []
        for value in pseudonyms:
            if _STANDARD_PSEUDONYM.fullmatch(value):
                self.bodies.add(value[1:].encode())
            elif len(value) >= 8:  # shorter values would match by chance
                others.append(value.encode())
        others.sort(key=len, reverse=True)
        self.others = (
            re.compile(b"|".join(re.escape(value) for value in others)) if others else None
        )
        self.longest = max((len(value) for value in others), default=0)

    def __bool__(self) -> bool:
        return bool(self.bodies) or self.others is not None

    def search(self, data: bytes, start: int = 0, end: int | None = None) -> bool:
        """Whether a pseudonym starts in data[start:end] (the text around is context)."""
        end = len(data) if end is None else end
        if self.bodies:
            for match in _HEX_BODY.finditer(data, start):
                if match.start() >= end:
                    break
                body = (match.group(1) or match.group(2)).lower()
                if body in self.bodies:
                    return True
        if self.others is not None:
            for match in self.others.finditer(data, start):
                if match.start() >= end:
                    break
                return True
        return False


@functools.lru_cache(maxsize=4)
def _matcher(pseudonym_sets: tuple[frozenset[str], ...]) -> PseudonymMatcher:
    """One matcher for the outputs of a job (the same sets, checked one after another)."""
    return PseudonymMatcher(frozenset().union(*pseudonym_sets))


def prepare(tables: dict[str, TableInfo]) -> None:
    """Build the pseudonym matcher of ``tables`` now (before the checks fork: each child
    then has it)."""
    _matcher(tuple(tables[code].pseudonyms for code in sorted(tables)))


@dataclass
class RawScan:
    pseudonym: bool = False
    dofs: list[float] = field(default_factory=list)
    active_content: bool = False
    lines: int = 0
    utf8: bool = True


def _scan_raw(path: Path, *, matcher: PseudonymMatcher, text: bool, svg: bool) -> RawScan:
    """One pass over the bytes in chunks. Each round leaves its last `overlap` bytes
    unsearched and carries them into the next, so a match cut by a chunk's end is found
    whole in the next round (the patterns are bounded and shorter than the overlap) and
    no match is counted twice."""
    result = RawScan()
    overlap = max(OVERLAP, matcher.longest + 2)
    decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="strict")
    carry = b""
    with open(path, "rb") as handle:
        while True:
            data = handle.read(CHUNK)
            final = not data
            buffer = carry + data
            limit = len(buffer) if final else max(0, len(buffer) - overlap)
            if text:
                result.lines += data.count(b"\n")
                if result.utf8:
                    try:
                        decoder.decode(data, final=final)
                    except UnicodeDecodeError:
                        result.utf8 = False
                for match in _DOF_TEXT.finditer(buffer, 0, len(buffer)):
                    if match.start() >= limit:
                        break
                    result.dofs.append(float(match.group(1) or match.group(2)))
            if matcher and not result.pseudonym:
                result.pseudonym = matcher.search(buffer, 0, limit)
            if svg and not result.active_content:
                found = _SVG_ACTIVE.search(buffer)
                result.active_content = found is not None and found.start() < limit
            if final:
                break
            carry = buffer[limit:]
    return result


# --- Tabular readers ---------------------------------------------------------------------


def _text_lines(handle):
    """Lines of a UTF-8 file (BOM dropped), each with its "\\n", in bounded memory."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="strict")
    pending = ""
    while True:
        data = handle.read(CHUNK)
        try:
            text = pending + decoder.decode(data, final=not data)
        except UnicodeDecodeError:
            raise Unreadable("The file is not valid UTF-8 text.") from None
        if not data:
            if text:
                yield text
            return
        cut = text.rfind("\n")
        if cut < 0:
            pending = text
        else:
            block, pending = text[: cut + 1], text[cut + 1 :]
            for line in block[:-1].split("\n"):
                yield line + "\n"
        if len(pending) > MAX_LINE:
            raise Unreadable("A line of the file is too long to check.")


@dataclass
class Shape:
    """What a file shows of its rows: its column names and its row count."""

    columns: list[str] | None = None
    rows: int | None = None
    dofs: list[float] = field(default_factory=list)
    notes: list[tuple[str, list]] = field(default_factory=list)  # reasons for review, as codes


def delimited_records(path: Path, delimiter: str):
    """The records of a UTF-8 delimited file as Python's csv module reads it strictly
    (quote '"', doubled to escape; blank lines are empty records), in bounded memory.
    Raises ``Unreadable``."""
    with open(path, "rb") as handle:
        reader = csv.reader(
            _text_lines(handle), delimiter=delimiter, quotechar='"', doublequote=True, strict=True
        )
        try:
            yield from reader
        except csv.Error:
            raise Unreadable("The file cannot be parsed as delimited text.") from None


def _read_delimited(path: Path, delimiter: str) -> Shape:
    shape = Shape(rows=0)
    for record in delimited_records(path, delimiter):
        if not record:
            continue
        if shape.columns is None:
            shape.columns = list(record)
        else:
            shape.rows += 1
    if shape.columns is None:
        shape.columns = []
    return shape


class _JsonReader:
    """JSON values one at a time from a file, never holding more than MAX_JSON_VALUE
    characters of text."""

    _decoder = json.JSONDecoder()
    _space = re.compile(r"[ \t\n\r]*")

    def __init__(self, handle):
        self.handle = handle
        self.decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="strict")
        self.buffer = ""
        self.position = 0
        self.eof = False

    def _fill(self, size: int | None = None) -> bool:
        if self.eof:
            return False
        data = self.handle.read(size or CHUNK)
        try:
            text = self.decoder.decode(data, final=not data)
        except UnicodeDecodeError:
            raise Unreadable("The file is not valid UTF-8 text.") from None
        self.eof = not data
        self.buffer = self.buffer[self.position :] + text
        self.position = 0
        if len(self.buffer) > MAX_JSON_VALUE:
            raise Unreadable("A JSON value of the file is too large to check.")
        return bool(data or text)

    def peek(self) -> str:
        """The next character that is not white space ('' at the end)."""
        while True:
            self.position = self._space.match(self.buffer, self.position).end()
            if self.position < len(self.buffer):
                return self.buffer[self.position]
            if not self._fill():
                return ""

    def take(self, character: str) -> None:
        if self.peek() != character:
            raise Unreadable("The file is not valid JSON.")
        self.position += 1

    def value(self):
        size = CHUNK
        self.peek()  # raw_decode does not skip white space
        while True:
            try:
                value, end = self._decoder.raw_decode(self.buffer, self.position)
            except json.JSONDecodeError:
                if not self._fill(size):
                    raise Unreadable("The file is not valid JSON.") from None
                size = min(size * 2, MAX_JSON_VALUE // 4)
                continue
            except RecursionError:
                raise Unreadable("The file's JSON is nested too deeply to check.") from None
            # a number or literal at the end of the text may go on in the next chunk
            if (
                end == len(self.buffer)
                and not isinstance(value, dict | list | str)
                and self._fill()
            ):
                continue
            self.position = end
            return value


def _json_dofs(value, into: list[float]) -> None:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, inner in item.items():
                if (
                    isinstance(key, str)
                    and key.lower() in _DOF_KEYS
                    and isinstance(inner, int | float)
                    and not isinstance(inner, bool)
                ):
                    into.append(float(inner))
                elif isinstance(inner, dict | list):
                    stack.append(inner)
        elif isinstance(item, list):
            stack.extend(inner for inner in item if isinstance(inner, dict | list))


def _add_columns(columns: dict, keys) -> None:
    for key in keys:
        if len(columns) >= MAX_COLUMNS:
            return
        columns.setdefault(str(key), None)


def _document_shape(value, shape: Shape) -> None:
    """The rows of one JSON document in pandas' orients: records, split, table, index,
    columns, values."""
    columns: dict = {}
    if isinstance(value, list):
        if value and all(isinstance(item, dict) for item in value):
            for item in value:
                _add_columns(columns, item)
            shape.rows = len(value)
        elif value and all(isinstance(item, list) for item in value):
            shape.rows = len(value)
    elif isinstance(value, dict) and value:
        data = value.get("data")
        if isinstance(value.get("columns"), list) and isinstance(data, list):
            _add_columns(columns, value["columns"])
            shape.rows = len(data)
        elif isinstance(data, list) and data and all(isinstance(item, dict) for item in data):
            for item in data:
                _add_columns(columns, item)
            shape.rows = len(data)
        elif all(isinstance(inner, dict | list) for inner in value.values()):
            _add_columns(columns, value)
            for inner in value.values():
                if isinstance(inner, dict):
                    _add_columns(columns, inner)
            if all(str(key).isdigit() for key in value):  # orient="index"
                shape.rows = len(value)
            else:  # orient="columns" or "list"
                shape.rows = max(len(inner) for inner in value.values())
    if columns:
        shape.columns = list(columns)


def _read_json(path: Path) -> Shape:
    shape = Shape()
    with open(path, "rb") as handle:
        reader = _JsonReader(handle)
        if reader.peek() == "[":  # an array, read element by element
            reader.take("[")
            columns: dict = {}
            rows = 0
            objects = lists = True
            if reader.peek() == "]":
                reader.take("]")
            else:
                while True:
                    item = reader.value()
                    rows += 1
                    if isinstance(item, dict):
                        _add_columns(columns, item)
                        lists = False
                    elif isinstance(item, list):
                        objects = False
                    else:
                        objects = lists = False
                    _json_dofs(item, shape.dofs)
                    following = reader.peek()
                    if following == "]":
                        reader.take("]")
                        break
                    reader.take(",")
            if reader.peek():
                raise Unreadable("The file is not valid JSON.")
            if rows and (objects or lists):
                shape.rows = rows
                shape.columns = list(columns) if objects else None
            return shape
        first = None  # one document, or JSON lines
        count = 0
        columns = {}
        objects = True
        while reader.peek():
            item = reader.value()
            count += 1
            if count == 1:
                first = item
            _json_dofs(item, shape.dofs)
            if isinstance(item, dict):
                _add_columns(columns, item)
            else:
                objects = False
        if count == 0:
            raise Unreadable("The file is empty, not JSON.")
        if count == 1:
            _document_shape(first, shape)
        elif objects:  # JSON lines of objects: one row each
            shape.rows = count
            shape.columns = list(columns)
    return shape


def parquet_refusal(path: Path, *, max_bytes: int | None = None) -> str | None:
    """Why a Parquet file is not to be scanned, from its footer alone (its data is larger
    than ``max_bytes`` (``PARQUET_MAX_BYTES``) uncompressed, in all or in one column chunk;
    its metadata is too large), or None. The reason holds limits only."""
    import pyarrow.parquet as pq

    max_bytes = PARQUET_MAX_BYTES if max_bytes is None else max_bytes

    too_large = (
        f"The Parquet file is too large to scan: its data is over {max_bytes >> 20} MB "
        "uncompressed."
    )
    size = path.stat().st_size
    with open(path, "rb") as handle:
        handle.seek(max(0, size - 8))
        tail = handle.read(8)
    footer = int.from_bytes(tail[:4], "little")
    if size < 12 or tail[4:] != b"PAR1" or footer > size - 12:
        return "The file cannot be read as Parquet."
    if footer > PARQUET_MAX_FOOTER:
        return "The Parquet file is too large to scan: its metadata is too large."
    try:
        metadata = pq.read_metadata(path)
        if metadata.num_row_groups * max(metadata.num_columns, 1) > PARQUET_MAX_CHUNKS:
            return "The Parquet file is too large to scan: it has too many parts."
        total = 0
        for number in range(metadata.num_row_groups):
            group = metadata.row_group(number)
            for column in range(group.num_columns):
                chunk = group.column(column).total_uncompressed_size
                if chunk < 0 or chunk > max_bytes:
                    return too_large
                total += chunk
            if total > max_bytes:
                return too_large
    except Exception:  # an untrusted file may break the reader in any way
        return "The file cannot be read as Parquet."
    return None


def _is_text(kind) -> bool:
    import pyarrow as pa

    return any(
        test(kind)
        for test in (pa.types.is_string, pa.types.is_large_string, pa.types.is_string_view)
    )


def _read_parquet(path: Path, matcher: PseudonymMatcher) -> tuple[Shape, bool]:
    """Columns and rows from the footer; pseudonyms in the text columns, a few rows at a
    time, text columns read as dictionaries (a value repeated by the encoding is not
    repeated in memory), at most PARQUET_MAX_BYTES of text in all."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    refusal = parquet_refusal(path)
    if refusal is not None:
        raise Unreadable(refusal)
    found = False
    # Values cheaper to rule out in Arrow than in Python: no run of hex characters.
    prefilter = _RUN if matcher.others is None else None
    try:
        parquet = pq.ParquetFile(path, memory_map=False, buffer_size=CHUNK, pre_buffer=False)
        schema = parquet.schema_arrow
        shape = Shape(columns=list(schema.names), rows=parquet.metadata.num_rows)
        texts = []
        for column in schema:
            kind = column.type
            if pa.types.is_dictionary(kind):
                kind = kind.value_type
            if _is_text(kind):
                texts.append(column.name)
        if not (matcher and texts):
            return shape, found
        parquet = pq.ParquetFile(
            path, memory_map=False, buffer_size=CHUNK, pre_buffer=False, read_dictionary=texts
        )
        scanned = 0
        seen: set[int] = set()  # dictionaries already searched (by their data's address)
        for batch in parquet.iter_batches(batch_size=PARQUET_BATCH_ROWS, columns=texts):
            for values in batch.columns:
                if pa.types.is_dictionary(values.type):
                    dictionary = values.dictionary
                    address = dictionary.buffers()[-1]
                    key = address.address if address is not None else 0
                    if key and key in seen:
                        continue
                    seen.add(key)
                    values = dictionary
                scanned += values.nbytes
                if scanned > PARQUET_MAX_BYTES:
                    raise Unreadable(
                        "The Parquet file is too large to scan: its text is over "
                        f"{PARQUET_MAX_BYTES >> 20} MB."
                    )
                values = values.cast(pa.large_string())
                if prefilter:
                    values = pc.filter(values, pc.match_substring_regex(values, prefilter))
                found = any(
                    value is not None and matcher.search(value.encode())
                    for value in values.to_pylist()
                )
                if found:
                    return shape, found
    except Unreadable:
        raise
    except Exception as error:  # an untrusted file may break the reader in any way
        raise Unreadable("The file cannot be read as Parquet.") from error
    return shape, found


def _read_pdf(path: Path, matcher: PseudonymMatcher) -> tuple[Shape, bool]:
    """The text of the first PDF_MAX_PAGES pages: pseudonyms and models."""
    from pypdf import PdfReader

    shape = Shape()
    found = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = PdfReader(path, strict=False)
            encrypted = reader.is_encrypted
            pages = 0 if encrypted else len(reader.pages)
            extracted = 0
            for number in range(min(pages, PDF_MAX_PAGES)):
                if extracted > PDF_MAX_TEXT:
                    shape.notes.append(
                        (
                            f"Only the text of the PDF's first {number} pages was checked: it "
                            "has more text than the checks read.",
                            say("pdf_text", pages=number),
                        )
                    )
                    break
                text = (reader.pages[number].extract_text() or "")[: PDF_MAX_TEXT + 1]
                extracted += len(text)
                text = text.encode("utf-8", "replace")
                if matcher and not found:
                    found = matcher.search(text)
                shape.dofs.extend(
                    float(match.group(1) or match.group(2)) for match in _DOF_TEXT.finditer(text)
                )
    except Exception as error:  # an untrusted file may break the reader in any way
        raise Unreadable("The file cannot be read as PDF.") from error
    if encrypted:
        raise Unreadable("The PDF is encrypted, so its text cannot be checked.")
    if pages > PDF_MAX_PAGES:
        shape.notes.append(
            (
                f"Only the first {PDF_MAX_PAGES} of the PDF's {pages} pages were checked.",
                say("pdf_pages", checked=PDF_MAX_PAGES, pages=pages),
            )
        )
    return shape, found


def _read_image(path: Path, kind: str, matcher: PseudonymMatcher) -> tuple[Shape, bool]:
    """A PNG or JPEG that Pillow verifies; pseudonyms in its text metadata."""
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:  # reads the header only
                width, height = image.size
                if width * height > IMAGE_MAX_PIXELS:
                    raise Unreadable("The image is too large to check.")
                format_ = image.format
                texts = [value for value in image.info.values() if isinstance(value, str)]
                image.verify()
    except Unreadable:
        raise
    except Exception as error:  # an untrusted file may break the reader in any way
        raise Unreadable(f"The file cannot be read as a {KIND_NAMES[kind]}.") from error
    if format_ != kind.upper():
        raise Unreadable(f"The file cannot be read as a {KIND_NAMES[kind]}.")
    found = bool(matcher) and any(matcher.search(text.encode("utf-8", "replace")) for text in texts)
    return Shape(), found


# --- Findings -----------------------------------------------------------------------------


def _name(column: str) -> str:
    """A column's name as compared: trimmed, unquoted, unqualified, lower case."""
    name = column.strip().strip("\"'`[]").strip()
    return name.rsplit(".", 1)[-1].strip("\"'`[]").lower()


def _column_findings(
    columns: list[str], tables: dict[str, TableInfo]
) -> tuple[list[str], list[str]]:
    """Findings (counts and table codes only, in English and as codes) and the file's
    offending column names."""
    present = {_name(column): column for column in columns}
    findings, offending = [], []
    for code in sorted(tables):
        table = tables[code]
        roles: dict[str, set[str]] = {}  # output column -> the roles it is named like
        for role, names in (
            ("identifier", table.identifier_columns),
            ("pseudonym", table.pseudonym_columns),
        ):
            for name in names:
                column = present.get(_name(name))
                if column is not None:
                    roles.setdefault(column, set()).add(role)
        if not roles:
            continue
        kinds = sorted(set().union(*roles.values()))
        like = " or ".join(kinds)
        count = len(roles)
        like = (
            f"{'an' if like[0] == 'i' else 'a'} {like} column" if count == 1 else f"{like} columns"
        )
        findings.append(
            (
                f"The output has {_plural(count, 'column')} named like {like} of input table "
                f"{code}.",
                say("identifier_columns", columns=count, roles=kinds, table=code),
            )
        )
        offending.extend(column for column in roles if column not in offending)
    return findings, offending


def _detail_names(names: list[str]) -> list[str]:
    return [name[:DETAIL_CHARS] for name in names[:DETAIL_NAMES]]


def comparable_rows(rows: int, table_rows: int, threshold: int) -> bool:
    """As many rows as the table; or, for a table with more rows than the threshold, from
    half to twice its rows (an output far larger than a small lookup table is not taken
    for a copy of it)."""
    if rows <= 0 or table_rows <= 0:
        return False
    if rows == table_rows:
        return True
    return table_rows > threshold and table_rows <= 2 * rows <= 4 * table_rows


def _row_findings(rows: int, tables: dict[str, TableInfo], threshold: int, unit: str) -> list:
    findings = []
    for code in sorted(tables):
        table = tables[code]
        if comparable_rows(rows, table.rows, threshold):
            findings.append(
                (
                    f"The output has {_plural(rows, unit)}, comparable to the "
                    f"{_plural(table.rows, 'row')} of input table {code}.",
                    say(f"comparable_{unit}s", rows=rows, table_rows=table.rows, table=code),
                )
            )
    return findings


def _dof_check(dofs: list[float], params: Parameters) -> dict:
    if not dofs:
        return _entry(
            NOT_APPLICABLE, "No statistical model was found in the file.", say("dof_none")
        )
    if any(not math.isfinite(value) for value in dofs):
        return _entry(
            REVIEW,
            "A model in the file reports residual degrees of freedom that are not finite.",
            say("dof_infinite"),
        )
    lowest = min(dofs)
    shown = int(lowest) if float(lowest).is_integer() else lowest
    models = _plural(len(dofs), "model")
    # the number is the file's: in the detail, not the reason
    if lowest < params.min_dof:
        return _entry(
            FAIL,
            f"Of {models} in the file, the lowest residual degrees of freedom are below the "
            f"minimum of {params.min_dof}.",
            say("dof_fail", models=len(dofs), min_dof=params.min_dof),
            detail={"dof": shown},
        )
    return _entry(
        PASS,
        f"Of {models} in the file, the lowest residual degrees of freedom are at least the "
        f"minimum of {params.min_dof}.",
        say("dof_pass", models=len(dofs), min_dof=params.min_dof),
        detail={"dof": shown},
    )


# --- The check ----------------------------------------------------------------------------


def check_file(
    path: Path, *, tables: dict[str, TableInfo], params: Parameters, max_bytes: int
) -> dict[str, dict]:
    """The file checks of one output: BlockedTypeCheck, SizeCheck, RowLevelCheck, dof."""
    path = Path(path)
    info = path.lstat()
    if not stat.S_ISREG(info.st_mode):
        reason = "The output is not a regular file (a link, folder or device) and is blocked."
        return {
            "BlockedTypeCheck": _entry(FAIL, reason, say("not_a_file")),
            "SizeCheck": _entry(NOT_APPLICABLE, "Not a regular file.", say("not_regular")),
            "RowLevelCheck": _entry(NOT_APPLICABLE, "Not a regular file.", say("not_regular")),
            "dof": _entry(NOT_APPLICABLE, "Not a regular file.", say("not_regular")),
        }
    size = info.st_size
    with open(path, "rb") as handle:
        head = handle.read(SNIFF)
        if size > SNIFF:
            handle.seek(max(SNIFF, size - 8))
        tail = handle.read(8) if size > SNIFF else head[-8:]
    extension = path.suffix.lower().lstrip(".")
    checks: dict[str, dict] = {}
    type_entry, kind = _type_check(extension, head, tail)
    checks["BlockedTypeCheck"] = type_entry
    if size > max_bytes:
        checks["SizeCheck"] = _entry(
            FAIL,
            f"The file has {_plural(size, 'byte')}, over the limit of {max_bytes}.",
            say("size_fail", size=size, limit=max_bytes),
            bytes=size,
            max_bytes=max_bytes,
        )
    else:
        checks["SizeCheck"] = _entry(
            PASS,
            f"The file has {_plural(size, 'byte')}, within the limit of {max_bytes}.",
            say("size_pass", size=size, limit=max_bytes),
            bytes=size,
            max_bytes=max_bytes,
        )
    if kind is None:
        skipped = "Not checked: the file's type is not one that can be read."
        checks["RowLevelCheck"] = _entry(
            REVIEW if type_entry["status"] == REVIEW else NOT_APPLICABLE,
            skipped,
            say("type_unreadable"),
        )
        checks["dof"] = _entry(NOT_APPLICABLE, skipped, say("type_unreadable"))
        return checks
    if size > max_bytes:
        checks["RowLevelCheck"] = _entry(
            REVIEW, "Not checked: the file is larger than the size limit.", say("too_large")
        )
        checks["dof"] = _entry(
            NOT_APPLICABLE, "Not checked: the file is larger than the limit.", say("too_large")
        )
        return checks
    checks["RowLevelCheck"], checks["dof"], active = _content_checks(path, kind, tables, params)
    if active:
        checks["BlockedTypeCheck"] = _entry(
            FAIL,
            "The SVG image holds active content (scripts or event handlers) and is blocked.",
            say("svg_active"),
        )
    return checks


def _content_checks(
    path: Path, kind: str, tables: dict[str, TableInfo], params: Parameters
) -> tuple[dict, dict, bool]:
    """RowLevelCheck and dof entries, and whether an SVG holds active content."""
    matcher = _matcher(tuple(tables[code].pseudonyms for code in sorted(tables)))
    raw = _scan_raw(path, matcher=matcher, text=kind in TEXT_KINDS, svg=kind == "svg")
    fails: list[tuple[str, list]] = []  # each finding in English and as codes
    reviews: list[tuple[str, list]] = []
    found = raw.pseudonym
    shape = Shape()
    try:
        if kind in ("csv", "tsv"):
            shape = _read_delimited(path, "," if kind == "csv" else "\t")
        elif kind == "json":
            shape = _read_json(path)
        elif kind == "parquet":
            shape, hit = _read_parquet(path, matcher)
            found = found or hit
        elif kind == "pdf":
            shape, hit = _read_pdf(path, matcher)
            found = found or hit
        elif kind in ("png", "jpeg"):
            shape, hit = _read_image(path, kind, matcher)
            found = found or hit
        elif not raw.utf8:  # text and SVG: read whole by the raw scan
            raise Unreadable("The file is not valid UTF-8 text.")
    except Unreadable as error:
        reviews.append((str(error), say("unreadable", kind=kind)))
    reviews.extend(shape.notes)
    detail = {}
    if shape.columns:
        findings, offending = _column_findings(shape.columns, tables)
        fails.extend(findings)
        if offending:
            detail["columns"] = _detail_names(offending)
    if found:
        fails.append(
            (
                "A pseudonym of the workspace appears in the file: row-level identifiers.",
                say("pseudonym"),
            )
        )
    if shape.rows is not None:
        fails.extend(_row_findings(shape.rows, tables, params.threshold, "row"))
    elif kind == "text":
        reviews.extend(
            (text + " Is it a row-level listing?", said)
            for text, said in _row_findings(raw.lines, tables, params.threshold, "line")
        )
    extra = {"rows": shape.rows} if shape.rows is not None else {}
    if shape.columns is not None:
        extra["columns"] = len(shape.columns)
    if detail:
        extra["detail"] = detail
    if fails or reviews:
        found_all = fails + reviews
        row_level = _entry(
            FAIL if fails else REVIEW,
            " ".join(text for text, _ in found_all),
            [part for _, said in found_all for part in said],
            **extra,
        )
    else:
        row_level = _entry(
            PASS,
            "No column named like an identifier, no pseudonym and no row count comparable "
            "to an input table's were found.",
            say("row_level_pass"),
            **extra,
        )
    return row_level, _dof_check(raw.dofs + shape.dofs, params), raw.active_content
