import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from rest_framework.test import APIClient

from operation.ingest_messages import ingest_message
from tests.factories import provider_org, staff_user


def test_every_refusal_reads_in_chinese_without_error_classes():
    with translation.override("zh-hans"):
        assert ingest_message("the gzip file is corrupt (BadGzipFile)") == "gzip 文件已损坏"
        assert ingest_message("the file is 9 bytes; the limit is 5 bytes") == (
            "文件大小为 9 字节，超过上限 5 字节"
        )
        assert ingest_message("column 'mmsi' appears twice") == "列 'mmsi' 出现了两次"
        assert ingest_message("something new") == "something new"


@pytest.mark.django_db
def test_a_malformed_upload_is_refused_in_the_reader_language():
    client = APIClient()
    client.force_authenticate(staff_user("op"))
    content = b'mmsi,berth\n412000001,"B1\n412000002,B2\n'
    upload = SimpleUploadedFile("ships.csv", content, content_type="text/csv")
    response = client.post(
        "/api/v1/resources/",
        {"provider": provider_org().pk, "name": "船舶", "file": upload},
        format="multipart",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 400
    assert "文件格式有误：" in response.json()["detail"]
    assert "malformed input" not in response.json()["detail"]
