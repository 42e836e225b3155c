"""Servers and disks of a test's own, to break on purpose: a Redis, a PostgreSQL cluster, a
small file system that can be filled up or made read-only (the fault tests of
tests/generation/test_tasks.py).

The machine's shared Redis and PostgreSQL are never touched: each instance here runs on a
free port, from a temporary folder, and is stopped by its own process id. A test whose
binaries or privileges are missing is skipped.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .worker import free_port, wait_for

POSTGRES_BIN_DIRS = [Path("/usr/lib/postgresql/15/bin"), Path("/usr/lib/postgresql/16/bin")]


def _process_stop(pid: int, *, timeout: float = 10.0) -> None:
    """Stop the process `pid` (one this module started): SIGTERM, then SIGKILL."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                finished, _status = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:  # not our child (pg_ctl's postmaster): poll for its exit
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    return
            else:
                if finished:
                    return
            time.sleep(0.05)


class RedisServer:
    """A Redis without persistence, as a restart without a disk leaves it: empty."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary is not None
        log = open(self.folder / "redis.log", "a")  # noqa: SIM115
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.folder)],
            stdout=log, stderr=subprocess.STDOUT,
        )
        log.close()
        wait_for(self._answers, timeout=10)

    def _answers(self) -> bool:
        import redis

        try:
            return bool(redis.Redis.from_url(self.url, socket_timeout=1).ping())
        except redis.RedisError:
            return False

    def kill(self) -> None:
        """Kill the server (SIGKILL): everything it held is gone."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None

    def stop(self) -> None:
        if self.process is not None:
            _process_stop(self.process.pid)
            self.process = None


@contextlib.contextmanager
def redis_server() -> Iterator[RedisServer]:
    """Run a Redis of the test's own on a free port; skip the test where there is none."""
    if shutil.which("redis-server") is None:
        pytest.skip("needs redis-server")
    with tempfile.TemporaryDirectory(prefix="reel-redis-") as folder:
        server = RedisServer(Path(folder))
        server.start()
        try:
            yield server
        finally:
            server.stop()


def _postgres_bin() -> Path | None:
    for folder in POSTGRES_BIN_DIRS:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    return None


class PostgresServer:
    """A PostgreSQL cluster of the test's own, run by the OS user `postgres` when the tests run
    as root (PostgreSQL refuses to run as root)."""

    def __init__(self, binaries: Path, folder: Path) -> None:
        self.binaries, self.folder = binaries, folder
        self.data = folder / "data"
        self.port = free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *command: str, timeout: float = 60) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *command], check=True, capture_output=True, timeout=timeout, cwd=self.folder)

    def init(self) -> None:
        self._run(str(self.binaries / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
                  "--no-sync", "-E", "UTF8")

    def pg_ctl(self, action: str, *extra: str) -> None:
        options = (f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off")
        self._run(str(self.binaries / "pg_ctl"), "-D", str(self.data), "-l", str(self.folder / "server.log"),
                  "-o", options, "-w", "-t", "30", action, *extra)

    def start(self) -> None:
        self.pg_ctl("start")

    def stop(self) -> None:
        """Stop the server as `pg_ctl stop -m fast` does: sessions are ended at once."""
        self.pg_ctl("stop", "-m", "fast")

    def restart(self) -> None:
        self.pg_ctl("restart", "-m", "fast")

    def pid(self) -> int | None:
        try:
            return int((self.data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None


@contextlib.contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    """Run a PostgreSQL cluster of the test's own on a free port; skip the test without the
    binaries (or, as root, without the `postgres` user to run them as)."""
    binaries = _postgres_bin()
    if binaries is None:
        pytest.skip("needs PostgreSQL's initdb and pg_ctl")
    if os.geteuid() == 0 and (shutil.which("runuser") is None or _uid("postgres") is None):
        pytest.skip("needs the `postgres` OS user to run PostgreSQL as")
    folder = Path(tempfile.mkdtemp(prefix="reel-pg-"))
    if os.geteuid() == 0:
        os.chown(folder, _uid("postgres") or 0, -1)
    server = PostgresServer(binaries, folder)
    try:
        server.init()
        server.start()
        yield server
    finally:
        pid = server.pid()
        if pid is not None:
            with contextlib.suppress(subprocess.SubprocessError):
                server.pg_ctl("stop", "-m", "immediate")
            _process_stop(pid)
        shutil.rmtree(folder, ignore_errors=True)


def _uid(user: str) -> int | None:
    import pwd

    try:
        return pwd.getpwnam(user).pw_uid
    except KeyError:
        return None


class SmallDisk:
    """A tmpfs of a few megabytes mounted for the test: it can be filled up and made read-only."""

    def __init__(self, mountpoint: Path) -> None:
        self.path = mountpoint
        self.filler = mountpoint / "filler"

    def fill(self) -> None:
        """Leave no byte free."""
        with open(self.filler, "wb") as handle:
            chunk = b"\0" * 65536
            with contextlib.suppress(OSError):
                while True:
                    handle.write(chunk)
                    handle.flush()
        with contextlib.suppress(OSError), open(self.filler, "ab", buffering=0) as handle:
            while handle.write(b"\0"):  # the last bytes, up to the error
                pass

    def free(self) -> None:
        self.filler.unlink(missing_ok=True)

    def read_only(self) -> None:
        subprocess.run(["mount", "-o", "remount,ro", str(self.path)], check=True, capture_output=True)

    def writable(self) -> None:
        subprocess.run(["mount", "-o", "remount,rw", str(self.path)], check=True, capture_output=True)


@contextlib.contextmanager
def small_disk(*, megabytes: int = 16) -> Iterator[SmallDisk]:
    """Mount a tmpfs of `megabytes` for the duration of the block; skip the test where this
    process may not mount one (it needs root, or CAP_SYS_ADMIN)."""
    mountpoint = Path(tempfile.mkdtemp(prefix="reel-disk-"))
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={megabytes}m,mode=0777", "tmpfs", str(mountpoint)],
        capture_output=True,
    ) if shutil.which("mount") else None
    if mounted is None or mounted.returncode != 0:
        mountpoint.rmdir()
        pytest.skip("needs to mount a tmpfs (root or CAP_SYS_ADMIN)")
    try:
        yield SmallDisk(mountpoint)
    finally:
        subprocess.run(["umount", "-l", str(mountpoint)], capture_output=True)
        with contextlib.suppress(OSError):
            mountpoint.rmdir()
