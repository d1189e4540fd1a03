"""Bad qualification uploads: the content decides, nothing half-written remains."""

import io
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from core.errors import InvalidInput
from core.storage import data_path
from tenants.commitment import COMMITMENT_SHA256
from tenants.models import AdmissionStatus, QualificationFile
from tenants.services.admission import admission_submit
from tenants.uploads import check_qualification_file, clean_display_name
from tests.factories import developer, image_upload, pdf_upload

pytestmark = [pytest.mark.django_db, pytest.mark.security]


def test_pdf_png_and_jpeg_are_accepted_by_content():
    assert check_qualification_file(pdf_upload()).kind == "pdf"
    assert check_qualification_file(image_upload("scan.png", "PNG")).kind == "png"
    assert check_qualification_file(image_upload("scan.jpg", "JPEG")).kind == "jpeg"


def test_a_png_named_pdf_is_stored_as_what_it_is():
    assert check_qualification_file(image_upload("licence.pdf", "PNG")).kind == "png"


@pytest.mark.parametrize(
    "content",
    [
        b"MZ\x90\x00 an executable renamed to .pdf",
        b"%PDF-1.7\n this is not really a pdf",
        b"\x89PNG\r\n\x1a\n truncated",
        b"<html><script>alert(1)</script></html>",
        b"GIF89a\x01\x00\x01\x00",
    ],
)
def test_files_that_are_not_valid_documents_are_refused(content):
    with pytest.raises(InvalidInput, match="not a valid PDF, PNG or JPEG"):
        check_qualification_file(SimpleUploadedFile("licence.pdf", content))


def test_an_empty_file_is_refused():
    with pytest.raises(InvalidInput, match="empty"):
        check_qualification_file(SimpleUploadedFile("licence.pdf", b""))


def test_an_oversize_file_is_refused_before_reading(settings):
    settings.QUALIFICATION_MAX_BYTES = 100
    with pytest.raises(InvalidInput, match="too large"):
        check_qualification_file(pdf_upload())


def test_a_decompression_bomb_png_is_refused():
    # A 30000 x 30000 image: tiny on disk, 900 megapixels when decoded.
    width = height = 30000
    row = b"\x00" + b"\x00" * width
    compressor = zlib.compressobj(9)
    data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()

    def chunk(kind: bytes, body: bytes) -> bytes:
        import struct

        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        )

    import struct

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    assert len(png) < 2_000_000
    with pytest.raises(InvalidInput):
        check_qualification_file(SimpleUploadedFile("bomb.png", png))


def test_a_jpeg_with_trailing_garbage_still_verifies_but_a_corrupt_one_does_not():
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), "red").save(buffer, format="JPEG")
    corrupt = buffer.getvalue()[:20]
    with pytest.raises(InvalidInput):
        check_qualification_file(SimpleUploadedFile("scan.jpg", corrupt))


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Windows\\evil.pdf", "evil.pdf"),
        ("bad\x00name\x1b[31m.pdf", "badname[31m.pdf"),
        ("", "file"),
    ],
)
def test_hostile_file_names_are_reduced_to_a_plain_display_name(name, shown):
    assert clean_display_name(name) == shown


def test_a_refused_file_in_a_batch_leaves_nothing_stored():
    organization, admin = developer("海洋实验室", "lab")
    bad = SimpleUploadedFile("second.pdf", b"not a pdf at all")
    with pytest.raises(InvalidInput):
        admission_submit(
            by=admin,
            application=organization.admission,
            business_scope="范围",
            security_measures="措施",
            files=[pdf_upload(), bad],
            commitment_sha256=COMMITMENT_SHA256,
        )
    assert not QualificationFile.objects.exists()
    stored = data_path("private")
    assert not stored.exists() or not any(p.is_file() for p in stored.rglob("*"))
    organization.admission.refresh_from_db()
    assert organization.admission.status == AdmissionStatus.DRAFT


def test_stored_files_live_outside_any_public_url_under_a_random_name():
    organization, admin = developer("海洋实验室", "lab")
    admission_submit(
        by=admin,
        application=organization.admission,
        business_scope="范围",
        security_measures="措施",
        files=[pdf_upload("../../营业执照.pdf")],
        commitment_sha256=COMMITMENT_SHA256,
    )
    record = QualificationFile.objects.get()
    assert record.original_name == "营业执照.pdf"
    path = data_path("private").resolve() / record.file.name
    assert path.is_file() and ".." not in record.file.name
    assert "营业执照" not in record.file.name
    with pytest.raises(NotImplementedError):
        record.file.url  # noqa: B018
