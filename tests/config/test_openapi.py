"""The OpenAPI schema says what the API answers: its errors, nulls and content types."""

import pytest
from drf_spectacular.generators import SchemaGenerator

ERROR_REF = "#/components/schemas/Error"


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield f"{method.upper()} {path}", operation


def test_every_error_answer_is_documented_with_the_error_shape(schema):
    error = schema["components"]["schemas"]["Error"]
    assert set(error["properties"]) >= {"code", "detail", "field"}
    assert set(error["required"]) == {"code", "detail"}
    for name, operation in operations(schema):
        responses = operation["responses"]
        for status, response in responses.items():
            if status.startswith("4"):
                content = response["content"]["application/json"]
                assert content["schema"] == {"$ref": ERROR_REF}, (name, status)
        authenticated = any(requirement for requirement in operation.get("security", []))
        assert ("401" in responses) == authenticated, name
        if any(p["in"] == "path" for p in operation.get("parameters", [])):
            assert "404" in responses, name
        if "requestBody" in operation:
            assert "400" in responses, name
        if name.split()[0] in ("POST", "PUT", "PATCH") and authenticated:
            assert {"403", "404", "409"} <= set(responses), name


def test_the_documented_error_statuses_of_some_operations(schema):
    paths = schema["paths"]
    assert set(paths["/api/v1/me/"]["get"]["responses"]) == {"200", "401"}
    assert set(paths["/api/v1/catalogs/export.csv"]["get"]["responses"]) == {"200"}
    assert set(paths["/api/v1/auth/token/"]["post"]["responses"]) == {"200", "400", "403"}
    revoke = paths["/api/v1/auth/token/revoke/"]["post"]
    assert revoke["security"] == [{"tokenAuth": []}] and "204" in revoke["responses"]
    assert "404" in paths["/api/v1/jobs/queue/"]["get"]["responses"]  # staff and auditors
    assert "404" in paths["/api/v1/scenarios/"]["get"]["responses"]  # a page past the end
    call = paths["/api/v1/services/{code}/call"]["get"]
    assert call["security"] == [{"apiKeyAuth": []}]
    assert set(call["responses"]) == {"200", "400", "401", "403", "404", "409", "429"}
    assert set(call["responses"]["200"]["content"]) == {"application/json", "text/csv"}
    scheme = schema["components"]["securitySchemes"]["apiKeyAuth"]
    assert scheme == {**scheme, "type": "apiKey", "in": "header", "name": "Authorization"}


def test_admission_status_is_nullable(schema):
    status = schema["components"]["schemas"]["OrganizationOutput"]["properties"]["admission_status"]
    assert status["nullable"] is True
    assert {"$ref": "#/components/schemas/AdmissionStatusEnum"} in status["oneOf"]


def test_qualification_files_are_uploaded_as_multipart_and_served_as_their_type(schema):
    submit = schema["paths"]["/api/v1/admissions/{id}/submit/"]["post"]["requestBody"]
    assert set(submit["content"]) == {"multipart/form-data"}
    ref = submit["content"]["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[1]
    files = schema["components"]["schemas"][ref]["properties"]["files"]
    assert files == {"type": "array", "items": {"type": "string", "format": "binary"}}
    served = schema["paths"]["/api/v1/admissions/{id}/files/{file_pk}/"]["get"]["responses"]
    assert set(served["200"]["content"]) == {"application/pdf", "image/png", "image/jpeg"}


def test_the_schema_is_valid_without_warnings():
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")
