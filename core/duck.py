"""Helpers for SQL written to DuckDB and for the files it reads and writes: quoting of
identifiers and literals, and a file's SHA-256 (catalog versions, workspaces, outputs)."""

import hashlib
from pathlib import Path

CHUNK = 1 << 20


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
