import pytest
from django.core.exceptions import ValidationError

from core.errors import InvalidInput
from tenants.services.organizations import developer_sign_up
from tenants.uscc import validate_uscc
from tests.factories import PASSWORD, org_fields

# Published codes of well-known companies: the check character is computed independently.
REAL_CODES = ["91110108551385082Q", "9144030071526726XG", "91330100799655058B"]


@pytest.mark.parametrize("code", REAL_CODES)
def test_uscc_real_codes_accepted(code):
    validate_uscc(code)
    validate_uscc(code.lower())


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        ("91110108551385082R", "check character"),
        ("91110108551385082", "18 characters"),
        ("9111010855138508IQ", "cannot contain"),
        ("91A10108551385082Q", "area code"),
    ],
)
def test_uscc_wrong_codes_refused_with_clear_message(code, fragment, settings):
    settings.LANGUAGE_CODE = "en"
    with pytest.raises(ValidationError) as caught:
        validate_uscc(code)
    assert fragment in caught.value.messages[0]


@pytest.mark.django_db
def test_sign_up_with_wrong_credit_code_is_refused_and_nothing_is_created():
    fields = {**org_fields("错码公司"), "credit_code": "91110108551385082R"}
    with pytest.raises(InvalidInput) as caught:
        developer_sign_up(
            organization_fields=fields,
            admin_fields={"username": "wrong", "email": "w@x.cn", "password": PASSWORD},
        )
    assert caught.value.field == "credit_code"
    from django.contrib.auth import get_user_model

    from tenants.models import Organization

    assert not Organization.objects.exists()
    assert not get_user_model().objects.filter(username="wrong").exists()
