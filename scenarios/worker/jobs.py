"""Jobs, the sandbox worker's side (system actions): claim the fairest queued job, run it
in the sandbox while beating, finish it with its resource use and quarantined outputs;
beat's reaper requeues or fails a job whose worker went silent and sends again the
messages the broker may have lost."""

import ast
import contextlib
import itertools
import logging
import shutil
import time
import uuid
from datetime import timedelta
from pathlib import PurePosixPath

from django.conf import settings
from django.db import (
    DatabaseError,
    InterfaceError,
    OperationalError,
    close_old_connections,
    transaction,
)
from django.db.models import Count, F, Min, Q
from django.utils import timezone

from core.queueing import dispatch_each
from core.services.audit import audit_record
from core.storage import data_path, data_root_ensure
from scenarios.disclosure.sqlshape import output_statements
from scenarios.jobreasons import say
from scenarios.models import (
    Job,
    JobLanguage,
    JobOutput,
    JobOutputKind,
    JobStatus,
    ScenarioStatus,
)
from scenarios.queue import job_dispatch, outputs_check_dispatch
from scenarios.sandbox import cgroup, collect, engine
from scenarios.sandbox.orphans import orphans_sweep
from scenarios.services.compute import compute_charge
from scenarios.services.jobs import cancel_locked
from scenarios.synthetic import synthetic_folder
from scenarios.worker.warm import warm_busy, warm_prepare, warm_take

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 2
LOG_MAX_BYTES = 10 * 1024 * 1024
# A heartbeat the database refused is tried again this soon, not a whole beat later; so
# is a job's claim, end or next warm sandbox that lost its connection.
HEARTBEAT_RETRY_SECONDS = 0.5


def _reconnecting(step, *, job_id: int, what: str):
    """``step()``, tried again on a new connection while the database connection is cut
    (PostgreSQL restarted, the connection terminated), for up to SANDBOX_REAP_AFTER_SECONDS:
    a database away longer leaves the job to beat's reaper, as a lost worker's. A job's
    task keeps one connection from its start to its end (Celery opens one per task), so a
    connection cut while the sandbox ran is found dead by the first query after it.
    ``step`` reads before it starts anything, or is one transaction that makes only a
    change still due: tried again after a commit whose answer was lost, it changes nothing
    (a job's start then finds the job its claim took by the claim's token: ``_claimed``)."""
    deadline = time.monotonic() + settings.SANDBOX_REAP_AFTER_SECONDS
    while True:
        try:
            return step()
        except (OperationalError, InterfaceError):
            if time.monotonic() >= deadline:
                raise
            logger.warning(
                "job %s: database connection lost (%s), trying again", job_id, what, exc_info=True
            )
            close_old_connections()
            time.sleep(HEARTBEAT_RETRY_SECONDS)


def _claim_order(hint: int) -> list[int]:
    """Which queued jobs to try, in order. Organizations with queued jobs are taken by
    fewest running jobs, then by their oldest queued job's wait: one organization's burst
    never starves another's. The message's own job (``hint``) goes first when its
    organization is among the fairest; otherwise each organization's oldest queued job."""
    running = dict(
        Job.objects.filter(status=JobStatus.RUNNING)
        .values_list("scenario__organization_id")
        .annotate(n=Count("pk"))
    )
    waiting = (
        Job.objects.filter(status=JobStatus.QUEUED)
        .values("scenario__organization_id")
        .annotate(first=Min("created_at"))
    )
    order = sorted(
        waiting, key=lambda row: (running.get(row["scenario__organization_id"], 0), row["first"])
    )
    if not order:
        return []
    fewest = running.get(order[0]["scenario__organization_id"], 0)
    hinted = (
        Job.objects.filter(pk=hint, status=JobStatus.QUEUED)
        .values_list("scenario__organization_id", flat=True)
        .first()
    )
    picks = [hint] if hinted is not None and running.get(hinted, 0) == fewest else []
    for row in order:
        oldest = (
            Job.objects.filter(
                status=JobStatus.QUEUED, scenario__organization_id=row["scenario__organization_id"]
            )
            .order_by("created_at", "pk")
            .values_list("pk", flat=True)
            .first()
        )
        if oldest is not None and oldest not in picks:
            picks.append(oldest)
    return picks


def job_start(*, job_id: int, worker: str, token: uuid.UUID | None = None) -> Job | None:
    """Claim a queued job for this worker. Every message stands for one queued job, not
    necessarily its own (``job_id`` is a hint; see ``_claim_order``). None when nothing is
    queued (a duplicate delivery, a cancellation, a job already run). ``token`` is written
    on the claimed job's row (see ``_claimed``)."""
    token = token or uuid.uuid4()
    for pk in _claim_order(job_id):
        job = _claim(pk, worker, token)
        if job is not None:
            return job
    return None


def _claimed(token: uuid.UUID) -> Job | None:
    """The job a claim with ``token`` started, still running: a claim whose commit lost
    its answer (the connection cut as it committed) may have landed, and its job is then
    this worker's to run, not left claimed until the reaper runs it again."""
    return (
        Job.objects.select_related("scenario", "scenario__organization", "workspace")
        .filter(claim_token=token, status=JobStatus.RUNNING)
        .first()
    )


def _claim(job_id: int, worker: str, token: uuid.UUID) -> Job | None:
    # Lock order everywhere: the job's own row (never its organization through a join),
    # then the audit chain head, last.
    with transaction.atomic():
        job = (
            Job.objects.select_for_update(of=("self",))
            .select_related("scenario", "scenario__organization", "workspace")
            .filter(pk=job_id)
            .first()
        )
        if job is None or job.status != JobStatus.QUEUED:
            return None
        if job.scenario.status != ScenarioStatus.AUTHORIZED:
            cancel_locked(job, by=None, reason=say("not_authorized"))
            return None
        now = timezone.now()
        # Conditional: two workers racing for one job (SQLite has no row locks) claim it once.
        claimed = Job.objects.filter(pk=job.pk, status=JobStatus.QUEUED).update(
            status=JobStatus.RUNNING,
            worker=worker[:200],
            claim_token=token,
            attempts=job.attempts + 1,
            started_at=now,
            heartbeat_at=now,
        )
        if not claimed:
            return None
        job.refresh_from_db()
        audit_record(
            by=None,
            action="job.start",
            target=job,
            organization=job.scenario.organization,
            details={"attempt": job.attempts, "worker": job.worker},
        )
    return job


def _heartbeat(job: Job):
    """Polled by the engine: beats every few seconds and answers whether to stop: when
    the job is cancelled, when it is no longer this attempt's (the reaper gave up on a
    silent worker), or when the database has been unreachable so long that the reaper
    will have."""
    state = {"next": 0.0, "stop": False, "last_beat": time.monotonic()}

    def should_stop() -> bool:
        now = time.monotonic()
        if state["stop"] or now < state["next"]:
            return state["stop"]
        state["next"] = now + settings.SANDBOX_HEARTBEAT_SECONDS
        try:
            mine = Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING, attempts=job.attempts)
            beat = mine.update(heartbeat_at=timezone.now())
            state["stop"] = not beat or mine.filter(cancel_requested=True).exists()
            state["last_beat"] = now
        except DatabaseError:
            logger.warning("job %s: heartbeat not recorded", job.pk, exc_info=True)
            close_old_connections()
            state["next"] = now + HEARTBEAT_RETRY_SECONDS  # a new connection, soon
            state["stop"] = now - state["last_beat"] > settings.SANDBOX_REAP_AFTER_SECONDS
        return state["stop"]

    return should_stop


def _run_spec(job: Job) -> engine.RunSpec:
    workspace = job.workspace
    data_root_ensure()
    folder = data_path(job.folder)
    shutil.rmtree(folder, ignore_errors=True)  # a previous attempt's leftovers
    folder.mkdir(parents=True)
    source = data_path(workspace.path)
    if job.dry_run:
        source = synthetic_folder(workspace)
    tables = {code: info["file"] for code, info in workspace.manifest.get("tables", {}).items()}
    return engine.RunSpec(
        language=job.language,
        code=job.code,
        workspace=source,
        tables=tables,
        folder=folder,
        limits=job.limits,
        python=settings.SANDBOX_PYTHON,
        sandbox_uid=settings.SANDBOX_UID,
        insecure=settings.SANDBOX_INSECURE_DEV,
        max_output_bytes=settings.SANDBOX_MAX_OUTPUT_BYTES,
        cgroups=settings.SANDBOX_CGROUPS,
        cgroup_root=settings.SANDBOX_CGROUP_ROOT,
    )


def declared_names(job: Job) -> set[str]:
    """The output names a job's code gives before it runs: a SQL job's marked, COPY and
    default results; a Python job's string literals (a name built from data is none)."""
    if job.language == JobLanguage.SQL:
        return set(output_statements(job.code)) | {"result.csv"}
    try:
        tree = ast.parse(job.code)
    except (SyntaxError, ValueError):
        return set()
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and len(node.value) < 200:
            names.add(PurePosixPath(node.value).name)
    return names


def sandboxes_sweep() -> int:
    """Remove what this machine's dead job supervisors (a worker or a pool process killed
    mid-job) left behind: their control groups, with anything still in them, and
    sandboxes they were still setting up (``orphans``). How many of either."""
    orphans = orphans_sweep()
    if orphans:
        logger.warning("killed %s sandboxes left in their setup by dead supervisors", orphans)
    if settings.SANDBOX_CGROUPS == "off":
        return orphans
    removed = cgroup.sweep_stale(settings.SANDBOX_CGROUP_ROOT)
    if removed:
        logger.warning("removed %s control groups left by dead job supervisors", removed)
    return orphans + removed


def job_execute(*, job_id: int, worker: str) -> None:
    """Run a queued job to its end (called by the sandbox worker's task)."""
    token, tries = uuid.uuid4(), itertools.count()  # one claim token for all its tries

    def start() -> Job | None:
        # Tried again on a new connection: the last try's claim may have committed.
        if next(tries) and (job := _claimed(token)) is not None:
            return job
        return job_start(job_id=job_id, worker=worker, token=token)

    job = _reconnecting(start, job_id=job_id, what="its start")
    if job is None:
        return
    warm_busy()
    sandboxes_sweep()
    quarantine = data_path(f"quarantine/{job.pk}/a{job.attempts}")
    shutil.rmtree(quarantine, ignore_errors=True)
    kept: list[tuple[str, collect.Collected]] = []
    spec = None
    try:
        spec = _run_spec(job)
        warm = warm_take(job, spec)
        result = engine.run(spec, should_stop=_heartbeat(job), warm=warm)
        quarantine.mkdir(parents=True)
        for kind, name in ((JobOutputKind.STDOUT, "stdout"), (JobOutputKind.STDERR, "stderr")):
            log = collect.keep_log(
                spec.folder / f"{name}.txt", quarantine / f"{name}.txt", max_bytes=LOG_MAX_BYTES
            )
            kept.append((kind, log))
        if result.outcome == "succeeded":
            try:
                files, skipped = collect.collect(
                    spec.folder / "output",
                    quarantine,
                    max_files=settings.SANDBOX_MAX_OUTPUT_FILES,
                    max_bytes=settings.SANDBOX_MAX_OUTPUT_BYTES,
                    reserved={"stdout.txt", "stderr.txt"},
                    declared=None if job.dry_run else declared_names(job),
                )
                kept += [(JobOutputKind.FILE, item) for item in files]
                if skipped:
                    result.details["skipped"] = sorted(skipped)[:20]
            except collect.OutputRefused as exc:
                result.outcome, result.reason = "failed", exc.reason
    except engine.SandboxUnavailable:
        result = engine.RunResult(
            outcome="failed",
            reason=say("no_bubblewrap"),
        )
    except Exception:  # the job ends with a reason; the trace is for operator staff
        logger.exception("job %s failed on the worker", job.pk)
        result = engine.RunResult(
            outcome="failed",
            reason=say("worker_error"),
        )
    finally:
        _remove_folder(job.folder)
    _reconnecting(
        lambda: job_finish(job_id=job.pk, attempt=job.attempts, result=result, outputs=kept),
        job_id=job.pk,
        what="its end",
    )
    if not job.dry_run:  # trusted checks of every output, outside the sandbox
        outputs_check_dispatch(job.pk)  # unsent: beat's reaper checks them later
    if spec is not None:
        # The scenario's next job starts warm (its scenario read before anything starts).
        _reconnecting(
            lambda: warm_prepare(
                scenario_id=job.scenario_id, workspace_id=job.workspace_id, spec=spec
            ),
            job_id=job.pk,
            what="the next warm sandbox",
        )


def job_finish(*, job_id: int, attempt: int, result, outputs) -> None:
    """Record the outcome, resource use and outputs; real jobs draw on compute vouchers.
    A result from an attempt the reaper gave up on is discarded; one recorded already (the
    answer to its commit was lost, and it is recorded again) is left as it is."""
    root = data_path("")
    with transaction.atomic():
        job = (
            Job.objects.select_for_update(of=("self",))
            .select_related("scenario__organization")
            .get(pk=job_id)
        )
        if job.status != JobStatus.RUNNING or job.attempts != attempt:
            recorded = set(job.outputs.values_list("path", flat=True))
            for _kind, item in outputs:
                if str(item.path.relative_to(root)) not in recorded:
                    item.path.unlink(missing_ok=True)
            return
        job.status = result.outcome
        if result.reason is not None:
            job.reason_set(result.reason)
        job.error_class, job.error_line = result.error_class, result.error_line
        job.cpu_seconds = result.cpu_seconds
        job.peak_memory_bytes = result.peak_memory_bytes
        job.wall_seconds = result.wall_seconds
        job.finished_at = timezone.now()
        job.save()
        for kind, item in outputs:
            JobOutput.objects.create(
                job=job,
                name=item.name,
                kind=kind,
                size=item.size,
                sha256=item.sha256,
                path=str(item.path.relative_to(root)),
            )
        if not job.dry_run:
            compute_charge(job)
        audit_record(
            by=None,
            action=f"job.{job.status}",
            target=job,
            organization=job.scenario.organization,
            details={
                "reason": job.reason,
                "cpu_seconds": job.cpu_seconds,
                "peak_memory_bytes": job.peak_memory_bytes,
                "wall_seconds": job.wall_seconds,
                "outputs": [item.name for _kind, item in outputs],
                **result.details,
            },
        )


def jobs_reap(*, now=None) -> int:
    """Periodic: a running job whose worker stopped beating is requeued once, then failed
    with a reason; the lost attempt's folder is removed. Returns how many were handled."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.SANDBOX_REAP_AFTER_SECONDS)
    handled = 0
    for job_id in Job.objects.filter(status=JobStatus.RUNNING, heartbeat_at__lt=stale).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            job = (
                Job.objects.select_for_update(of=("self",))
                .select_related("scenario__organization")
                .get(pk=job_id)
            )
            if job.status != JobStatus.RUNNING or job.heartbeat_at >= stale:
                continue
            lost_folder, worker = job.folder, job.worker
            if job.cancel_requested:  # it was being stopped anyway
                job.status, job.finished_at = JobStatus.CANCELLED, now
                fields = job.reason_set(say("lost_cancelled"))
                job.save(update_fields=["status", "finished_at", *fields])
                action = "job.cancelled"
            elif job.attempts < MAX_ATTEMPTS:
                job.status, job.worker, job.dispatched_at = JobStatus.QUEUED, "", None
                job.save(update_fields=["status", "worker", "dispatched_at"])
                transaction.on_commit(lambda pk=job.pk: job_dispatch(pk))
                action = "job.requeue"
            else:
                job.status, job.finished_at = JobStatus.FAILED, now
                fields = job.reason_set(say("worker_lost", n=job.attempts))
                job.save(update_fields=["status", "finished_at", *fields])
                action = "job.failed"
            audit_record(
                by=None,
                action=action,
                target=job,
                organization=job.scenario.organization,
                details={"attempts": job.attempts, "worker": worker, "reason": job.reason},
            )
            transaction.on_commit(lambda folder=lost_folder: _remove_folder(folder))
            handled += 1
    return handled


def _remove_folder(folder: str) -> None:
    shutil.rmtree(data_path(folder), ignore_errors=True)
    with contextlib.suppress(OSError):
        data_path(folder).parent.rmdir()


def jobs_redispatch(*, now=None, queued_messages: int | None = None) -> int:
    """Periodic: queued jobs whose message was never sent or may be lost (sent longer
    than JOBS_REDISPATCH_AFTER_SECONDS ago) are sent again, as many as the broker's
    sandbox queue lacks (``queued_messages``; unknown: all of them). Every message runs
    the fairest queued job, so extra ones are harmless and missing ones are made up."""
    now = now or timezone.now()
    due = now - timedelta(seconds=settings.JOBS_REDISPATCH_AFTER_SECONDS)
    queued = Job.objects.filter(status=JobStatus.QUEUED)
    lacking = queued.count() - (queued_messages or 0)
    if lacking <= 0:
        return 0
    candidates = (
        queued.filter(Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=due))
        .order_by(F("dispatched_at").asc(nulls_first=True), "created_at")
        .values_list("pk", flat=True)[:lacking]
    )
    return dispatch_each(candidates, job_dispatch)
