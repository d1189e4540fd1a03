"""A job's reason (why it failed, stopped or was cancelled) as a code with parameters.

The sandbox engine, output collection, the worker and the job services each say a reason
with ``say(code, **params)``; the job keeps its English sentence in ``reason`` (for the
API and the audit log) and the code and parameters beside it, and ``reason_text`` words
it in the reader's language. Parameters are numbers (limits, a line, attempts), an error
class of the engine's fixed list, a username or a staff member's comment: never a value
of the data.

Records made before the codes (an English sentence, or one the worker wrote in Chinese)
are read back from their shape in either language; a sentence of no known shape is shown
as it was stored."""

import builtins
import re
from dataclasses import dataclass, field
from functools import cache


def gettext_noop(message: str) -> str:
    """Marks a sentence for translation (makemessages finds it by this name) without
    Django: the sandbox engine, which is Django-free, says reasons too."""
    return message


# One sentence per code, its msgid the English stored in ``Job.reason``. The order counts
# when an old sentence is read back: the first shape that matches says it (the error
# class's shape, which matches any ``Word.``, comes last).
TEMPLATES = {
    # the sandbox engine
    "cancelled": gettext_noop("Cancelled."),
    "wall_limit": gettext_noop("Stopped at the wall-clock limit of %(seconds)s s."),
    "cpu_limit": gettext_noop("Stopped at the CPU time limit."),
    "memory_limit": gettext_noop("Stopped at the memory limit of %(mb)s MB."),
    "file_size_signal": gettext_noop("Stopped at the file size limit."),
    "file_size_limit": gettext_noop("Stopped at the file size limit of %(mb)s MB."),
    "output_bytes": gettext_noop("The output folder grew past %(max)s bytes."),
    "output_entries": gettext_noop(
        "The output folder grew past %(max)s files and folders (sub-folders included)."
    ),
    "sandbox_start": gettext_noop(
        "The sandbox could not start; operator staff see the worker's log."
    ),
    "signal": gettext_noop("The job ended on a signal."),
    "no_report": gettext_noop("The job ended without a report."),
    "unknown_error_line": gettext_noop("Error at line %(line)s."),
    "unknown_error": gettext_noop("Error."),
    # output collection
    "too_many_files": gettext_noop("The job wrote more than %(max)s files, the most kept."),
    "too_many_bytes": gettext_noop("The job wrote more than %(max)s bytes, the most kept."),
    "output_grew": gettext_noop("An output grew while it was collected."),
    # the worker
    "not_authorized": gettext_noop("The scenario is no longer authorized."),
    "no_bubblewrap": gettext_noop(
        "This worker cannot run jobs: bubblewrap is not installed "
        "(operator staff: install it, or set SANDBOX_INSECURE_DEV=1 for development)."
    ),
    "worker_error": gettext_noop("The worker could not run the job; operator staff see the log."),
    "lost_cancelled": gettext_noop("Cancelled; the worker running the job was lost meanwhile."),
    "worker_lost": gettext_noop("The worker running the job was lost (%(n)s attempts)."),
    # the job services
    "cancelled_by": gettext_noop("Cancelled by %(user)s."),
    "scenario_closed": gettext_noop("The scenario was closed."),
    "scenario_expired": gettext_noop("The scenario expired."),
    "scenario_suspended": gettext_noop("The scenario was suspended: %(comment)s"),
    "scenario_revoked": gettext_noop("The scenario was revoked: %(comment)s"),
    # the engine's error classes (names of Python, pandas or DuckDB exceptions)
    "error_line": gettext_noop("%(error)s at line %(line)s."),
    "error": gettext_noop("%(error)s."),
}

# What a parameter looks like in a sentence; any other is a number.
_SHAPES = {"error": r"[A-Za-z_][A-Za-z0-9_]*", "user": r"\S+", "comment": r".+"}
_NUMBER = r"\d+(?:\.\d+)?"
# Sentences of older records that no template says any more.
_RENAMED = {"an output grew while it was collected": "output_grew"}


@dataclass(frozen=True)
class Reason:
    code: str
    params: dict = field(default_factory=dict)

    @property
    def english(self) -> str:
        return TEMPLATES[self.code] % self.params

    def __str__(self) -> str:
        return self.english


def say(code: str, **params) -> Reason:
    """A reason by its code (one of TEMPLATES) and parameters."""
    if code not in TEMPLATES:
        raise ValueError(f"unknown job reason {code!r}")
    return Reason(code, params)


def _pattern(template: str) -> re.Pattern:
    parts = re.split(r"%\((\w+)\)s", template)
    regex = "".join(
        re.escape(part) if index % 2 == 0 else f"(?P<{part}>{_SHAPES.get(part, _NUMBER)})"
        for index, part in enumerate(parts)
    )
    return re.compile(regex, re.DOTALL)


@cache
def _patterns(language: str) -> list[tuple[str, re.Pattern]]:
    """Each code's sentence shape in ``language`` (from its translation)."""
    from django.utils import translation
    from django.utils.translation import gettext as _

    with translation.override(language):
        return [(code, _pattern(_(template))) for code, template in TEMPLATES.items()]


def _number(value: str):
    return float(value) if "." in value else int(value)


def _known_errors() -> frozenset[str]:
    """Error classes a developer may see: a job cannot smuggle data through a class name
    it made up."""
    import duckdb

    names = {
        name
        for name, value in vars(builtins).items()
        if isinstance(value, type) and issubclass(value, BaseException)
    }
    names |= {
        name
        for name, value in vars(duckdb).items()
        if isinstance(value, type) and issubclass(value, BaseException)
    }
    names |= {
        "LinAlgError",
        "MergeError",
        "ParserError",
        "NotFittedError",
        "PerfectSeparationError",
    }
    return frozenset(names)


KNOWN_ERRORS = _known_errors()


def _known_class(name: str | None) -> bool:
    """No error class, or one of the list (any other ``Word.`` is not one)."""
    return name is None or name in KNOWN_ERRORS


def reason_read(text: str) -> Reason | None:
    """The code and parameters of a stored sentence, English or any portal language's."""
    from django.conf import settings

    text = (text or "").strip()
    if text in _RENAMED:
        return Reason(_RENAMED[text])
    for language in ["en"] + [code for code, _name in settings.LANGUAGES if code != "en"]:
        for code, pattern in _patterns(language):
            found = pattern.fullmatch(text)
            if found and _known_class(found.groupdict().get("error")):
                params = {
                    key: value if key in _SHAPES else _number(value)
                    for key, value in found.groupdict().items()
                }
                return Reason(code, params)
    return None


def reason_text(reason: str, code: str = "", params: dict | None = None) -> str:
    """A job's reason in the active language: from its code when it has one, else from
    its sentence's shape; a sentence of no known shape as it was stored."""
    from django.utils.translation import gettext as _

    said = Reason(code, params or {}) if code in TEMPLATES else reason_read(reason)
    if said is None:
        return reason
    try:
        return _(TEMPLATES[said.code]) % said.params
    except (KeyError, TypeError, ValueError):
        return reason
