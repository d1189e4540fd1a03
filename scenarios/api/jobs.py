"""Jobs and compute vouchers through the API: thin views over selectors and services."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import NotFound
from core.storage import attachment
from core.workers import sandbox_workers_ok
from scenarios.api.releases import shown_in
from scenarios.models import Job, JobLanguage, JobStatus
from scenarios.selectors import (
    dry_run_output_get,
    job_get,
    job_queue_for,
    job_waiting,
    jobs_visible_to,
    output_shown,
    scenario_get,
)
from scenarios.services import compute as compute_svc
from scenarios.services import jobs as job_svc
from tenants.selectors import organizations_visible_to

DRY_RUN_LOG_BYTES = 64 * 1024


class JobOutputOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()
    size = serializers.SerializerMethodField()
    sha256 = serializers.SerializerMethodField()
    check_status = serializers.CharField()
    released_at = serializers.DateTimeField()
    download = serializers.SerializerMethodField()

    def get_size(self, obj) -> int:
        return shown_in(self.context, obj).size

    def get_sha256(self, obj) -> str | None:
        return shown_in(self.context, obj).sha256

    def get_download(self, obj) -> str | None:
        """A dry run's outputs are served (synthetic data); a real job's wait in
        quarantine until released."""
        if obj.job.dry_run:
            return f"/api/v1/jobs/{obj.job_id}/outputs/{obj.pk}/"
        return f"/api/v1/outputs/{obj.pk}/download" if obj.released_at else None


class JobWaitingOutput(serializers.Serializer):
    """Why a queued job has not started yet."""

    workers = serializers.ChoiceField(
        choices=["ok", "down"],
        help_text="ok: a sandbox worker is alive (the job waits for a free slot); "
        "down: no sandbox worker is running (the job starts when one is).",
    )
    ahead = serializers.IntegerField(
        help_text="Queued jobs of the same organization submitted before this one: they "
        "start first. Organizations take turns, so other organizations' jobs may too."
    )
    note = serializers.CharField(help_text="The same, in words, in the request's language.")


class JobOutput(serializers.ModelSerializer):
    scenario = serializers.IntegerField(source="scenario_id")
    workspace_version = serializers.IntegerField(source="workspace.version")
    submitted_by = serializers.CharField(source="submitted_by.username")
    reason_text = serializers.CharField(
        read_only=True,
        help_text="The reason in the request's language (Accept-Language); `reason` is English.",
    )
    outputs = serializers.SerializerMethodField()
    logs = serializers.SerializerMethodField()
    queue = serializers.SerializerMethodField()

    class Meta:
        model = Job
        fields = [
            "id",
            "scenario",
            "workspace_version",
            "submitted_by",
            "name",
            "language",
            "code",
            "dry_run",
            "status",
            "reason",
            "reason_code",
            "reason_params",
            "reason_text",
            "error_class",
            "error_line",
            "limits",
            "cancel_requested",
            "created_at",
            "started_at",
            "finished_at",
            "cpu_seconds",
            "peak_memory_bytes",
            "wall_seconds",
            "outputs",
            "logs",
            "queue",
        ]

    def get_outputs(self, obj) -> list[dict]:
        return JobOutputOutput(obj.outputs.all(), many=True, context=self.context).data

    @extend_schema_field(JobWaitingOutput(allow_null=True))
    def get_queue(self, obj):
        """A queued job's wait (null once it has started); whether a sandbox worker is
        alive is read once per answer, however many jobs it lists."""
        if obj.status != JobStatus.QUEUED:
            return None
        if "sandbox_workers_ok" not in self.context:
            self.context["sandbox_workers_ok"] = sandbox_workers_ok()
        return job_waiting(obj, workers_ok=self.context["sandbox_workers_ok"])

    def get_logs(self, obj) -> dict | None:
        """A dry run's stdout and stderr, returned directly (synthetic data only)."""
        if not obj.dry_run:
            return None
        logs = {}
        for output in obj.outputs.filter(kind__in=["stdout", "stderr"]):
            path = shown_in(self.context, output).path
            if path is None:
                continue
            with open(path, "rb") as handle:
                logs[output.kind] = handle.read(DRY_RUN_LOG_BYTES).decode(errors="replace")
        return logs


class JobInput(serializers.Serializer):
    name = serializers.CharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        help_text="The job's name; by default the code's first line when it is a comment.",
    )
    language = serializers.ChoiceField(choices=JobLanguage.choices)
    code = serializers.CharField(trim_whitespace=False)
    dry_run = serializers.BooleanField(default=False)


class ScenarioJobListView(ListAPIView):
    serializer_class = JobOutput

    def get_queryset(self):
        scenario = scenario_get(self.request.user, self.kwargs["pk"])
        return jobs_visible_to(self.request.user).filter(scenario=scenario)

    @extend_schema(request=JobInput, responses={201: JobOutput})
    def post(self, request, pk: int):
        scenario = scenario_get(request.user, pk)
        values = JobInput(data=request.data)
        values.is_valid(raise_exception=True)
        job = job_svc.job_submit(by=request.user, scenario=scenario, **values.validated_data)
        return Response(
            JobOutput(job_get(request.user, job.pk), context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


class JobDetailView(APIView):
    @extend_schema(responses=JobOutput)
    def get(self, request, pk: int):
        return Response(JobOutput(job_get(request.user, pk), context={"request": request}).data)


class QueueOrganizationOutput(serializers.Serializer):
    organization_id = serializers.IntegerField()
    organization = serializers.CharField()
    running = serializers.IntegerField()
    queued = serializers.IntegerField()


class QueueWorkerOutput(serializers.Serializer):
    hostname = serializers.CharField()
    queues = serializers.ListField(child=serializers.CharField())
    seen_seconds_ago = serializers.FloatField()


class JobQueueOutput(serializers.Serializer):
    queued = serializers.IntegerField()
    running = serializers.IntegerField()
    oldest_queued_seconds = serializers.FloatField(
        allow_null=True, help_text="How long the oldest queued job has waited (null: none)."
    )
    running_by_organization = QueueOrganizationOutput(many=True)
    workers = QueueWorkerOutput(many=True, help_text="The workers alive.")
    sandbox_workers_ok = serializers.BooleanField(
        help_text="false: no sandbox worker is alive, so no job starts."
    )


class JobQueueView(APIView):
    """The job queue, for operator staff and auditors (404 for anyone else)."""

    @extend_schema(
        responses={200: JobQueueOutput, 404: OpenApiResponse(description="not staff or auditor")}
    )
    def get(self, request):
        return Response(JobQueueOutput(job_queue_for(request.user)).data)


class JobCancelView(APIView):
    @extend_schema(request=None, responses=JobOutput)
    def post(self, request, pk: int):
        job = job_svc.job_cancel(by=request.user, job=job_get(request.user, pk))
        return Response(JobOutput(job_get(request.user, job.pk), context={"request": request}).data)


class DryRunOutputView(APIView):
    @extend_schema(responses={(200, "application/octet-stream"): OpenApiResponse(bytes)})
    def get(self, request, pk: int, output: int):
        found = dry_run_output_get(request.user, pk, output)
        return attachment(found.path, found.name, sha256=output_shown(request.user, found).sha256)


class VoucherInput(serializers.Serializer):
    cpu_hours = serializers.DecimalField(max_digits=10, decimal_places=3)
    valid_from = serializers.DateField(required=False)
    valid_until = serializers.DateField()
    reason = serializers.CharField()


class ComputeOutput(serializers.Serializer):
    balance_hours = serializers.FloatField()
    vouchers = serializers.ListField(child=serializers.DictField())
    monthly = serializers.ListField(child=serializers.DictField())


class ComputeView(APIView):
    """An organization's compute balance, vouchers and monthly use; staff grant vouchers."""

    def _organization(self, request, pk):
        found = organizations_visible_to(request.user).filter(pk=pk).first()
        if found is None:
            raise NotFound()
        return found

    @extend_schema(responses=ComputeOutput)
    def get(self, request, pk: int):
        organization = self._organization(request, pk)
        return Response(compute_svc.compute_summary(organization))

    @extend_schema(request=VoucherInput, responses={201: ComputeOutput})
    def post(self, request, pk: int):
        organization = self._organization(request, pk)
        values = VoucherInput(data=request.data)
        values.is_valid(raise_exception=True)
        compute_svc.voucher_grant(
            by=request.user, organization=organization, **values.validated_data
        )
        return Response(compute_svc.compute_summary(organization), status=status.HTTP_201_CREATED)
