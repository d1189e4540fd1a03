"""Jobs: a developer's SQL or Python run in the sandbox against a scenario's workspace."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from scenarios.jobreasons import Reason, reason_text
from scenarios.models.scenario import Scenario, Workspace


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")
    TIMED_OUT = "timed_out", _("Timed out")
    KILLED = "killed", _("Killed (resource limit)")


FINISHED = (
    JobStatus.SUCCEEDED,
    JobStatus.FAILED,
    JobStatus.CANCELLED,
    JobStatus.TIMED_OUT,
    JobStatus.KILLED,
)


class JobLanguage(models.TextChoices):
    SQL = "sql", "SQL"
    PYTHON = "python", "Python"


class Job(models.Model):
    scenario = models.ForeignKey(Scenario, on_delete=models.PROTECT, related_name="jobs")
    # The workspace version the job runs on, fixed at submission: a newer catalog version
    # makes a new workspace version, and this job keeps its own.
    workspace = models.ForeignKey(Workspace, on_delete=models.PROTECT, related_name="jobs")
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # The developer's name for the job: given, or the code's first line when it is a
    # comment (``-- monthly means`` / ``# bloom model``).
    name = models.CharField(_("name"), max_length=100, blank=True)
    language = models.CharField(_("language"), max_length=8, choices=JobLanguage.choices)
    code = models.TextField(_("code"))
    dry_run = models.BooleanField(_("dry run on synthetic data"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED
    )
    # Developer-safe: the error's class and line, a limit's name; never a data value.
    # ``reason`` in English; its code and parameters word it in the reader's language
    # (scenarios.jobreasons; none on records made before them).
    reason = models.TextField(_("reason"), blank=True)
    reason_code = models.CharField(max_length=40, blank=True)
    reason_params = models.JSONField(default=dict, blank=True)
    error_class = models.CharField(_("error"), max_length=80, blank=True)
    error_line = models.PositiveIntegerField(_("line"), null=True, blank=True)
    limits = models.JSONField(_("limits"), default=dict)
    attempts = models.PositiveSmallIntegerField(default=0)
    cancel_requested = models.BooleanField(default=False)
    worker = models.CharField(max_length=200, blank=True)
    # The token of the claim that started the current attempt, written with it: a worker
    # whose connection was cut as its claim committed finds by it that the claim landed
    # (``worker`` names the worker, not which of its processes or tasks claimed the job).
    claim_token = models.UUIDField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("submitted at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # When the job's message was last handed to the broker (None: never, e.g. the broker
    # was away at submission); beat's reconciler sends a queued job's message again.
    dispatched_at = models.DateTimeField(null=True, blank=True)
    cpu_seconds = models.FloatField(_("CPU seconds"), null=True, blank=True)
    peak_memory_bytes = models.BigIntegerField(_("peak memory (bytes)"), null=True, blank=True)
    wall_seconds = models.FloatField(_("wall time (seconds)"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "heartbeat_at"]),
            models.Index(fields=["status", "created_at"]),
        ]
        verbose_name = _("job")
        verbose_name_plural = _("jobs")

    def __str__(self) -> str:
        return f"job {self.pk}"

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    @property
    def folder(self) -> str:
        """Working folder under DATA_ROOT of the current attempt (spec, output, logs while
        it runs): a requeued job never shares one with an attempt still alive."""
        return f"jobs/{self.pk}/a{self.attempts}"

    def reason_set(self, reason: Reason) -> list[str]:
        """Set the reason (its English sentence, code and parameters); the fields to save."""
        self.reason, self.reason_code, self.reason_params = (
            reason.english,
            reason.code,
            reason.params,
        )
        return ["reason", "reason_code", "reason_params"]

    @property
    def reason_text(self) -> str:
        """The reason in the active language."""
        return reason_text(self.reason, self.reason_code, self.reason_params)


class JobOutputKind(models.TextChoices):
    FILE = "file", _("File")
    STDOUT = "stdout", _("Standard output")
    STDERR = "stderr", _("Standard error")


class CheckStatus(models.TextChoices):
    PENDING = "pending", _("Not checked yet")
    PASS = "pass", _("Pass")
    FAIL = "fail", _("Fail")
    REVIEW = "review", _("Needs review")


class JobOutput(models.Model):
    """A file a job produced, kept in quarantine under DATA_ROOT: never served by any URL
    until released, except a dry run's (made from synthetic data)."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="outputs")
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=8, choices=JobOutputKind.choices)
    size = models.BigIntegerField(_("size (bytes)"))
    sha256 = models.CharField("SHA-256", max_length=64)
    path = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)
    # The automatic disclosure checks, run by trusted code on the worker.
    check_status = models.CharField(
        _("check"), max_length=8, choices=CheckStatus.choices, default=CheckStatus.PENDING
    )
    check_record = models.JSONField(_("check record"), default=dict, blank=True)
    # A mitigated copy (cells suppressed or rounded) names the output it was made from.
    derived_from = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="derived"
    )
    derivation = models.CharField(_("mitigation"), max_length=40, blank=True)
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    # Unreleased outputs of a revoked or closed scenario: the file is gone, the record stays.
    discarded_at = models.DateTimeField(_("discarded at"), null=True, blank=True)

    class Meta:
        ordering = ["job", "kind", "name"]
        constraints = [models.UniqueConstraint(fields=["job", "name"], name="job_output_unique")]
        verbose_name = _("job output")
        verbose_name_plural = _("job outputs")

    def __str__(self) -> str:
        return self.name
