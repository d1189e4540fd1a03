"""core/hooks.py: announcements reach their listeners at once, inside the transaction."""

import pytest
from django.db import transaction

from core import hooks

pytestmark = pytest.mark.django_db


@pytest.fixture
def heard(monkeypatch):
    """A fresh listener list for catalog.withdrawn, restored afterwards."""
    monkeypatch.setitem(hooks._listeners, hooks.CATALOG_WITHDRAWN, [])
    calls = []
    hooks.listen(hooks.CATALOG_WITHDRAWN, lambda **details: calls.append(("first", details)))
    hooks.listen(hooks.CATALOG_WITHDRAWN, lambda **details: calls.append(("second", details)))
    return calls


def test_listeners_hear_in_the_order_they_registered(heard):
    with transaction.atomic():
        hooks.announce(hooks.CATALOG_WITHDRAWN, catalog="c", reason="r")
    details = {"catalog": "c", "reason": "r"}
    assert heard == [("first", details), ("second", details)]


@pytest.mark.django_db(transaction=True)
def test_an_announcement_outside_a_transaction_is_refused(heard):
    with pytest.raises(RuntimeError, match="inside the transaction"):
        hooks.announce(hooks.CATALOG_WITHDRAWN, catalog="c", reason="r")
    assert heard == []


def test_unknown_names_are_refused():
    with pytest.raises(ValueError, match="unknown announcement"):
        hooks.announce("catalog.renamed")
    with pytest.raises(ValueError, match="unknown announcement"):
        hooks.listen("catalog.renamed", print)


def test_a_listener_that_fails_undoes_the_change(monkeypatch):
    from django.contrib.auth.models import User

    monkeypatch.setitem(hooks._listeners, hooks.CATALOG_REPUBLISHED, [])

    def refuse(**_details):
        raise RuntimeError("refused")

    hooks.listen(hooks.CATALOG_REPUBLISHED, refuse)
    with pytest.raises(RuntimeError, match="refused"), transaction.atomic():
        User.objects.create(username="gone")
        hooks.announce(hooks.CATALOG_REPUBLISHED, catalog="c")
    assert not User.objects.filter(username="gone").exists()


def test_the_scenarios_app_listens_to_every_announcement():
    from scenarios.services import scenarios

    assert scenarios.cascade_organization in hooks._listeners[hooks.ORGANIZATION_SUSPENDED]
    reinstated = hooks._listeners[hooks.ORGANIZATION_REINSTATED]
    assert scenarios.cascade_organization_reinstated in reinstated
    assert scenarios.cascade_catalog_withdrawn in hooks._listeners[hooks.CATALOG_WITHDRAWN]
    assert scenarios.workspaces_refresh_for_catalog in hooks._listeners[hooks.CATALOG_REPUBLISHED]
