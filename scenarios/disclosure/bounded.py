"""Running a pure function over hostile input in a child process with bounded memory, CPU
time and wall-clock time.

The checks of a job's output parse files the job wrote (Parquet, PDF, images, CSV). A
crafted file can make a parser take gigabytes or minutes; in the worker that would take
the worker down with it. ``run_bounded`` forks (``os.fork`` directly: a Celery prefork
child is daemonic and may not start ``multiprocessing`` children), limits the child's
address space (``RLIMIT_AS``) and CPU time (``RLIMIT_CPU``), runs the function there and
returns its result, which must be JSON-serialisable, through a pipe. At the wall-clock
limit the child is killed (SIGKILL). Anything but a result raises ``BoundedFailure``; the
caller records review.

The function must be pure: it runs in a copy of the process, so what it changes in memory
is lost, and it must not use the database connection or other sockets it inherits.
"""

import contextlib
import ctypes
import json
import os
import resource
import select
import signal
import time
import warnings

TIMEOUT, MEMORY, CPU, CRASH, ERROR = "timeout", "memory", "cpu", "crash", "error"
_PR_SET_PDEATHSIG = 1
_READ = 1 << 20


class BoundedFailure(Exception):
    """The function gave no result: ``kind`` is timeout, memory, cpu, crash or error; the
    message says what happened, without data."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


def _address_space() -> int:
    """The process's current virtual size in bytes (what RLIMIT_AS counts)."""
    try:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[0]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        return 0


def _limit(limit: int, wanted: int) -> None:
    """Soft and hard limit ``wanted`` (never above a hard limit already in force)."""
    _soft, hard = resource.getrlimit(limit)
    if hard != resource.RLIM_INFINITY:
        wanted = min(wanted, hard)
    resource.setrlimit(limit, (wanted, wanted))


def _child(write_end: int, function, args, kwargs, memory_bytes: int, cpu_seconds: int, parent):
    """Runs in the child; never returns."""
    code = 70
    try:
        with contextlib.suppress(Exception):  # best effort: die with the worker
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:
            os._exit(code)
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        # The child shares the parent's mappings: it may add memory_bytes to them.
        _limit(resource.RLIMIT_AS, _address_space() + memory_bytes)
        # CPU time starts at zero in a new process: SIGXCPU at the limit, SIGKILL after
        # five more seconds.
        _soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
        if hard == resource.RLIM_INFINITY:
            hard = cpu_seconds + 5
        resource.setrlimit(
            resource.RLIMIT_CPU, (min(cpu_seconds, hard), min(cpu_seconds + 5, hard))
        )
        try:
            data = json.dumps({"result": function(*args, **kwargs)})
        except MemoryError:
            data = json.dumps({"failure": MEMORY})
        except BaseException as error:  # reported by class name
            data = json.dumps({"failure": ERROR, "error": type(error).__name__})
        payload = data.encode()
        view = memoryview(payload)
        while view:
            view = view[os.write(write_end, view) :]
        code = 0
    except MemoryError:
        code = 71
    except BaseException:  # the child must reach os._exit
        code = 70
    finally:
        os._exit(code)


def run_bounded(
    function,
    /,
    *args,
    memory_bytes: int,
    cpu_seconds: int,
    wall_seconds: float,
    **kwargs,
):
    """``function(*args, **kwargs)`` in a forked child with at most ``memory_bytes`` more
    address space than the process has now, ``cpu_seconds`` of CPU time (all threads) and
    ``wall_seconds`` of wall-clock time. Returns its result as JSON gives it back (tuples
    become lists). Raises ``BoundedFailure`` on a timeout, a limit, a crash or an exception
    of the function."""
    deadline = time.monotonic() + wall_seconds
    parent = os.getpid()
    read_end, write_end = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # fork in a threaded process
        pid = os.fork()
    if pid == 0:  # pragma: no cover - the child's own path; it never returns
        os.close(read_end)
        _child(write_end, function, args, kwargs, memory_bytes, cpu_seconds, parent)
    os.close(write_end)
    status = None  # the child's wait status, once reaped
    try:
        data = _read_until(read_end, deadline)
        while data is not None and status is None:
            try:
                done, waited = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:  # reaped by someone else: no status to trust
                status = -1
                raise BoundedFailure(
                    CRASH, "The check's process could not be waited for."
                ) from None
            if done:
                status = waited
            elif time.monotonic() >= deadline:
                data = None
            else:
                time.sleep(0.01)
        if data is None:
            raise BoundedFailure(TIMEOUT, f"The check took longer than {wall_seconds:g} seconds.")
    finally:
        os.close(read_end)
        if status is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
    return _outcome(status, data, memory_bytes=memory_bytes, cpu_seconds=cpu_seconds)


def _read_until(descriptor: int, deadline: float) -> bytes | None:
    """Everything written to the pipe until its end, or None at the deadline."""
    poller = select.poll()  # not select(): descriptors above 1024 are fine
    poller.register(descriptor, select.POLLIN | select.POLLHUP)
    chunks = []
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        if not poller.poll(max(1, int(remaining * 1000))):
            continue
        chunk = os.read(descriptor, _READ)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _outcome(status: int, data: bytes, *, memory_bytes: int, cpu_seconds: int):
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        if number == signal.SIGXCPU:
            raise BoundedFailure(CPU, f"The check used more than {cpu_seconds} seconds of CPU.")
        raise BoundedFailure(
            CRASH, f"The check was stopped by signal {number} (a limit or a crash)."
        )
    code = os.WEXITSTATUS(status)
    if code == 71:
        raise BoundedFailure(MEMORY, _memory_message(memory_bytes))
    if code != 0:
        raise BoundedFailure(CRASH, f"The check's process ended with code {code}.")
    try:
        payload = json.loads(data)
    except (ValueError, MemoryError):
        raise BoundedFailure(CRASH, "The check's process gave no readable result.") from None
    if not isinstance(payload, dict):
        raise BoundedFailure(CRASH, "The check's process gave no readable result.")
    if "result" in payload:
        return payload["result"]
    if payload.get("failure") == MEMORY:
        raise BoundedFailure(MEMORY, _memory_message(memory_bytes))
    name = str(payload.get("error", "an error"))[:80]
    if "OutOfMemory" in name:
        raise BoundedFailure(MEMORY, _memory_message(memory_bytes))
    raise BoundedFailure(ERROR, f"The check failed with {name}.")


def _memory_message(memory_bytes: int) -> str:
    return f"The check needed more than {memory_bytes // (1 << 20)} MB of memory."
