"""The lease on a job row: which worker runs a job, and taking over from a worker that died.

A worker claims a job by writing a lease (a random token) on its row with one conditional
update, and renews it from a heartbeat thread while it works. Every later write names the
lease, so a worker that lost the job (it stalled, another took over, the job was cancelled
and closed) can no longer change it, and a job runs to its end once however often its task
is delivered.

Two ways lead back from a dead worker, because no single one is both fast and sure:

* the lease records which process holds it (`worker_identity`: host, PID namespace, PID and
  start time). When Celery replaces a killed pool process, the task comes back within
  seconds to the same machine, which can see that the holder is gone and take over at once;
* from anywhere else nothing can be known about the holder but its silence: a lease not
  renewed for GENERATION_LEASE_SECONDS is stale, and the sweep (`generation.sweep`) puts the
  job back in the queue. This covers a whole worker, or its machine, gone.

A database outage is not the job's fault: `database_outage` turns the errors of a lost
connection into `TransientError`, which the task retries; a retry carries the token of the
try it continues, so it takes its own job back even if the write that should have released
it never reached the database.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection
from django.db.models import Case, F, Q, QuerySet, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import GenerationJob

logger = logging.getLogger(__name__)

State = GenerationJob.State
# States in which a worker holds the job.
HELD_BY_WORKER = (State.RUNNING, State.ENCODING, State.CHECKING)
# What the database driver raises, through Django, when the server cannot be reached.
DATABASE_DOWN = (OperationalError, InterfaceError)


class JobLost(Exception):
    """The job's lease passed to another worker, or the job was cancelled and closed."""


class TransientError(Exception):
    """Something outside the job failed for a moment (the database, storage): try again.

    `retry_message` is what the creator reads while the job waits for its next try,
    `final_message` what they read if no try is left. `leftovers` names stored files that a
    delivery interrupted by the outage may have left, for the next try to delete if the job
    does not point at them.
    """

    retry_message = _("Something failed for a moment; the video will be tried again.")
    final_message = _("The video could not be finished after several tries. Nothing was charged; try again.")

    def __init__(self, *args: object, leftovers: list[str] | None = None) -> None:
        super().__init__(*args)
        self.leftovers = list(leftovers or [])


@contextlib.contextmanager
def database_outage() -> Iterator[None]:
    """Raise TransientError for the errors of a database that went away, and drop the broken
    connection: Django reconnects on the next query, but never on a connection it still holds."""
    try:
        yield
    except DATABASE_DOWN as exc:
        connection_drop()
        raise TransientError(f"database unavailable: {exc}") from exc


def connection_drop() -> None:
    """Close this thread's database connection, whatever state it is in."""
    with contextlib.suppress(Exception):
        connection.close()


# --- Who holds a lease


def _pid_namespace() -> str:
    try:
        return os.readlink("/proc/self/ns/pid").partition("[")[2].rstrip("]")
    except OSError:  # not Linux
        return ""


def _process_start(pid: int) -> tuple[str, str] | None:
    """Return the state letter and start time (clock ticks since boot) of process `pid`, or
    None if there is no such process. ("", "") where /proc cannot tell."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return None
    except OSError:
        return "", ""
    fields = stat.rpartition(")")[2].split()  # the command name may hold spaces and brackets
    return fields[0], fields[19]  # fields 3 (state) and 22 (starttime) of proc(5)


def worker_identity() -> str:
    """Name this process so that another on the same machine can tell whether it still runs:
    its host, PID namespace, PID and start time (a PID is reused, never with the same start)."""
    pid = os.getpid()
    started = _process_start(pid)
    return f"{socket.gethostname()}/{_pid_namespace()}/{pid}/{started[1] if started else ''}"


# Jobs this process is running now (a thread pool runs several): a lease that names this
# process for a job it is not running was left by a try that ended without releasing it.
_running_here: set[int] = set()
_running_lock = threading.Lock()


def holder_gone(identity: str, job_id: int) -> bool:
    """Return whether the process named `identity` is known to have stopped running job
    `job_id`: it is this process, and the job is not running here; or it was a process of this
    machine and PID namespace that no longer exists (a zombie counts as gone). False whenever
    it cannot be known, as for a process of another machine."""
    host, _, rest = identity.partition("/")
    namespace, _, rest = rest.partition("/")
    pid_text, _, started = rest.partition("/")
    if host != socket.gethostname() or not namespace or namespace != _pid_namespace() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        with _running_lock:
            return job_id not in _running_here
    status = _process_start(pid)
    if status is None:
        return True
    state, now_started = status
    if not now_started:  # /proc unreadable: ask the kernel whether the PID exists at all
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False
    return state in ("Z", "X") or (bool(started) and now_started != started)


# --- Claiming, renewing, releasing


def _stale_before() -> dt.datetime:
    return timezone.now() - dt.timedelta(seconds=settings.GENERATION_LEASE_SECONDS)


def job_claim(job_id: int, token: str) -> bool:
    """Take job `job_id` under `token`; return whether it was taken.

    A job is taken when it is queued; when its worker stopped renewing the lease; when
    `token` already holds it (a retry of the same try, after an outage that kept the lease
    from being released); or when the process holding it is known to be gone (see
    `holder_gone`). A retry of the same try is not counted as another attempt.
    """
    now = timezone.now()
    claimable = (
        Q(state=State.QUEUED)
        | Q(state__in=HELD_BY_WORKER, heartbeat_at__lt=_stale_before())
        | Q(state__in=HELD_BY_WORKER, heartbeat_at__isnull=True)
        | Q(state__in=HELD_BY_WORKER, lease=token)
    )
    holder = (
        GenerationJob.objects.filter(pk=job_id, state__in=HELD_BY_WORKER)
        .exclude(lease=token).values_list("lease", "lease_owner").first()
    )
    if holder is not None and holder[0] and holder_gone(holder[1], job_id):
        logger.warning("job %s: its worker %s is gone, taking over", job_id, holder[1])
        claimable |= Q(state__in=HELD_BY_WORKER, lease=holder[0])
    taken = GenerationJob.objects.filter(claimable, pk=job_id, cancel_requested=False).update(
        **GenerationJob.state_fields(State.RUNNING), lease=token, lease_owner=worker_identity(),
        heartbeat_at=now, started_at=now, error="",
        attempts=Case(When(lease=token, then=F("attempts")), default=F("attempts") + 1),
    )
    return taken == 1


def lease_held(job_id: int, token: str) -> QuerySet[GenerationJob]:
    """Return job `job_id` as a queryset, empty unless `token` still holds it: every write of
    a worker goes through this, so a worker that lost the job writes nothing."""
    return GenerationJob.objects.filter(pk=job_id, lease=token, state__in=GenerationJob.ACTIVE_STATES)


def lease_finish(job_id: int, token: str, **fields: Any) -> bool:
    """Write the job's last fields and give up the lease; return False if it was lost.
    Raises TransientError if the database is unreachable."""
    fields.setdefault("finished_at", timezone.now())
    with database_outage():
        return bool(lease_held(job_id, token).update(lease="", lease_owner="", **fields))


def lease_requeue(job_id: int, token: str, *, error: str = "") -> bool:
    """Put the job back in the queue and give up the lease, for another try; `error` says why
    to its creator meanwhile. The caller sends its task again. Raises TransientError if the
    database is unreachable."""
    with database_outage():
        return bool(lease_held(job_id, token).update(
            **GenerationJob.state_fields(State.QUEUED), lease="", lease_owner="", error=error,
            sent_at=timezone.now(),
        ))


def lease_expire(job_id: int, lease: str) -> str | None:
    """End the stale lease `lease` on job `job_id`, for the sweep; return the job's new state,
    or None if the lease was renewed or changed hands meanwhile.

    The job goes back to the queue, unless it was cancelled meanwhile (it is closed) or it
    has been tried GENERATION_MAX_ATTEMPTS times (it fails, and costs nothing).
    """
    stale = GenerationJob.objects.filter(
        Q(heartbeat_at__lt=_stale_before()) | Q(heartbeat_at__isnull=True),
        pk=job_id, lease=lease, state__in=HELD_BY_WORKER,
    )
    now = timezone.now()
    released: dict[str, Any] = {"lease": "", "lease_owner": ""}
    if stale.filter(cancel_requested=True).update(
        **GenerationJob.state_fields(State.CANCELLED), finished_at=now, **released
    ):
        return State.CANCELLED
    if stale.filter(attempts__gte=settings.GENERATION_MAX_ATTEMPTS).update(
        **GenerationJob.state_fields(State.FAILED), finished_at=now, **released,
        error=_("The video could not be finished after %(count)d tries. Nothing was charged; try again.")
        % {"count": settings.GENERATION_MAX_ATTEMPTS},
    ):
        return State.FAILED
    if stale.update(
        **GenerationJob.state_fields(State.QUEUED), sent_at=now, **released,
        error=_("The machine making this video stopped; it will be tried again."),
    ):
        return State.QUEUED
    return None


class Heartbeat:
    """Renew the lease on a thread while the job runs, so long phases keep it.

    A renewal that fails (the database is away for a moment) is tried again at the next beat;
    the beats stop when the job ends or the lease is lost.
    """

    def __init__(self, job_id: int, token: str) -> None:
        self.job_id, self.token = job_id, token
        self.interval = max(0.2, float(settings.GENERATION_HEARTBEAT_SECONDS))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lease-{job_id}", daemon=True)

    def __enter__(self) -> Heartbeat:
        with _running_lock:
            _running_here.add(self.job_id)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        with _running_lock:
            _running_here.discard(self.job_id)

    def _run(self) -> None:
        try:
            while not self._stop.wait(self.interval):
                try:
                    renewed = lease_held(self.job_id, self.token).update(heartbeat_at=timezone.now())
                except DATABASE_DOWN:
                    logger.warning("lease renewal of job %s failed; trying again", self.job_id)
                    connection_drop()
                    continue
                if not renewed:  # lost: the worker's next write finds out and stops
                    return
        finally:
            connection_drop()  # this thread's own connection
