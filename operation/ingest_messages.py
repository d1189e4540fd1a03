"""Ingestion's refusals in the reader's language. ``operation.ingest`` stays free of Django
(benchmarks run it alone) and says why in English; this reads its message and says the same
through gettext, leaving what the file itself says (a row, DuckDB's detail) as it is."""

import re

from django.utils.translation import gettext as _

from operation.ingest import DUCKDB_TYPES
from operation.models import FieldType

# (pattern of operation.ingest's message, its words with the pattern's groups)
_MESSAGES = [
    (
        r"the compressed file expands beyond the allowed size \((?P<bytes>\d+) bytes\): "
        r"refused as a possible compression bomb",
        lambda: _(
            "the compressed file expands beyond the allowed size (%(bytes)s bytes): "
            "refused as a possible compression bomb"
        ),
    ),
    (r"the gzip file is corrupt \(\w+\)", lambda: _("the gzip file is corrupt")),
    (r"the Parquet file is corrupt \(\w+\)", lambda: _("the Parquet file is corrupt")),
    (
        r"the file is not valid (?P<encoding>\S+) \(byte (?P<offset>\d+)\)",
        lambda: _("the file is not valid %(encoding)s (byte %(offset)s)"),
    ),
    (
        r"malformed input: the header does not match the rows",
        lambda: _("malformed input: the header does not match the rows"),
    ),
    (
        r"malformed input: line (?P<line>\d+): (?P<count>\d+) fields where the header has "
        r"(?P<header>\d+) \(column (?P<column>\d+)\)",
        lambda: _(
            "malformed input: line %(line)s has %(count)s fields where the header has "
            "%(header)s (column %(column)s)"
        ),
    ),
    (
        r"malformed input: CSV Error on Line: (?P<line>\d+); Error when converting column "
        r"\"(?P<column>[^\"]*)\"\. Could not convert string \"(?P<value>[^\"]*)\" to "
        r"'(?P<engine_type>\w+)'",
        lambda: _(
            'malformed input: line %(line)s: the value "%(value)s" of column "%(column)s" '
            "is not of type %(engine_type)s"
        ),
    ),
    (r"malformed input: (?P<detail>.*)", lambda: _("malformed input: %(detail)s")),
    (
        r"column name (?P<name>.*) is empty, too long or has control characters",
        lambda: _("column name %(name)s is empty, too long or has control characters"),
    ),
    (r"column (?P<name>.*) appears twice", lambda: _("column %(name)s appears twice")),
    (
        r"column (?P<name>.*) has an unsupported type (?P<type>.*) \(nested lists, objects "
        r"and binary data cannot be catalogued\)",
        lambda: _(
            "column %(name)s has an unsupported type %(type)s (nested lists, objects and "
            "binary data cannot be catalogued)"
        ),
    ),
    (r"the file has no columns", lambda: _("the file has no columns")),
    (
        r"the Parquet file expands to (?P<bytes>\d+) bytes: refused as a possible "
        r"compression bomb",
        lambda: _(
            "the Parquet file expands to %(bytes)s bytes: refused as a possible compression bomb"
        ),
    ),
    (
        r"unsupported format (?P<given>.*): use one of (?P<known>.*)",
        lambda: _("unsupported format %(given)s: use one of %(known)s"),
    ),
    (
        r"unsupported encoding (?P<given>.*): use one of (?P<known>.*)",
        lambda: _("unsupported encoding %(given)s: use one of %(known)s"),
    ),
    (r"unknown field type (?P<given>.*)", lambda: _("unknown field type %(given)s")),
    (r"the file is empty", lambda: _("the file is empty")),
    (
        r"the file is (?P<size>\d+) bytes; the limit is (?P<limit>\d+) bytes",
        lambda: _("the file is %(size)s bytes; the limit is %(limit)s bytes"),
    ),
    (r"the file has a header but no rows", lambda: _("the file has a header but no rows")),
]


def ingest_message(message: str) -> str:
    """``operation.ingest``'s refusal in words of the active language (unchanged when it
    is none of the known ones)."""
    for pattern, words in _MESSAGES:
        found = re.fullmatch(pattern, message, re.DOTALL)
        if found:
            groups = found.groupdict()
            if "engine_type" in groups:  # DuckDB's BIGINT: the type as the form names it
                groups["engine_type"] = _type_label(groups["engine_type"])
            return words() % groups
    return message


def _type_label(engine_type: str) -> str:
    kinds = {engine: kind for kind, engine in DUCKDB_TYPES.items()}
    kind = kinds.get(engine_type)
    return str(FieldType(kind).label) if kind else engine_type
