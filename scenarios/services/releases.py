"""Release requests: a developer asks for outputs to leave, with context and controls;
SCENARIO_APPROVALS_REQUIRED distinct reviewers free of any conflict (scenarios.reviews:
not of the developer's, the type's proposer's or a job's organization, never a job's
author) decide blind to each other; approval releases the outputs."""

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import Conflict, InvalidInput
from core.services.audit import audit_record
from core.services.notifications import notification_send
from core.text import LONG_TEXT_MAX, clean_text
from operation.models import Catalog
from scenarios.models import (
    CheckStatus,
    JobOutput,
    ReleasedAggregate,
    ReleaseDecision,
    ReleaseItem,
    ReleaseRequest,
    ReleaseStatus,
    Scenario,
    ScenarioStatus,
)
from scenarios.reviews import ReviewKind, audited, check_reviewer, review_round, reviewers_for
from scenarios.services.outputs import differencing_refresh
from tenants.permissions import check_member

OPEN = (ReleaseStatus.SUBMITTED, ReleaseStatus.RETURNED)


def _clean_items(scenario: Scenario, items, *, request: ReleaseRequest | None) -> list[dict]:
    """Each item: an output of a real job of this scenario, checked, not yet released, in
    no other open request; what it shows and its controls; an exception request when it
    failed its checks."""
    if not isinstance(items, list) or not items:
        raise InvalidInput(_("Choose at least one output."), field="items")
    cleaned, seen = [], set()
    for index, item in enumerate(items):
        field = f"items[{index}]"
        if not isinstance(item, dict):
            raise InvalidInput(_("Each item needs an output, a context and controls."), field=field)
        output = (
            JobOutput.objects.select_related("job")
            .filter(pk=item.get("output"), job__scenario=scenario, job__dry_run=False)
            .first()
        )
        if output is None:
            raise InvalidInput(_("No such output of this scenario."), field=f"{field}.output")
        if output.pk in seen:
            raise InvalidInput(_("An output is listed twice."), field=f"{field}.output")
        seen.add(output.pk)
        if output.discarded_at is not None:
            raise Conflict(_("Output %(name)s was discarded.") % {"name": output.name})
        if ReleaseItem.objects.filter(
            output=output, request__status=ReleaseStatus.REJECTED
        ).exists():
            raise Conflict(
                _("Output %(name)s was rejected; rejection is final.") % {"name": output.name}
            )
        if output.released_at is not None:
            raise Conflict(_("Output %(name)s is already released.") % {"name": output.name})
        if output.check_status == CheckStatus.PENDING:
            raise Conflict(_("Output %(name)s has not been checked yet.") % {"name": output.name})
        elsewhere = ReleaseItem.objects.filter(output=output, request__status__in=OPEN)
        if request is not None:
            elsewhere = elsewhere.exclude(request=request)
        if elsewhere.exists():
            raise Conflict(
                _("Output %(name)s is already in an open release request.") % {"name": output.name}
            )
        context = clean_text(
            item.get("context"), field=f"{field}.context", max_length=LONG_TEXT_MAX
        )
        controls = clean_text(
            item.get("controls"), field=f"{field}.controls", max_length=LONG_TEXT_MAX
        )
        exception = clean_text(
            item.get("exception"), field=f"{field}.exception", max_length=LONG_TEXT_MAX
        )
        if not context:
            raise InvalidInput(_("Say what the output shows."), field=f"{field}.context")
        if not controls:
            raise InvalidInput(_("Say how disclosure was avoided."), field=f"{field}.controls")
        if output.check_status == CheckStatus.FAIL and not exception:
            raise InvalidInput(
                _("Output %(name)s failed its checks: write an exception request.")
                % {"name": output.name},
                field=f"{field}.exception",
            )
        cleaned.append(
            {"output": output, "context": context, "controls": controls, "exception": exception}
        )
    return cleaned


def _notify(request: ReleaseRequest, recipients) -> None:
    notification_send(
        recipients=recipients,
        subject_template="scenarios/email/release_subject.txt",
        body_template="scenarios/email/release_body.txt",
        context={"request": request, "scenario": request.scenario},
        target_url=reverse("release-detail", args=[request.pk]),
    )


def release_request_create(*, by, scenario: Scenario, items) -> ReleaseRequest:
    check_member(
        by,
        scenario.organization_id,
        _("Only members of the scenario's organization ask for release."),
    )
    with transaction.atomic():
        scenario = Scenario.objects.select_for_update().get(pk=scenario.pk)
        if scenario.status != ScenarioStatus.AUTHORIZED:
            raise Conflict(
                _("The scenario is %(status)s: nothing is released from it.")
                % {"status": scenario.get_status_display()}
            )
        cleaned = _clean_items(scenario, items, request=None)
        request = ReleaseRequest.objects.create(scenario=scenario, requested_by=by)
        for item in cleaned:
            ReleaseItem.objects.create(request=request, **item)
            differencing_refresh(item["output"])
        audit_record(
            by=by,
            action="release.request",
            target=request,
            organization=scenario.organization,
            details={"outputs": [item["output"].pk for item in cleaned]},
        )
        _notify(request, reviewers_for(request))
    return request


def release_request_resubmit(*, by, request: ReleaseRequest, items) -> ReleaseRequest:
    """A returned request, changed: a new round, in which every reviewer decides again."""
    check_member(
        by,
        request.scenario.organization_id,
        _("Only members of the scenario's organization ask for release."),
    )
    with transaction.atomic():
        scenario = Scenario.objects.select_for_update().get(pk=request.scenario_id)
        request = ReleaseRequest.objects.select_for_update().get(pk=request.pk)
        if scenario.status != ScenarioStatus.AUTHORIZED:
            raise Conflict(
                _("The scenario is %(status)s: nothing is released from it.")
                % {"status": scenario.get_status_display()}
            )
        if request.status != ReleaseStatus.RETURNED:
            raise Conflict(_("Only a returned request is resubmitted."))
        cleaned = _clean_items(request.scenario, items, request=request)
        request.items.all().delete()
        for item in cleaned:
            ReleaseItem.objects.create(request=request, **item)
            differencing_refresh(item["output"])
        request.status, request.round = ReleaseStatus.SUBMITTED, request.round + 1
        request.submitted_at = timezone.now()
        request.save(update_fields=["status", "round", "submitted_at"])
        audit_record(
            by=by,
            action="release.resubmit",
            target=request,
            organization=request.scenario.organization,
            details={"round": request.round, "outputs": [i["output"].pk for i in cleaned]},
        )
        _notify(request, reviewers_for(request))
    return request


def release_request_withdraw(*, by, request: ReleaseRequest) -> ReleaseRequest:
    check_member(
        by,
        request.scenario.organization_id,
        _("Only members of the scenario's organization ask for release."),
    )
    with transaction.atomic():
        request = ReleaseRequest.objects.select_for_update().get(pk=request.pk)
        if request.status not in OPEN:
            raise Conflict(_("Only an open request is withdrawn."))
        request.status, request.decided_at = ReleaseStatus.WITHDRAWN, timezone.now()
        request.save(update_fields=["status", "decided_at"])
        audit_record(
            by=by,
            action="release.withdraw",
            target=request,
            organization=request.scenario.organization,
            details={"round": request.round},
        )
    return request


def _locked_under_review(by, request: ReleaseRequest) -> ReleaseRequest:
    scenario = Scenario.objects.select_for_update().get(pk=request.scenario_id)
    request = (
        ReleaseRequest.objects.select_for_update(of=("self",))
        .select_related("scenario__organization")
        .get(pk=request.pk)
    )
    if scenario.status != ScenarioStatus.AUTHORIZED:
        raise Conflict(
            _("The scenario is %(status)s: nothing is released from it.")
            % {"status": scenario.get_status_display()}
        )
    if request.status != ReleaseStatus.SUBMITTED:
        raise Conflict(_("The request is %(status)s.") % {"status": request.get_status_display()})
    check_reviewer(by, request)  # again, on the items as they are now
    return request


RELEASE_REVIEW = ReviewKind(
    under_review=lambda request: request.status == ReleaseStatus.SUBMITTED,
    decisions=ReleaseDecision,
    decision_message=gettext_lazy("Decide approve, reject or return."),
    already_message=gettext_lazy("You have already decided in this round."),
    lock=_locked_under_review,
    audit=audited(
        "release.review",
        organization=lambda request: request.scenario.organization,
        details=lambda decided: {"round": decided.target.round, "decision": decided.decision},
    ),
    settle=lambda decided: _decide(decided.target, decided.decisions),
    round="round",
    blind=True,
    comments=("comment_private", "comment_public"),
    reason_field="comment_public",
    reason_message=gettext_lazy("Give the developer a reason (public comment)."),
)


def release_review(
    *,
    by,
    request: ReleaseRequest,
    decision: str = "",
    comment_private: str = "",
    comment_public="",
    items: dict | None = None,
) -> ReleaseRequest:
    """One reviewer's decision in the current round, on the whole request or, with
    ``items`` ({output id: {"decision", "reason"}}), on each output: then the decision is
    the strictest of them (any rejection rejects, else any return returns, else approve),
    every output needs one, and one not approved needs its reason, which reaches the
    developer. Once the required number have decided: any rejection rejects (final),
    else any return returns, else all approve and the outputs are released."""
    record = None
    if items is not None:
        decision, decided, reasons = _item_decisions(request, items)
        record = {"item_decisions": decided}
        comment_public = comment_public or "\n".join(reasons)
    return review_round(
        RELEASE_REVIEW,
        by=by,
        target=request,
        decision=decision,
        record=record,
        comment_private=comment_private,
        comment_public=comment_public,
    ).target


def _item_decisions(request: ReleaseRequest, items: dict) -> tuple[str, dict, list[str]]:
    """The request's decision, the review's ``item_decisions`` and the public reasons."""
    decided, reasons = {}, []
    for item in request.items.select_related("output").order_by("pk"):
        given = items.get(item.output_id) or items.get(str(item.output_id)) or {}
        field = f"items[{item.output_id}]"
        decision = given.get("decision", "")
        if decision not in ReleaseDecision.values:
            raise InvalidInput(
                _("Decide %(name)s: approve, reject or return.") % {"name": item.output.name},
                field=field + ".decision",
            )
        reason = clean_text(given.get("reason", ""), field=field + ".reason", max_length=2000)
        if decision != ReleaseDecision.APPROVE and not reason:
            raise InvalidInput(
                _("Give the developer a reason for %(name)s.") % {"name": item.output.name},
                field=field + ".reason",
            )
        decided[str(item.output_id)] = {"decision": decision, "reason": reason}
        if reason:
            reasons.append(f"{item.output.name}: {reason}")
    chosen = {entry["decision"] for entry in decided.values()}
    for strictest in (ReleaseDecision.REJECT, ReleaseDecision.RETURN, ReleaseDecision.APPROVE):
        if strictest in chosen:
            return strictest, decided, reasons
    raise InvalidInput(_("The request has no output to decide."), field="items")


def _decide(request: ReleaseRequest, decisions: list[str]) -> None:
    pairs = []
    if ReleaseDecision.REJECT in decisions:
        request.status = ReleaseStatus.REJECTED
    elif ReleaseDecision.RETURN in decisions:
        request.status = ReleaseStatus.RETURNED
    else:
        # Checked again now, against everything released meanwhile and against the
        # request's other outputs: two outputs of a request can difference each other.
        pairs = _differencing_at_release(request)
        request.status = ReleaseStatus.RETURNED if pairs else ReleaseStatus.APPROVED
    request.decided_at = timezone.now()
    request.save(update_fields=["status", "decided_at"])
    if request.status == ReleaseStatus.APPROVED:
        for item in request.items.select_related("output"):
            _release(item.output, request)
    audit_record(
        by=None,
        action=f"release.{request.status}",
        target=request,
        organization=request.scenario.organization,
        details={"round": request.round, "decisions": decisions, "differencing": pairs},
    )
    _notify(request, request.scenario.organization.admins_group.user_set.filter(is_active=True))


def _differencing_at_release(request: ReleaseRequest) -> list[dict]:
    """Outputs of the request that difference a released aggregate or one another.

    The catalogs of the aggregates are locked first, in one order, so two approvals over
    the same table (of any scenarios) are checked one after the other, each seeing what
    the other released."""
    outputs = [item.output for item in request.items.select_related("output")]
    tables = {((o.check_record or {}).get("aggregate") or {}).get("table") for o in outputs}
    list(Catalog.objects.select_for_update().filter(code__in=tables - {None}).order_by("pk"))
    found = []
    for output in outputs:
        differencing_refresh(output, also=[o for o in outputs if o.pk != output.pk])
        entry = (output.check_record or {}).get("checks", {}).get("DifferencingCheck", {})
        if entry.get("status") == "fail":
            found.append({"output": output.pk, "released": entry.get("released", [])})
    return found


def _release(output: JobOutput, request: ReleaseRequest) -> None:
    output.released_at = timezone.now()
    output.save(update_fields=["released_at"])
    aggregate = (output.check_record or {}).get("aggregate")
    if aggregate:
        ReleasedAggregate.objects.create(
            output=output,
            table=aggregate["table"],
            group_by=aggregate["group_by"],
            filters=aggregate.get("filters") or "",
            cells=[
                {"key": cell["key"], "entities": cell["entities"]}
                for cell in aggregate.get("cells", [])
            ],
        )
    audit_record(
        by=None,
        action="output.release",
        target=output,
        organization=request.scenario.organization,
        details={"request": request.pk, "sha256": output.sha256, "name": output.name},
    )
