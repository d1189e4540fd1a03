"""Ingestion refusals say what is wrong with the file (line, column, byte) and never where
the server keeps it: no DATA_ROOT, IMPORT_ROOT or temporary path in any message."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from operation.ingest import without_paths
from tests.factories import provider_org, staff_user

pytestmark = [pytest.mark.django_db, pytest.mark.security]

UNTERMINATED_QUOTE = b'mmsi,berth\n412000001,"B1\n412000002,B2\n'


@pytest.fixture
def client():
    client = APIClient()
    client.force_authenticate(staff_user("op"))
    return client


@pytest.fixture
def import_root(settings, tmp_path):
    settings.IMPORT_ROOT = tmp_path / "import-root-on-the-server"
    settings.IMPORT_ROOT.mkdir()
    return settings.IMPORT_ROOT


def assert_no_server_path(detail: str, settings) -> None:
    for secret in (settings.DATA_ROOT, settings.IMPORT_ROOT, settings.BASE_DIR):
        assert str(secret) not in detail
    assert "upload-" not in detail and "/tmp" not in detail and "ingest-" not in detail


def test_a_malformed_uploaded_csv_names_the_line_not_the_staged_path(client, settings):
    upload = SimpleUploadedFile("ships.csv", UNTERMINATED_QUOTE, content_type="text/csv")

    response = client.post(
        "/api/v1/resources/",
        {"provider": provider_org().pk, "name": "船舶", "file": upload},
        format="multipart",
    )

    assert response.status_code == 400
    body = response.json()
    assert body["field"] == "file"
    assert "line 3" in body["detail"]
    assert_no_server_path(body["detail"], settings)


def test_malformed_json_lines_in_the_import_folder_name_the_line_only(
    client, settings, import_root
):
    (import_root / "ships.jsonl").write_text('{"mmsi": 412000001}\n{"mmsi": \n')

    response = client.post(
        "/api/v1/resources/",
        {"provider": provider_org().pk, "name": "船舶", "import_path": "ships.jsonl"},
        format="json",
    )

    assert response.status_code == 400
    detail = response.json()["detail"]
    assert "line 3" in detail or "line 2" in detail
    assert_no_server_path(detail, settings)


def test_a_missing_import_path_names_the_file_only(client, settings, import_root):
    response = client.post(
        "/api/v1/resources/",
        {"provider": provider_org().pk, "name": "船舶", "import_path": "missing/ships.csv"},
        format="json",
    )

    assert response.status_code == 400
    body = response.json()
    assert body["field"] == "import_path"
    assert body["detail"] == "No such file in the import folder: missing/ships.csv"
    assert_no_server_path(body["detail"], settings)


def test_a_malformed_csv_in_the_portal_shows_the_line_without_a_path(settings, import_root):
    from django.test import Client

    (import_root / "ships.csv").write_bytes(UNTERMINATED_QUOTE)
    browser = Client()
    browser.force_login(staff_user("op2"))

    response = browser.post(
        "/catalogs/resources/new/",
        {
            "provider": provider_org().pk,
            "name": "船舶",
            "import_path": "ships.csv",
            "encoding": "auto",
        },
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "line 3" in page
    assert_no_server_path(page, settings)


def test_without_paths_replaces_every_absolute_path():
    assert without_paths('Error when sniffing file "/srv/data/tmp/upload-1".') == (
        "Error when sniffing the file."
    )
    assert without_paths("No files found that match the pattern /srv/data/x.csv") == (
        "No files found that match the pattern the file"
    )
    assert without_paths("line 3: 3 fields where the header has 2 (column 3)") == (
        "line 3: 3 fields where the header has 2 (column 3)"
    )
