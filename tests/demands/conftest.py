import pytest

from tests.demands.factories import provider_member
from tests.factories import admitted_developer, staff_user


@pytest.fixture
def parties():
    """(operator staff, a developer admin, a provider organization, a member of it)."""
    staff = staff_user("operator")
    _org, lab = admitted_developer("海洋实验室", "lab", by=staff)
    provider, bureau = provider_member()
    return staff, lab, provider, bureau
