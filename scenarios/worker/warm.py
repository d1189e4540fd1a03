"""Warm sandboxes on a sandbox worker (system actions). A job's fixed cost is its
sandbox's start, nearly all of it the sandbox's Python loading DuckDB; most jobs follow
another on the same scenario. So after a job, the worker process that ran it starts one
sandbox for the next job of the same workspace and limits (``warm_prepare``): bubblewrap
with everything in place, DuckDB loaded and connected, waiting. The next job that fits
takes it (``warm_take``) and nothing else ever uses it; the job after that gets a new one.

A warm sandbox is discarded, never reused, when it has waited SANDBOX_WARM_IDLE_SECONDS,
when its scenario is no longer authorized (suspended, revoked, expired) or its workspace is
no longer the scenario's newest ready version, when its runner died, and with its worker
process (``warm_pool_close`` at the pool process's end; bubblewrap's --die-with-parent
when that process is killed). A thread of the pool looks every
SANDBOX_WARM_CHECK_SECONDS.

The pool lives in the process that runs jobs (a Celery pool process), opened by its first
job (``warm_pool_open``): the process that supervises a sandbox must be its parent. While
the process is idle, its worker offers its warm sandboxes to their scenarios' next jobs
(scenarios.queue.warm_offer: the job is sent to this worker's own queue); it withdraws the
offers when it starts a job (``warm_busy``) and when a sandbox is discarded. A sandbox
worker runs one job at a time, so its offers are this process's."""

import atexit
import logging
import shutil
import threading
import uuid
from dataclasses import dataclass, replace

from django.conf import settings
from django.db import DatabaseError, connections

from core.storage import data_path
from scenarios.models import Job, Scenario, ScenarioStatus, WorkspaceStatus
from scenarios.queue import warm_offer, warm_withdraw
from scenarios.sandbox import engine

logger = logging.getLogger(__name__)


@dataclass
class _Entry:
    warm: engine.Warm
    scenario_id: int
    workspace_id: int


class _Pool:
    def __init__(self, worker: str) -> None:
        self.worker = worker  # the Celery worker's hostname, which offers
        self.entries: list[_Entry] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._watch, name="warm-sandboxes", daemon=True)

    def _watch(self) -> None:
        while not self.stopping.wait(settings.SANDBOX_WARM_CHECK_SECONDS):
            try:
                warm_prune()
            except Exception:  # the next look tries again
                logger.exception("warm sandboxes: the periodic check failed")
            finally:
                connections.close_all()  # this thread's own

    def remove(self, chosen) -> list[_Entry]:
        with self.lock:
            taken = [entry for entry in self.entries if chosen(entry)]
            self.entries = [entry for entry in self.entries if entry not in taken]
        return taken

    def withdraw(self, entries: list[_Entry]) -> None:
        warm_withdraw(worker=self.worker, scenario_ids=[entry.scenario_id for entry in entries])


_pool: _Pool | None = None


def warm_pool_open(worker: str) -> None:
    """Keep warm sandboxes in this process of the Celery worker named ``worker`` (its
    hostname) from now on (idempotent)."""
    global _pool
    if _pool is not None or settings.SANDBOX_WARM_SANDBOXES <= 0 or settings.SANDBOX_INSECURE_DEV:
        return
    _pool = _Pool(worker)
    _pool.thread.start()
    atexit.register(warm_pool_close)


def warm_pool_close() -> None:
    """Discard every warm sandbox of this process and stop keeping them (idempotent)."""
    global _pool
    pool, _pool = _pool, None
    if pool is None:
        return
    pool.stopping.set()
    gone = pool.remove(lambda _entry: True)
    pool.withdraw(gone)
    _discard(gone)
    if pool.thread is not threading.current_thread():
        pool.thread.join(timeout=10)


def warm_waiting() -> list[engine.Warm]:
    """The warm sandboxes waiting in this process."""
    pool = _pool
    if pool is None:
        return []
    with pool.lock:
        return [entry.warm for entry in pool.entries]


def _discard(entries: list[_Entry]) -> None:
    for entry in entries:
        try:
            entry.warm.discard()
        except Exception:
            logger.exception("a warm sandbox could not be discarded")


def _current(scenario_id: int) -> int | None:
    """The workspace a warm sandbox of this scenario may hold: its newest ready version,
    while the scenario is authorized (None otherwise)."""
    scenario = Scenario.objects.filter(pk=scenario_id).only("status").first()
    if scenario is None or scenario.status != ScenarioStatus.AUTHORIZED:
        return None
    return (
        scenario.workspaces.filter(status=WorkspaceStatus.READY)
        .order_by("-version")
        .values_list("pk", flat=True)
        .first()
    )


def warm_prune() -> int:
    """Discard the warm sandboxes that waited too long, whose runner died, whose scenario
    is no longer authorized or whose workspace is no longer its newest. How many went."""
    pool = _pool
    if pool is None or not pool.entries:
        return 0
    with pool.lock:
        entries = list(pool.entries)
    idle = settings.SANDBOX_WARM_IDLE_SECONDS
    stale = {id(e) for e in entries if e.warm.idle_seconds() > idle or not e.warm.alive()}
    try:
        currents = {e.scenario_id: _current(e.scenario_id) for e in entries}
    except DatabaseError:
        logger.warning("warm sandboxes: the database did not answer", exc_info=True)
        currents = {}
    for entry in entries:
        if entry.scenario_id in currents and currents[entry.scenario_id] != entry.workspace_id:
            stale.add(id(entry))
    gone = pool.remove(lambda entry: id(entry) in stale)
    pool.withdraw(gone)
    _discard(gone)
    return len(gone)


def warm_busy() -> None:
    """This process starts a job: its worker's offers are withdrawn until it is idle
    again (a job sent to this worker now would wait for the one starting)."""
    pool = _pool
    if pool is None:
        return
    with pool.lock:
        entries = list(pool.entries)
    pool.withdraw(entries)


def warm_take(job: Job, spec: engine.RunSpec) -> engine.Warm | None:
    """The warm sandbox made for a job like this one, moved to its folder (``spec.folder``,
    empty), or None. It leaves the pool whatever happens: it serves this job or none."""
    pool = _pool
    if pool is None:
        return None
    key = engine.warm_key(spec)
    taken = pool.remove(
        lambda entry: (
            entry.warm.key == key
            and entry.scenario_id == job.scenario_id
            and entry.workspace_id == job.workspace_id
        )
    )
    usable = [
        entry
        for entry in taken
        if entry.warm.alive() and entry.warm.idle_seconds() <= settings.SANDBOX_WARM_IDLE_SECONDS
    ]
    _discard([entry for entry in taken if entry not in usable])
    if not usable:
        return None
    warm = usable[0].warm
    _discard(usable[1:])
    try:
        warm.move_to(spec.folder)
    except OSError:
        logger.exception("a warm sandbox could not be moved to its job's folder")
        _discard(usable[:1])
        return None
    return warm


def warm_prepare(*, scenario_id: int, workspace_id: int, spec: engine.RunSpec) -> None:
    """A warm sandbox for the next job of a scenario on this workspace whose run spec is
    like ``spec`` (after a job: its own), unless one is waiting already or the workspace
    is not the scenario's newest."""
    pool = _pool
    if pool is None or _current(scenario_id) != workspace_id:
        return
    key = engine.warm_key(spec)
    with pool.lock:
        waiting = any(entry.warm.key == key for entry in pool.entries)
    if not waiting:
        _start(pool, scenario_id=scenario_id, workspace_id=workspace_id, spec=spec)
    with pool.lock:
        entries = list(pool.entries)
    idle = settings.SANDBOX_WARM_IDLE_SECONDS
    warm_offer(
        worker=pool.worker,
        offers={entry.scenario_id: int(idle - entry.warm.idle_seconds()) for entry in entries},
    )


def _start(pool: _Pool, *, scenario_id: int, workspace_id: int, spec: engine.RunSpec) -> None:
    folder = data_path(f"jobs/warm/{uuid.uuid4().hex}")
    folder.mkdir(parents=True)
    try:
        warm = engine.warm_start(replace(spec, code="", folder=folder))
    except engine.SandboxUnavailable:  # the job said so already
        shutil.rmtree(folder, ignore_errors=True)
        return
    except Exception:
        logger.exception("a warm sandbox could not be started")
        shutil.rmtree(folder, ignore_errors=True)
        return
    with pool.lock:
        pool.entries.append(_Entry(warm, scenario_id, workspace_id))
        extra = pool.entries[: -settings.SANDBOX_WARM_SANDBOXES]
        pool.entries = pool.entries[-settings.SANDBOX_WARM_SANDBOXES :]
    pool.withdraw(extra)
    _discard(extra)  # the oldest, beyond this process's number
