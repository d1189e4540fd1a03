"""Writing to the audit trail, anchoring it outside the database, and verifying it.

Call ``audit_record`` inside the transaction that makes the change. Each event's hash is an
HMAC-SHA256 over its canonical content and the previous hash, with a key that never enters
the database (``AUDIT_KEY``, or ``VAR_DIR/audit_key`` generated once), named in the event
by its key id so that keys can be rotated. Events from before the chain was keyed keep
their plain SHA-256 and verify by it; the first keyed event links to the last of them.

Someone who can write the database but not read the key cannot rewrite an event and the
hashes after it. Deleting the newest events (and moving the chain head back) is caught by
checkpoints: signed lines (sequence, hash, time) appended to ``DATA_ROOT/audit/
checkpoints.jsonl`` after commit every ``AUDIT_CHECKPOINT_EVENTS`` events, whenever the key
changes, and every ``AUDIT_CHECKPOINT_MINUTES`` by beat; optionally to syslog too.
"""

import hashlib
import hmac
import json
import logging
import logging.handlers
import os
import secrets
from dataclasses import dataclass, field
from functools import lru_cache, partial
from pathlib import Path

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from core.models import AuditChainHead, AuditEvent
from core.models.audit import GENESIS_HASH

logger = logging.getLogger(__name__)
# Every checkpoint line is logged here too; AUDIT_SYSLOG adds a syslog handler to it.
checkpoint_logger = logging.getLogger("operation.audit.checkpoint")


# --- Keys ---------------------------------------------------------------------------------


def audit_key_id(key: bytes) -> str:
    """A key's public name: a fingerprint that tells keys apart and reveals nothing of it."""
    return hashlib.sha256(b"sandbox audit key id\0" + key).hexdigest()[:16]


@dataclass(frozen=True)
class AuditKeys:
    """The configured keys: the first signs, every one verifies (older ones after a
    rotation). ``source`` says where they came from, for messages."""

    keys: tuple[bytes, ...]
    source: str
    by_id: dict[str, bytes] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_id", {audit_key_id(key): key for key in self.keys})

    @property
    def signing(self) -> tuple[str, bytes]:
        key = self.keys[0]
        return audit_key_id(key), key


def _generate_key_file(path: Path) -> None:
    """Write a new key to ``path`` once (0600): a complete file under a private name,
    linked into place, so concurrent processes agree and nobody reads half a key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial_file = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(partial_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_urlsafe(48) + "\n")
    try:
        os.link(partial_file, path)
        logger.warning(
            "audit key generated in %s: keep a copy away from this server and the database "
            "(without it the trail's keyed events cannot be verified)",
            path,
        )
    except FileExistsError:
        pass
    finally:
        partial_file.unlink()


@lru_cache(maxsize=8)
def _load_keys(from_settings: tuple[str, ...], key_file: str, create: bool) -> AuditKeys:
    if from_settings:
        return AuditKeys(tuple(key.encode() for key in from_settings), "AUDIT_KEY")
    path = Path(key_file)
    if not path.exists():
        if not create:
            return AuditKeys((), str(path))
        _generate_key_file(path)
    lines = [line.strip() for line in path.read_text().splitlines() if line.strip()]
    return AuditKeys(tuple(line.encode() for line in lines), str(path))


def audit_keys(*, create: bool = True) -> AuditKeys:
    """``AUDIT_KEY`` (comma-separated, the first signs), else the key file beside the secret
    key, one key a line, generated on first use (unless ``create`` is false: verifying)."""
    keys = _load_keys(tuple(settings.AUDIT_KEY), str(settings.AUDIT_KEY_FILE), create)
    if create and not keys.keys:
        raise RuntimeError(f"no audit key in {keys.source}")
    return keys


# --- Writing ------------------------------------------------------------------------------


def _target_of(target: models.Model | None) -> tuple[str, str]:
    if target is None:
        return "", ""
    return target._meta.label_lower, str(target.pk)


def audit_record(
    *,
    by,
    action: str,
    target: models.Model | None = None,
    organization=None,
    details: dict | None = None,
) -> AuditEvent:
    """Append one event to the chain. ``by`` is the acting user, or None for the system."""
    actor = by if by is not None and by.is_authenticated else None
    # What is stored is exactly what is hashed: normalize through JSON once, with floats as
    # text (PostgreSQL's jsonb may give a float back in another form, e.g. 1e20 as an int).
    clean_details = json.loads(json.dumps(details or {}, cls=DjangoJSONEncoder), parse_float=str)
    target_type, target_id = _target_of(target)
    key_id, key = audit_keys().signing
    with transaction.atomic():
        AuditChainHead.objects.get_or_create(pk=1)  # gone only after a table truncation
        head = AuditChainHead.objects.select_for_update().get(pk=1)
        event = AuditEvent(
            seq=head.seq + 1,
            time=timezone.now(),
            actor=actor,
            actor_username=actor.get_username() if actor else "system",
            organization=organization,
            action=action,
            target_type=target_type,
            target_id=target_id,
            details=clean_details,
            prev_hash=head.hash,
            key_id=key_id,
        )
        event.hash = event.compute_hash(key)
        event.save()
        key_changed = head.key_id != key_id
        head.seq, head.hash, head.key_id = event.seq, event.hash, key_id
        head.save(update_fields=["seq", "hash", "key_id"])
        # Anchor every N events, and the first event under a new key (the upgrade to a keyed
        # chain, a rotation), once the change is committed: nothing here slows the writer.
        if key_changed or event.seq % settings.AUDIT_CHECKPOINT_EVENTS == 0:
            transaction.on_commit(
                partial(_checkpoint_after_commit, event.seq, event.hash), robust=True
            )
    return event


# --- Checkpoints --------------------------------------------------------------------------


def checkpoint_path() -> Path:
    return Path(settings.DATA_ROOT) / "audit" / "checkpoints.jsonl"


def _checkpoint_mac(key: bytes, checkpoint: dict) -> str:
    signed = {name: checkpoint[name] for name in ("seq", "hash", "time", "key_id")}
    message = json.dumps(signed, sort_keys=True, separators=(",", ":")).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def audit_checkpoint(seq: int, event_hash: str) -> dict:
    """Append a signed checkpoint of event ``seq`` with ``event_hash`` to the checkpoint
    file (one write of one line, O_APPEND: concurrent writers do not interleave), and send
    it to syslog when AUDIT_SYSLOG is on."""
    key_id, key = audit_keys().signing
    checkpoint = {
        "seq": seq,
        "hash": event_hash,
        "time": timezone.now().isoformat(timespec="microseconds"),
        "key_id": key_id,
    }
    checkpoint["mac"] = _checkpoint_mac(key, checkpoint)
    line = json.dumps(checkpoint, sort_keys=True, separators=(",", ":"))
    path = checkpoint_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, (line + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    _syslog_attached()
    checkpoint_logger.info("audit checkpoint %s", line)
    return checkpoint


def _checkpoint_after_commit(seq: int, event_hash: str) -> None:
    try:
        audit_checkpoint(seq, event_hash)
    except OSError:  # the change is committed: say so loudly, the next checkpoint covers it
        logger.exception("could not write the audit checkpoint of event #%s", seq)


def _last_checkpointed_seq() -> int:
    """The sequence number on the file's last line (0 when there is none)."""
    try:
        with checkpoint_path().open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - 4096))
            lines = handle.read().splitlines()
        return int(json.loads(lines[-1])["seq"]) if lines else 0
    except (OSError, ValueError, KeyError, TypeError):
        return 0


def audit_checkpoint_due() -> dict | None:
    """Checkpoint the chain head unless the file already reaches it (beat's task)."""
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is None or head.seq == 0 or _last_checkpointed_seq() >= head.seq:
        return None
    return audit_checkpoint(head.seq, head.hash)


_syslog_handler: tuple[str, logging.Handler] | None = None


def _syslog_attached() -> None:
    """Attach (or detach) the syslog handler of checkpoint lines as AUDIT_SYSLOG says."""
    global _syslog_handler  # one handler per process
    wanted = settings.AUDIT_SYSLOG_ADDRESS if settings.AUDIT_SYSLOG else ""
    if _syslog_handler is not None and _syslog_handler[0] != wanted:
        checkpoint_logger.removeHandler(_syslog_handler[1])
        _syslog_handler[1].close()
        _syslog_handler = None
    if wanted and _syslog_handler is None:
        host, sep, port = wanted.rpartition(":")
        address = (host, int(port)) if sep and port.isdigit() else wanted
        handler = logging.handlers.SysLogHandler(
            address=address, facility=logging.handlers.SysLogHandler.LOG_AUTHPRIV
        )
        handler.setFormatter(logging.Formatter("sandbox-audit: %(message)s"))
        checkpoint_logger.addHandler(handler)
        _syslog_handler = (wanted, handler)


# --- Verifying ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainBreak:
    """The first thing wrong: an event (``seq``, ``event_id``) or a checkpoint (its line
    ``checkpoint_line`` of the checkpoint file, about event ``seq``)."""

    seq: int
    event_id: int | None
    reason: str
    checkpoint_line: int | None = None

    def __str__(self) -> str:
        if self.checkpoint_line is not None:
            return (
                f"audit checkpoint line {self.checkpoint_line} (event #{self.seq}) "
                f"fails: {self.reason}"
            )
        where = f"event #{self.seq}" + (f" (id {self.event_id})" if self.event_id else "")
        return f"audit chain broken at {where}: {self.reason}"


@dataclass
class AuditReport:
    events: int = 0
    keyed_events: int = 0
    checkpoints: int = 0
    latest_checkpoint: int = 0
    broken: ChainBreak | None = None


def _missing_key(key_id: str, keys: AuditKeys) -> str:
    return f"audit key {key_id} is not configured (AUDIT_KEY or {keys.source})"


def _read_checkpoints(keys: AuditKeys, report: AuditReport) -> dict[int, tuple[int, str]]:
    """Every checkpoint's signature; returns {seq: (line number, hash)} of the latest line
    for each sequence number, or sets ``report.broken`` naming the first bad line."""
    checkpoints: dict[int, tuple[int, str]] = {}
    try:
        text = checkpoint_path().read_text()
    except FileNotFoundError:
        return checkpoints
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            checkpoint = json.loads(line)
            seq, event_hash = int(checkpoint["seq"]), str(checkpoint["hash"])
            key_id, mac = str(checkpoint["key_id"]), str(checkpoint["mac"])
            str(checkpoint["time"])
        except (ValueError, KeyError, TypeError):
            report.broken = ChainBreak(0, None, "not a checkpoint", number)
            return checkpoints
        key = keys.by_id.get(key_id)
        if key is None:
            report.broken = ChainBreak(seq, None, _missing_key(key_id, keys), number)
            return checkpoints
        if not hmac.compare_digest(_checkpoint_mac(key, checkpoint), mac):
            report.broken = ChainBreak(seq, None, "its signature does not match", number)
            return checkpoints
        checkpoints[seq] = (number, event_hash)
        report.checkpoints += 1
        report.latest_checkpoint = max(report.latest_checkpoint, seq)
    return checkpoints


def audit_verify_report() -> AuditReport:
    """Check every checkpoint's signature, then walk the whole chain in order (sequence,
    link to the previous hash, the hash under the key the event names, the checkpointed
    hashes), then that the chain reaches its head and its latest checkpoint."""
    report = AuditReport()
    keys = audit_keys(create=False)
    checkpoints = _read_checkpoints(keys, report)
    if report.broken:
        return report
    expected_prev = GENESIS_HASH
    expected_seq = 1
    keyed = False
    for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=2000):
        report.broken = _event_break(event, expected_seq, expected_prev, keyed, keys)
        if report.broken:
            return report
        if event.seq in checkpoints and checkpoints[event.seq][1] != event.hash:
            line = checkpoints[event.seq][0]
            report.broken = ChainBreak(event.seq, event.pk, "the event's hash differs", line)
            return report
        keyed = bool(event.key_id)
        report.events += 1
        report.keyed_events += keyed
        expected_prev = event.hash
        expected_seq += 1
    last_seq = expected_seq - 1
    if report.latest_checkpoint > last_seq:
        line = checkpoints[report.latest_checkpoint][0]
        report.broken = ChainBreak(
            report.latest_checkpoint,
            None,
            f"the event is missing: the chain ends at #{last_seq} (newest events deleted?)",
            line,
        )
        return report
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is None:  # the migration creates it and nothing removes it: a wiped trail
        report.broken = ChainBreak(last_seq + 1, None, "the chain head is missing (trail wiped?)")
    elif head.seq != last_seq or head.hash != expected_prev:
        report.broken = ChainBreak(last_seq + 1, None, f"events after #{last_seq} are missing")
    return report


def _event_break(
    event: AuditEvent, expected_seq: int, expected_prev: str, keyed: bool, keys: AuditKeys
) -> ChainBreak | None:
    if event.seq != expected_seq:
        return ChainBreak(expected_seq, None, f"event missing (next found is #{event.seq})")
    if event.prev_hash != expected_prev:
        return ChainBreak(event.seq, event.pk, "previous hash does not match")
    if not event.key_id:
        if keyed:
            return ChainBreak(event.seq, event.pk, "an unkeyed event after keyed ones")
        key = None
    else:
        key = keys.by_id.get(event.key_id)
        if key is None:
            return ChainBreak(event.seq, event.pk, _missing_key(event.key_id, keys))
    if not hmac.compare_digest(event.compute_hash(key), event.hash):
        return ChainBreak(event.seq, event.pk, "content does not match its hash")
    return None


def audit_verify() -> ChainBreak | None:
    """The first break in the chain or its checkpoints, or None when intact."""
    return audit_verify_report().broken
