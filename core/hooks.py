"""Announcements from a lower layer to the layers above it, explicit and synchronous.

A package never imports one above it (tests/test_layers.py), yet some of its changes have
consequences up there: an organization suspended or revoked (tenants) suspends its
scenarios and cancels their jobs, and its reinstatement authorizes again the scenarios its
suspension suspended; a member deactivated (tenants) loses the API keys they made
(scenarios); a catalog withdrawn or republished (operation) flags or
refreshes the workspaces built on it (scenarios); a scenario suspended or ended (scenarios)
flags or lapses the data assets registered on it (assets), and its reinstatement returns
them, as an organization's reinstatement returns the assets it holds; a catalog withdrawn
sends the demands matched to it back to the list (demands). The lower layer announces the
change here, inside the transaction that makes it; the upper layer listens, once, from its
AppConfig.ready(). Listeners run at once, in the order they
were registered, in the same transaction: what one of them raises undoes the whole change,
as a direct call would.

Every announcement has a name below; announce() refuses an unknown one, and refuses to run
outside a transaction."""

from collections.abc import Callable

from django.db import transaction

ORGANIZATION_SUSPENDED = "organization.suspended"  # by, organization, action, reason
ORGANIZATION_REINSTATED = "organization.reinstated"  # by, organization (admitted again)
MEMBER_DEACTIVATED = "member.deactivated"  # by, user, organization, reason (they left)
CATALOG_WITHDRAWN = "catalog.withdrawn"  # by, catalog, reason
CATALOG_REPUBLISHED = "catalog.republished"  # by, catalog, regraded (columns)
CATALOG_PUBLISHED = "catalog.published"  # by, catalog (published for the first time)

SCENARIO_ENDED = "scenario.ended"  # by, scenario, status, reason (suspended, revoked, ...)
SCENARIO_REINSTATED = "scenario.reinstated"  # by, scenario (authorized again after suspension)

NAMES = (
    ORGANIZATION_SUSPENDED,
    ORGANIZATION_REINSTATED,
    MEMBER_DEACTIVATED,
    CATALOG_WITHDRAWN,
    CATALOG_REPUBLISHED,
    CATALOG_PUBLISHED,
    SCENARIO_ENDED,
    SCENARIO_REINSTATED,
)

_listeners: dict[str, list[Callable[..., None]]] = {name: [] for name in NAMES}


def listen(name: str, listener: Callable[..., None]) -> None:
    """Call ``listener(**details)`` on every announcement of ``name`` (registering the same
    listener twice is harmless)."""
    if name not in _listeners:
        raise ValueError(f"unknown announcement {name!r}")
    if listener not in _listeners[name]:
        _listeners[name].append(listener)


def announce(name: str, **details) -> None:
    """Tell every listener of ``name``, now, inside the caller's transaction."""
    if name not in _listeners:
        raise ValueError(f"unknown announcement {name!r}")
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(f"{name} is announced inside the transaction that makes it")
    for listener in list(_listeners[name]):
        listener(**details)
