"""Release of job outputs: a developer's request, reviewed by distinct reviewers blind to
each other; released outputs (and the aggregates they hold, for differencing)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from scenarios.models.job import JobOutput
from scenarios.models.pricing import Priced
from scenarios.models.scenario import Scenario


class ReleaseStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Under review")
    RETURNED = "returned", _("Returned for changes")
    APPROVED = "approved", _("Released")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class ReleaseRequest(Priced):
    """A set of outputs asked to leave the sandbox; once released, a data product."""

    scenario = models.ForeignKey(
        Scenario, on_delete=models.PROTECT, related_name="release_requests"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ReleaseStatus.choices, default=ReleaseStatus.SUBMITTED
    )
    round = models.PositiveIntegerField(_("review round"), default=1)
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("submitted at"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        verbose_name = _("release request")
        verbose_name_plural = _("release requests")

    def __str__(self) -> str:
        return f"release request {self.pk}"


class ReleaseItem(models.Model):
    """One output in a request, with what it shows and how disclosure was avoided."""

    request = models.ForeignKey(ReleaseRequest, on_delete=models.CASCADE, related_name="items")
    output = models.ForeignKey(JobOutput, on_delete=models.PROTECT, related_name="release_items")
    context = models.TextField(_("what it shows"))
    controls = models.TextField(_("how disclosure was avoided"))
    exception = models.TextField(_("exception request"), blank=True)

    class Meta:
        ordering = ["request", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["request", "output"], name="release_item_unique")
        ]
        verbose_name = _("release item")
        verbose_name_plural = _("release items")

    def __str__(self) -> str:
        return f"{self.request_id}:{self.output_id}"


class ReleaseDecision(models.TextChoices):
    APPROVE = "approve", _("Approve")
    REJECT = "reject", _("Reject")
    RETURN = "return", _("Return for changes")


class ReleaseReview(models.Model):
    request = models.ForeignKey(ReleaseRequest, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    round = models.PositiveIntegerField(_("round"))
    decision = models.CharField(_("decision"), max_length=8, choices=ReleaseDecision.choices)
    # Private comments are for reviewers; public ones reach the developer.
    comment_private = models.TextField(_("comment to reviewers"), blank=True)
    comment_public = models.TextField(_("comment to the developer"), blank=True)
    # A decision per output, when the reviewer decided them one by one:
    # {"<output id>": {"decision": ..., "reason": ...}}; ``decision`` is their outcome.
    item_decisions = models.JSONField(_("decisions per output"), default=dict, blank=True)
    created_at = models.DateTimeField(_("reviewed at"), auto_now_add=True)

    class Meta:
        ordering = ["request", "round", "created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "reviewer", "round"], name="release_review_once"
            )
        ]
        verbose_name = _("release review")
        verbose_name_plural = _("release reviews")

    def __str__(self) -> str:
        return f"{self.request_id} r{self.round} {self.decision}"


class ReleasedAggregate(models.Model):
    """A released aggregate's grouping, filters and cell counts: what a new output is
    compared with to catch differencing."""

    output = models.OneToOneField(JobOutput, on_delete=models.PROTECT, related_name="aggregate")
    table = models.CharField(max_length=100)
    group_by = models.JSONField()
    filters = models.TextField(blank=True)
    cells = models.JSONField()
    released_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["table"])]

    def __str__(self) -> str:
        return f"{self.table} by {', '.join(self.group_by)}"
