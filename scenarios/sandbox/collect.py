"""Collecting what a job wrote: only regular files directly in its output folder, into
quarantine under DATA_ROOT, with size and SHA-256."""

import hashlib
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from scenarios.jobreasons import Reason, say

SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]")
CHUNK = 1024 * 1024


class OutputRefused(Exception):
    """Too many files or too many bytes: the job fails with this reason."""

    def __init__(self, reason: Reason):
        super().__init__(reason.english)
        self.reason = reason


@dataclass
class Collected:
    name: str
    size: int
    sha256: str
    path: Path  # in quarantine


def safe_name(name: str, taken: set[str]) -> str:
    """ASCII letters, digits, dot, dash and underscore; no leading dot; unique."""
    cleaned = SAFE_NAME.sub("_", name).lstrip(".")[:100] or "output"
    candidate, number = cleaned, 1
    while candidate.lower() in taken:
        number += 1
        stem, dot, suffix = cleaned.rpartition(".")
        candidate = f"{stem}-{number}.{suffix}" if dot and stem else f"{cleaned}-{number}"
    taken.add(candidate.lower())
    return candidate


def _copy(source_fd: int, target: Path, limit: int) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    with open(target, "xb") as out:
        while chunk := os.read(source_fd, CHUNK):
            size += len(chunk)
            if size > limit:
                raise OutputRefused(say("output_grew"))
            digest.update(chunk)
            out.write(chunk)
    target.chmod(0o440)
    return size, digest.hexdigest()


# Extensions a renamed output keeps; anything else becomes .bin.
KNOWN_SUFFIXES = {".csv", ".tsv", ".txt", ".json", ".md", ".png", ".jpg", ".jpeg", ".svg"}
KNOWN_SUFFIXES |= {".pdf", ".parquet"}


def neutral_name(name: str, number: int) -> str:
    """``output-N.ext``: what a file is called when its own name could carry data."""
    suffix = Path(name).suffix.lower()
    return f"output-{number}{suffix if suffix in KNOWN_SUFFIXES else '.bin'}"


def collect(
    folder: Path,
    quarantine: Path,
    *,
    max_files: int,
    max_bytes: int,
    reserved: set[str],
    declared: set[str] | None = None,
) -> tuple[list[Collected], list[str]]:
    """Copy the regular files of ``folder`` into ``quarantine``. Returns what was kept and
    what was skipped (links, folders, devices ...). Raises ``OutputRefused`` over a cap.

    With ``declared`` (the names the job's code gives before it runs), a file keeps its
    name only when it is one of them: a name made from the data would be a way out for
    it, so any other file is called ``output-N.ext``."""
    kept: list[tuple[str, os.stat_result]] = []
    skipped: list[str] = []
    with os.scandir(folder) as entries:
        for entry in entries:
            info = entry.stat(follow_symlinks=False)
            if stat.S_ISREG(info.st_mode) and info.st_nlink == 1:
                kept.append((entry.name, info))
            else:
                skipped.append(entry.name)
    # The refusals name the limit, never how many the job wrote: a number the job chose
    # from the data would reach the developer unchecked.
    if len(kept) > max_files:
        raise OutputRefused(say("too_many_files", max=max_files))
    if sum(info.st_size for _name, info in kept) > max_bytes:
        raise OutputRefused(say("too_many_bytes", max=max_bytes))
    quarantine.mkdir(parents=True, exist_ok=True)
    taken = {name.lower() for name in reserved}
    collected = []
    # Declared names first, so a renamed file can never take one of theirs.
    for name, info in sorted(
        kept, key=lambda k: (declared is not None and k[0] not in declared, k[0])
    ):
        # O_NOFOLLOW and the same inode: the file cannot be swapped for a link meanwhile.
        descriptor = os.open(folder / name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        try:
            now = os.fstat(descriptor)
            if (now.st_ino, now.st_dev) != (info.st_ino, info.st_dev) or not stat.S_ISREG(
                now.st_mode
            ):
                skipped.append(name)
                continue
            clean = safe_name(name, taken)
            if declared is not None and (clean != name or name not in declared):
                taken.discard(clean.lower())
                number = 1
                while neutral_name(name, number).lower() in taken:
                    number += 1
                clean = neutral_name(name, number)
                taken.add(clean.lower())
            size, sha256 = _copy(descriptor, quarantine / clean, max_bytes)
        finally:
            os.close(descriptor)
        collected.append(Collected(clean, size, sha256, quarantine / clean))
    return collected, skipped


def keep_log(source: Path, target: Path, *, max_bytes: int) -> Collected:
    """stdout or stderr (written by the worker's own descriptors), truncated to a cap."""
    digest, size = hashlib.sha256(), 0
    with open(source, "rb") as handle, open(target, "xb") as out:
        while size < max_bytes and (chunk := handle.read(min(CHUNK, max_bytes - size))):
            size += len(chunk)
            digest.update(chunk)
            out.write(chunk)
    target.chmod(0o440)
    return Collected(target.name, size, digest.hexdigest(), target)
