"""Portal pages for job outputs and their release: thin views over the selectors (reads,
404 for anything not visible) and the services (every change).

An unreleased output's content never reaches its developer: the output page shows its
check record, never its content. Reviewers, operator staff and auditors who are not of
the developer's organization see the content rendered inline on the release request's
page, and only there; no URL serves an unreleased file. A released output is downloaded
by its organization's members through ``output_download``, which audits every download.
"""

import base64
import csv
import itertools
import re
from pathlib import Path

from csp.decorators import csp_update
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from core.errors import Conflict, InvalidInput
from core.portal import form_error, paged
from core.storage import attachment
from scenarios.disclosure.params import FAIL, REVIEW
from scenarios.forms import (
    MitigateForm,
    ReleaseFilterForm,
    ReleaseReviewForm,
    StatusFilterForm,
    release_item_forms,
    release_items_chosen,
)
from scenarios.models import (
    CheckStatus,
    JobOutputKind,
    ReleaseDecision,
    ReleaseItem,
    ReleaseReview,
    ReleaseStatus,
    ScenarioStatus,
)
from scenarios.reviews import awaits_decision
from scenarios.selectors import (
    output_get,
    output_shown,
    outputs_visible_to,
    release_request_get,
    release_requests_visible_to,
    release_reviews_shown,
    scenario_get,
    scenarios_visible_to,
)
from scenarios.services import outputs as output_svc
from scenarios.services import releases as release_svc
from scenarios.services.releases import RELEASE_REVIEW
from scenarios.views import advice
from scenarios.views.pricing import price_form_for, price_post
from scenarios.views.reasons import reason_text
from tenants.models import OrganizationKind
from tenants.permissions import (
    is_member,
    is_operator_staff,
    is_overseer,
    membership_of,
    organization_of,
)

OPEN = (ReleaseStatus.SUBMITTED, ReleaseStatus.RETURNED)
TABLE_ROWS = 200
SHOWN_ROWS = 10  # of a table under review, before "show more"
IMAGE_BYTES = 2 * 1024 * 1024
TEXT_BYTES = 64 * 1024
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
TABLE_SUFFIXES = {".csv": ",", ".tsv": "\t"}
ITEM_FIELD = re.compile(r"^items\[(\d+)\]\.(\w+)$")

VERDICTS = {
    "pass": gettext_lazy("Pass"),
    "fail": gettext_lazy("Fail"),
    "review": gettext_lazy("Needs review"),
    "not_applicable": gettext_lazy("Not applicable"),
}
PARAMETERS = {
    "threshold": gettext_lazy("Minimum cell count"),
    "dominance_n": gettext_lazy("Dominance: n largest contributors"),
    "dominance_k": gettext_lazy("Dominance: k (share of the cell total)"),
    "p_percent": gettext_lazy("p-percent rule: p"),
    "min_dof": gettext_lazy("Minimum residual degrees of freedom (models)"),
    "zeros_are_disclosive": gettext_lazy("Zero cells are disclosive"),
    "check_missing": gettext_lazy("Missing values need review"),
    "allow_single_unit": gettext_lazy("Minimum, maximum and median allowed"),
}


def _sees_content(user, scenario) -> bool:
    """Reviewers, staff and auditors outside the developer's organization."""
    return is_overseer(user) and not is_member(user, scenario.organization_id)


# Check records ------------------------------------------------------------------------


def _checks(record: dict) -> list[dict]:
    """Each rule's verdict and reason, failing rules first."""
    order = {"fail": 0, "review": 1, "pass": 2}
    rows = [
        {
            "name": name,
            "title": advice.rule_title(name),
            "words": advice.rule_words(name),
            "fixes": advice.fixes_for(name, entry.get("status", "")),
            "status": entry.get("status", ""),
            "label": VERDICTS.get(entry.get("status", ""), entry.get("status", "")),
            "reason": reason_text(entry),
            # A count for developers (output_shown), the cells themselves for reviewers.
            "cells": entry["cells"]
            if isinstance(entry.get("cells"), int)
            else len(entry.get("cells") or []),
        }
        for name, entry in (record.get("checks") or {}).items()
    ]
    return sorted(rows, key=lambda row: order.get(row["status"], 3))


def _parameters(record: dict) -> list[tuple]:
    return [
        (PARAMETERS.get(name, name), value)
        for name, value in (record.get("parameters") or {}).items()
    ]


def _summary(record: dict) -> str:
    """The record's one line in words: the verdict, then each rule that failed or needs
    review, with its cells (what ``summary_of`` writes as codes)."""
    if not record.get("status"):
        return ""
    parts = [str(VERDICTS.get(record["status"], record["status"]))]
    for name, entry in (record.get("checks") or {}).items():
        if entry.get("status") in ("fail", "review"):
            cells = entry.get("cells")
            count = cells if isinstance(cells, int) else len(cells or [])
            title = str(advice.rule_title(name))
            parts.append(
                ngettext("%(rule)s: %(n)s cell", "%(rule)s: %(n)s cells", count)
                % {"rule": title, "n": count}
                if count
                else title
            )
    return _("; ").join(parts)


def _check_context(output, record: dict | None = None) -> dict:
    record = output.check_record or {} if record is None else record
    aggregate = record.get("aggregate") or {}
    cells = aggregate.get("cells") or []
    checks = _checks(record)
    return {
        "summary": _summary(record),
        "checks": checks,
        "mitigations": advice.mitigations_for(checks),
        "parameters": _parameters(record),
        "aggregate": aggregate,
        "failing_cells": sum(1 for cell in cells if cell.get("status") == FAIL),
        "derivation": record.get("derivation"),
    }


# Content, for reviewers only ------------------------------------------------------------


def _table(shown, path: Path, delimiter: str) -> dict:
    """The first rows as a table; the cells of failing (or suppressed) groups marked,
    matched to the check record's cells on the group-by columns."""
    record = shown.check_record
    aggregate = record.get("aggregate") or {}
    group_by = list(aggregate.get("group_by") or [])
    cells = {
        tuple("" if part is None else str(part) for part in cell.get("key", [])): cell
        for cell in aggregate.get("cells") or []
    }
    suppressed = (record.get("derivation") or {}).get("method") == "suppress"
    with open(path, newline="", encoding="utf-8", errors="replace") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        header = next(reader, [])
        rows = list(itertools.islice(reader, TABLE_ROWS + 1))
    keys = [header.index(column) for column in group_by if column in header]
    matched = bool(group_by) and len(keys) == len(group_by)
    shown = []
    for row in rows[:TABLE_ROWS]:
        cell = None
        if matched:
            cell = cells.get(tuple(row[i] if i < len(row) else "" for i in keys))
        status = (cell or {}).get("status", "")
        values = []
        for index, value in enumerate(row):
            css = ""
            if matched and index not in keys:
                if suppressed and value == "":
                    css = "cell-suppressed"
                elif status == FAIL:
                    css = "cell-fail"
                elif status == REVIEW:
                    css = "cell-review"
            values.append({"value": value, "css": css})
        shown.append(
            {
                "values": values,
                "status": status,
                "failed": ", ".join(
                    str(advice.rule_title(rule)) for rule in (cell or {}).get("failed") or []
                ),
            }
        )
    # Folded: the first rows and the failing ones stay in view, up to SHOWN_ROWS; the
    # others open on demand.
    flagged = [row for row in shown if row["status"] in (FAIL, REVIEW)][:SHOWN_ROWS]
    visible = {id(row) for row in flagged}
    for row in shown:
        if len(visible) >= SHOWN_ROWS:
            break
        visible.add(id(row))
    return {
        "kind": "table",
        "header": header,
        "rows": [row for row in shown if id(row) in visible],
        "folded": [row for row in shown if id(row) not in visible],
        "truncated": len(rows) > TABLE_ROWS,
        "matched": matched,
    }


def _image(path: Path, size: int) -> dict:
    if size > IMAGE_BYTES:
        return {"kind": "too_large", "limit": IMAGE_BYTES}
    with open(path, "rb") as handle:
        data = handle.read(IMAGE_BYTES + 1)
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        mime = "image/png"
    elif data.startswith(b"\xff\xd8\xff"):
        mime = "image/jpeg"
    else:  # not what its name says: never shown as an image
        return {"kind": "binary"}
    return {"kind": "image", "uri": f"data:{mime};base64,{base64.b64encode(data).decode()}"}


def _text(path: Path, size: int) -> dict:
    with open(path, "rb") as handle:
        data = handle.read(TEXT_BYTES)
    if b"\0" in data:
        return {"kind": "binary"}
    return {
        "kind": "text",
        "text": data.decode("utf-8", errors="replace"),
        "truncated": size > TEXT_BYTES,
        "limit": TEXT_BYTES,
    }


def _content(output, shown) -> dict | None:
    """An output's content for the review page, bounded, for those output_shown lets read
    it (None for anyone else); never a file served by URL."""
    path = shown.path
    if path is None:
        return None
    if output.discarded_at is not None:
        return {"kind": "discarded"}
    suffix = Path(output.name).suffix.lower()
    try:
        if output.kind == JobOutputKind.FILE and suffix in TABLE_SUFFIXES:
            return _table(shown, path, TABLE_SUFFIXES[suffix])
        if output.kind == JobOutputKind.FILE and suffix in IMAGE_SUFFIXES:
            return _image(path, shown.size)
        return _text(path, shown.size)
    except (OSError, csv.Error):
        return {"kind": "unreadable"}


# Outputs ------------------------------------------------------------------------------


def _open_request(output):
    item = (
        ReleaseItem.objects.filter(output=output, request__status__in=OPEN)
        .select_related("request")
        .first()
    )
    return item.request if item else None


@login_required
def output_detail(request, pk: int):
    """An output's facts and check record; its content is never shown here."""
    output = output_get(request.user, pk)
    job = output.job
    scenario = job.scenario
    member = is_member(request.user, scenario.organization_id)
    record = output.check_record or {}
    shown = output_shown(request.user, output)
    unreleased = output.released_at is None and output.discarded_at is None
    open_request = _open_request(output) if not job.dry_run else None
    requests = [item.request for item in output.release_items.select_related("request")]
    rejected = any(r.status == ReleaseStatus.REJECTED for r in requests)
    checked = _check_context(output, shown.check_record)
    # The platform's mitigations that can fix a failed rule (suppression needs failing
    # cells, counted from the full record: the developer sees the count already).
    mitigations = {
        method
        for method in checked["mitigations"]
        if method != "suppress" or _check_context(output)["failing_cells"]
    }
    can_request = (
        member
        and not job.dry_run
        and unreleased
        and not rejected
        and output.check_status != CheckStatus.PENDING
        and open_request is None
        and scenario.status == ScenarioStatus.AUTHORIZED
    )
    return render(
        request,
        "scenarios/output_detail.html",
        {
            "output": output,
            "job": job,
            "scenario": scenario,
            # Until release a developer sees verdicts with counts, a rounded size and no
            # SHA-256: the rest comes from real data (selectors.output_shown).
            **checked,
            "mitigations": mitigations,
            "shown": shown,
            "derived": list(outputs_visible_to(request.user).filter(derived_from=output)),
            "requests": sorted(requests, key=lambda r: -r.pk),
            "rejected": rejected,
            "open_request": open_request,
            "can_mitigate": member
            and unreleased
            and not job.dry_run
            and bool(record.get("aggregate"))
            and output.name.endswith(".csv")
            and bool(mitigations),
            "can_request": can_request,
            "can_download": member and output.released_at is not None and not job.dry_run,
            "mitigate_form": MitigateForm(),
        },
    )


@login_required
@require_POST
def output_mitigate(request, pk: int):
    output = output_get(request.user, pk)
    form = MitigateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose how to mitigate."))
        return redirect("output-detail", pk=pk)
    try:
        derived = output_svc.output_mitigate(
            by=request.user,
            output=output,
            method=form.cleaned_data["method"],
            base=form.cleaned_data["base"] or 5,
        )
    except (InvalidInput, Conflict) as error:
        messages.error(request, error.message)
        return redirect("output-detail", pk=pk)
    messages.success(
        request,
        _("A mitigated copy %(name)s is made; it still needs review before release.")
        % {"name": derived.name},
    )
    return redirect("output-detail", pk=derived.pk)


@login_required
def output_file(request, pk: int):
    """A released output, for a member of its organization (audited); 404 otherwise."""
    output = output_svc.output_download(by=request.user, output_id=pk)
    return attachment(output.path, output.name, sha256=output_shown(request.user, output).sha256)


# Release requests: the developer's side -------------------------------------------------


def _candidates(user, scenario, *, request=None) -> list:
    """Checked, unreleased outputs of the scenario's real jobs in no other open request
    and never rejected (rejection is final)."""
    elsewhere = ReleaseItem.objects.filter(request__status__in=OPEN)
    if request is not None:
        elsewhere = elsewhere.exclude(request=request)
    rejected = ReleaseItem.objects.filter(request__status=ReleaseStatus.REJECTED)
    return list(
        outputs_visible_to(user)
        .filter(
            job__scenario=scenario,
            job__dry_run=False,
            released_at__isnull=True,
            discarded_at__isnull=True,
        )
        .exclude(check_status=CheckStatus.PENDING)
        .exclude(pk__in=elsewhere.values("output"))
        .exclude(pk__in=rejected.values("output"))
        .order_by("-job__created_at", "-job_id", "name")
    )


def _refused(error: InvalidInput, chosen, errors: list) -> None:
    """Put the service's refusal next to the item it is about, else above the form."""
    match = ITEM_FIELD.match(error.field or "")
    if match and int(match.group(1)) < len(chosen):
        form, name = chosen[int(match.group(1))], match.group(2)
        form.add_error(name if name in form.fields else None, error.message)
    else:
        errors.append(error.message)


def _release_form(request, *, scenario, outputs, initial, submit, release=None):
    item_forms = release_item_forms(request.POST or None, outputs, initial=initial)
    errors = []
    if request.method == "POST" and all(form.is_valid() for form in item_forms):
        chosen, items = release_items_chosen(item_forms)
        try:
            done = submit(items)
        except InvalidInput as error:
            _refused(error, chosen, errors)
        except Conflict as error:
            errors.append(error.message)
        else:
            return done
    return render(
        request,
        "scenarios/release_form.html",
        {
            "scenario": scenario,
            "release": release,
            "item_forms": item_forms,
            "errors": errors,
            "public_comments": _public_comments(request.user, release) if release else [],
        },
    )


@login_required
def release_new(request, pk: int):
    scenario = scenario_get(request.user, pk)
    if not is_member(request.user, scenario.organization_id):
        raise Http404
    outputs = _candidates(request.user, scenario)
    wanted = {int(v) for v in request.GET.getlist("output") if v.isdigit()}
    initial = {output.pk: {"include": output.pk in wanted} for output in outputs}

    def submit(items):
        created = release_svc.release_request_create(
            by=request.user, scenario=scenario, items=items
        )
        messages.success(request, _("The release request is sent to the reviewers."))
        return redirect("release-detail", pk=created.pk)

    return _release_form(
        request, scenario=scenario, outputs=outputs, initial=initial, submit=submit
    )


@login_required
def release_resubmit(request, pk: int):
    """A returned request, changed: its items edited, other outputs (e.g. a mitigated
    copy) chosen instead."""
    release = release_request_get(request.user, pk)
    if not is_member(request.user, release.scenario.organization_id):
        raise Http404
    if release.status != ReleaseStatus.RETURNED:
        raise Conflict(_("Only a returned request is resubmitted."))
    outputs = _candidates(request.user, release.scenario, request=release)
    initial = {
        item.output_id: {
            "include": True,
            "context": item.context,
            "controls": item.controls,
            "exception": item.exception,
        }
        for item in release.items.all()
    }

    def submit(items):
        release_svc.release_request_resubmit(by=request.user, request=release, items=items)
        messages.success(request, _("The request is resubmitted for a new round of review."))
        return redirect("release-detail", pk=release.pk)

    return _release_form(
        request,
        scenario=release.scenario,
        outputs=outputs,
        initial=initial,
        submit=submit,
        release=release,
    )


@login_required
@require_POST
def release_withdraw(request, pk: int):
    release = release_request_get(request.user, pk)
    try:
        release_svc.release_request_withdraw(by=request.user, request=release)
    except (InvalidInput, Conflict) as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The release request is withdrawn."))
    return redirect("release-detail", pk=pk)


@login_required
def release_list(request):
    """The organization's release requests (all of them, for oversight)."""
    form = StatusFilterForm(request.GET or None, choices=ReleaseStatus.choices)
    found = release_requests_visible_to(request.user)
    wanted = form.wanted()
    if wanted:
        found = found.filter(status=wanted)
    page, query = paged(request, found)
    membership = membership_of(request.user)
    scenarios = []
    if membership is not None and membership.organization.kind == OrganizationKind.DEVELOPER:
        scenarios = scenarios_visible_to(request.user).filter(
            organization=membership.organization, status=ScenarioStatus.AUTHORIZED
        )
    return render(
        request,
        "scenarios/release_list.html",
        {"form": form, "page": page, "query": query, "scenarios": scenarios},
    )


# Release requests: the reviewers' side --------------------------------------------------


def _decision_label(value: str) -> str:
    return ReleaseDecision(value).label if value in ReleaseDecision.values else value


def _public_comments(user, release) -> list[dict]:
    return [
        {
            **review,
            "label": _decision_label(review["decision"]),
            "items": [
                {**item, "label": _decision_label(item["decision"])} for item in review["items"]
            ],
        }
        for review in release_reviews_shown(user, release)
    ]


def _release_context(request, release, *, review_form=None, posted=None, item_errors=None) -> dict:
    user = request.user
    sees_content = _sees_content(user, release.scenario)
    member = is_member(user, release.scenario.organization_id)
    items = []
    for item in release.items.all():
        output = item.output
        shown = output_shown(user, output)  # a developer: verdicts with counts only
        items.append(
            {
                "item": item,
                "output": output,
                "shown": shown,
                "job": output.job,
                **_check_context(output, shown.check_record),
                "content": _content(output, shown) if sees_content else None,
                "posted": (posted or {}).get(output.pk, {}),
                "error": (item_errors or {}).get(output.pk, ""),
            }
        )
    scope = []
    if sees_content:
        scope = list(release.scenario.scope.select_related("catalog"))
    can_decide = awaits_decision(RELEASE_REVIEW, user, release)
    # The reviewer's summary: outputs by check verdict and the cells that fail.
    verdicts = {}
    for entry in items:
        verdicts[entry["output"].check_status] = verdicts.get(entry["output"].check_status, 0) + 1
    return {
        "verdicts": [
            (CheckStatus(status).label if status in CheckStatus.values else status, count)
            for status, count in sorted(verdicts.items())
        ],
        "failing_total": sum(entry["failing_cells"] for entry in items),
        "release": release,
        "scenario": release.scenario,
        "items": items,
        "reviews": _public_comments(user, release),
        "oversees": is_overseer(user),
        "sees_content": sees_content,
        "scope": scope,
        "can_decide": can_decide,
        "review_form": review_form or (ReleaseReviewForm() if can_decide else None),
        "decisions": ReleaseDecision.choices,
        "can_resubmit": member and release.status == ReleaseStatus.RETURNED,
        "can_withdraw": member and release.status in OPEN,
        "required": settings.SCENARIO_APPROVALS_REQUIRED,
        "price_form": (
            price_form_for(release)
            if is_operator_staff(user) and release.status == ReleaseStatus.APPROVED
            else None
        ),
    }


# A release's page shows the figures under review inline, as data: URIs (never a file
# served by URL before its release): its policy lets images come from them, nothing else.
_INLINE_FIGURES = csp_update({"img-src": ["data:"]})


@login_required
@_INLINE_FIGURES
def release_detail(request, pk: int):
    release = release_request_get(request.user, pk)
    return render(request, "scenarios/release_detail.html", _release_context(request, release))


def _posted_items(post, release) -> dict[int, dict]:
    """Each output's decision and reason from the review form (``item-<id>-decision``)."""
    return {
        item.output_id: {
            "decision": post.get(f"item-{item.output_id}-decision", ""),
            "reason": post.get(f"item-{item.output_id}-reason", ""),
        }
        for item in release.items.all()
    }


@login_required
@require_POST
@_INLINE_FIGURES
def release_decide(request, pk: int):
    """The reviewer's decision: on each output (``decision=items``, the outputs' own
    choices) or on the whole request (approve, reject, return)."""
    release = release_request_get(request.user, pk)
    form = ReleaseReviewForm(request.POST)
    form.is_valid()
    per_output = form.cleaned_data.get("decision") == "items"
    posted = _posted_items(request.POST, release) if per_output else None
    try:
        release_svc.release_review(
            by=request.user,
            request=release,
            decision="" if per_output else form.cleaned_data.get("decision", ""),
            comment_private=form.cleaned_data.get("comment_private", ""),
            comment_public=form.cleaned_data.get("comment_public", ""),
            items=posted,
        )
    except InvalidInput as error:
        item_errors = {}
        match = ITEM_FIELD.match(error.field or "")
        if per_output and match:
            item_errors[int(match.group(1))] = error.message
        else:
            form_error(form, error)
        context = _release_context(
            request, release, review_form=form, posted=posted, item_errors=item_errors
        )
        return render(request, "scenarios/release_detail.html", context)
    except Conflict as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Decision recorded."))
    return redirect("release-detail", pk=pk)


@login_required
@require_POST
def release_price(request, pk: int):
    price_post(request, release_request_get(request.user, pk))
    return redirect("release-detail", pk=pk)


@login_required
def release_queue(request):
    """Release requests for reviewers, operator staff and auditors, with filters."""
    user = request.user
    if not is_overseer(user):
        raise Http404
    scenarios = (
        scenarios_visible_to(user)
        .filter(release_requests__isnull=False)
        .distinct()
        .order_by("name", "pk")
    )
    form = ReleaseFilterForm(request.GET or None, scenarios=scenarios)
    wanted = form.wanted()
    found = release_requests_visible_to(user)
    if wanted["status"]:
        found = found.filter(status=wanted["status"])
    if wanted["scenario"] is not None:
        found = found.filter(scenario=wanted["scenario"])
    if wanted["awaiting"]:
        mine = ReleaseReview.objects.filter(
            request=OuterRef("pk"), reviewer=user, round=OuterRef("round")
        )
        found = found.filter(status=ReleaseStatus.SUBMITTED).exclude(Exists(mine))
        own = organization_of(user)
        if own is not None:
            found = found.exclude(scenario__organization=own)
    page, query = paged(request, found)
    rows = [
        {
            "release": release,
            "decided": any(
                r.round == release.round and r.reviewer_id == user.pk for r in release.reviews.all()
            ),
            "decisions": sum(1 for r in release.reviews.all() if r.round == release.round),
        }
        for release in page
    ]
    return render(
        request,
        "scenarios/release_queue.html",
        {"form": form, "page": page, "rows": rows, "query": query},
    )
