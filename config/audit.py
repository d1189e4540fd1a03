"""The audit trail for people: a label for each action, target type and detail, the
filters' choices, and the rows of the CSV export. Events store codes (``admission.submit``,
``{"from": "submitted"}``); the page and the export show words in the reader's language."""

import re

from django.apps import apps
from django.db import models
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from assets.models import ApplicationAction, ApplicationStatus, AssetStatus, RightKind
from core.audit_labels import SUBJECT_LABELS, action_label, detail_label
from demands.models import DemandStatus, EventKind, Urgency
from operation.models.catalog import (
    CatalogStatus,
    FieldType,
    MaskingRule,
    OpenType,
    SharingType,
    UpdateFrequency,
)
from scenarios.models.job import CheckStatus, JobLanguage, JobOutputKind, JobStatus
from scenarios.models.pricing import FeeBasis
from scenarios.models.release import ReleaseDecision, ReleaseStatus
from scenarios.models.scenario import ScenarioStatus, WorkspaceStatus
from scenarios.models.scenario_type import OutputKind, ScenarioTypeStatus
from scenarios.models.service import DefinitionStatus
from scenarios.views.advice import RULES, rule_title
from tenants.models.admission import AdmissionStatus
from tenants.models.organization import MemberRole, OrganizationKind
from tenants.roles import PlatformRole
from transparency.models import ReportStatus

# Codes that details carry as values (statuses, kinds, roles, decisions): their labels.
_CHOICES: list[type[models.TextChoices]] = [
    AdmissionStatus,
    OrganizationKind,
    MemberRole,
    PlatformRole,
    CatalogStatus,
    FieldType,
    MaskingRule,
    OpenType,
    SharingType,
    UpdateFrequency,
    ScenarioStatus,
    WorkspaceStatus,
    ScenarioTypeStatus,
    OutputKind,
    DefinitionStatus,
    JobStatus,
    JobLanguage,
    JobOutputKind,
    CheckStatus,
    ReleaseStatus,
    ReleaseDecision,
    FeeBasis,
    RightKind,
    ApplicationAction,
    ApplicationStatus,
    AssetStatus,
    DemandStatus,
    EventKind,
    Urgency,
    ReportStatus,
]
_HASH = re.compile(r"[0-9a-f]{64}")
# A moment as the trail stores it (ISO 8601 with its offset, as JSON keeps datetimes).
_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})")


def target_type_label(target_type: str) -> str:
    try:
        return str(apps.get_model(target_type)._meta.verbose_name)
    except (LookupError, ValueError):
        return target_type


def _value_label(value: str) -> str:
    """A code's label; a check summary ("review; QueryShapeCheck: 2 cells") part by part."""
    if "; " in value:
        return _("; ").join(_value_label(part) for part in value.split("; "))
    rule, _colon, rest = value.partition(": ")
    if rule in RULES:
        cells = re.fullmatch(r"(\d+) cells?", rest)
        if cells:
            count = int(cells[1])
            return ngettext("%(rule)s: %(n)s cell", "%(rule)s: %(n)s cells", count) % {
                "rule": rule_title(rule),
                "n": count,
            }
        return str(rule_title(rule))
    for choices in _CHOICES:
        if value in choices.values:
            return str(choices(value).label)
    return value


def detail_value(value) -> str:
    """A detail's value as words: yes/no, labels for codes, lists joined, hashes shortened."""
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, str):
        if _HASH.fullmatch(value):
            return value[:12] + "…"
        if _MOMENT.fullmatch(value):  # in the portal's time zone, as every other time
            moment = parse_datetime(value.replace("Z", "+00:00"))
            return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S")
        return _value_label(value)
    if isinstance(value, list):
        return ", ".join(detail_value(item) for item in value)
    if isinstance(value, dict):
        return _("; ").join(_labelled(detail_label(k), detail_value(v)) for k, v in value.items())
    return str(value)


def _labelled(label: str, value: str) -> str:
    return _("%(label)s: %(value)s") % {"label": label, "value": value}


def details_rows(details: dict) -> list[tuple[str, str]]:
    return [(detail_label(key), detail_value(value)) for key, value in details.items()]


def details_text(details: dict) -> str:
    return _("; ").join(_labelled(label, value) for label, value in details_rows(details))


def action_choices(present: list[str]) -> list[tuple[str, list[tuple[str, str]]]]:
    """The action filter's options, grouped by subject: "all of a subject" (the prefix)
    first, then each action recorded so far (``present``), by label."""
    groups: dict[str, list[str]] = {}
    for action in present:
        groups.setdefault(action.split(".", 1)[0], []).append(action)
    choices = []
    for subject, actions in sorted(
        groups.items(), key=lambda item: str(SUBJECT_LABELS.get(item[0], item[0]))
    ):
        subject_label = str(SUBJECT_LABELS.get(subject, subject))
        options = [(f"{subject}.", _("%(subject)s: all") % {"subject": subject_label})]
        options += sorted(((a, action_label(a)) for a in actions), key=lambda o: o[1])
        choices.append((subject_label, options))
    return choices


def target_type_choices(present: list[str]) -> list[tuple[str, str]]:
    return sorted(((t, target_type_label(t)) for t in present if t), key=lambda o: o[1])


EXPORT_HEADER = [
    gettext_lazy("Sequence"),
    gettext_lazy("Time"),
    gettext_lazy("Actor"),
    gettext_lazy("Organization"),
    gettext_lazy("Action"),
    gettext_lazy("Action code"),
    gettext_lazy("Target type"),
    gettext_lazy("Target id"),
    gettext_lazy("Details"),
    gettext_lazy("Hash"),
]


def export_rows(events):
    """The export's rows: the words of the page and, for machines, the action's code and
    the full hash."""
    for event in events.iterator(chunk_size=500):
        yield [
            event.seq,
            timezone.localtime(event.time).isoformat(timespec="seconds"),
            event.actor_username,
            event.organization.name if event.organization else "",
            action_label(event.action),
            event.action,
            target_type_label(event.target_type),
            event.target_id,
            details_text(event.details),
            event.hash,
        ]
