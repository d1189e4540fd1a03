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


@pytest.mark.django_db
@pytest.mark.parametrize(
    "content, types, expected",
    [
        (b"a,b,c\n1,2,3\n4,5\n", "", "文件格式有误：第 3 行有 2 个字段，而表头有 3 个（第 3 列）"),
        (
            b"station,value\nA,1\nB,2\nC,x\n",
            "value:integer",
            "文件格式有误：第 4 行，列“value”的值“x”不是整数类型",
        ),
    ],
)
def test_a_bad_row_is_named_in_chinese_on_the_portal(client, content, types, expected):
    """The rows that break a CSV (a short row, a value of the wrong type) are named in the
    page's language, not in the engine's English ("CSV Error on Line: 4; Error when
    converting column ...")."""
    client.force_login(staff_user("op"))
    upload = SimpleUploadedFile("t.csv", content, content_type="text/csv")
    response = client.post(
        "/catalogs/resources/new/",
        {
            "provider": provider_org().pk,
            "name": "测试",
            "file": upload,
            "types": types,
            "encoding": "auto",
        },
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    page = response.content.decode()
    assert response.status_code == 200 and expected in page
    assert "Error" not in page and "fields where" not in page
