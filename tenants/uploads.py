"""Content checks for uploaded qualification files: the bytes decide, never the name."""

import hashlib
import io
import unicodedata
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _
from PIL import Image
from pypdf import PdfReader

from core.errors import InvalidInput

_SIGNATURES = {
    b"%PDF-": "pdf",
    b"\x89PNG\r\n\x1a\n": "png",
    b"\xff\xd8\xff": "jpeg",
}


@dataclass(frozen=True)
class CheckedFile:
    kind: str
    size: int
    sha256: str
    display_name: str
    content: bytes


def clean_display_name(name: str) -> str:
    """A file name safe to show: no directories, no control characters, bounded length."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip(" .")
    return base[:150] or "file"


def _sniff(head: bytes) -> str | None:
    for signature, kind in _SIGNATURES.items():
        if head.startswith(signature):
            return kind
    return None


def _verify_pdf(content: bytes) -> None:
    reader = PdfReader(io.BytesIO(content))
    if len(reader.pages) < 1:
        raise ValueError("no pages")


def _verify_image(content: bytes, kind: str) -> None:
    expected = {"png": "PNG", "jpeg": "JPEG"}[kind]
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with Image.open(io.BytesIO(content)) as image:
            if image.format != expected:
                raise ValueError("format mismatch")
            image.verify()


def check_qualification_file(uploaded) -> CheckedFile:
    """Accept a PDF, PNG or JPEG whose content parses as such, within the size limit."""
    name = clean_display_name(getattr(uploaded, "name", ""))
    limit = settings.QUALIFICATION_MAX_BYTES
    if uploaded.size > limit:
        raise InvalidInput(
            _("%(name)s is too large (%(size)d bytes); the limit is %(limit)d bytes.")
            % {"name": name, "size": uploaded.size, "limit": limit},
            field="files",
        )
    if uploaded.size == 0:
        raise InvalidInput(_("%(name)s is empty.") % {"name": name}, field="files")
    content = b"".join(uploaded.chunks())
    kind = _sniff(content[:16])
    refused = InvalidInput(
        _("%(name)s is not a valid PDF, PNG or JPEG file (its content was checked, not its name).")
        % {"name": name},
        field="files",
    )
    if kind is None:
        raise refused
    try:
        if kind == "pdf":
            _verify_pdf(content)
        else:
            _verify_image(content, kind)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InvalidInput(
            _("%(name)s has too many pixels to be a document scan.") % {"name": name},
            field="files",
        ) from None
    except Exception:  # any parser failure means: not a document we accept
        raise refused from None
    return CheckedFile(
        kind=kind,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        display_name=name,
        content=content,
    )
