"""Index write locks: a local file lock, or a lease lock held in the Chroma server itself.

A local index is guarded by an ``fcntl`` lock on a file beside it (the kernel releases it when
the holder dies). A shared index on a Chroma server is guarded by a *lease*: a small marker
collection that only one process can create (the server refuses a second collection of the
same name). The holder renews the lease while it writes; if it is killed, the lease runs out
and the next writer takes it over, so a ``kill -9`` never blocks the index for good.
"""

from __future__ import annotations

import fcntl
import os
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from chromadb.errors import ChromaError, NotFoundError

from .errors import IndexBusyError


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Exclusive lock on ``path`` for writers on this machine."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class LeaseLock:
    """Mutual exclusion between processes (on any machine) that reach one Chroma server.

    Holding the lock means owning the collection ``name``. Its metadata carries the holder
    and the time its lease ends (holder's clock: keep the machines' clocks in sync, e.g. NTP,
    to well within ``lease_s``). A stale holder is broken by renaming *its* collection (by id,
    so two processes breaking the same stale lease cannot remove each other's fresh one).
    """

    def __init__(
        self,
        client: Any,
        name: str,
        lease_s: float,
        wait_s: float,
        poll_s: float = 0.2,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.name = name
        self.lease_s = lease_s
        self.wait_s = wait_s
        self.poll_s = poll_s
        self.clock = clock
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.lost = False

    def _meta(self) -> dict[str, Any]:
        return {"owner": self.owner, "expires": self.clock() + self.lease_s}

    def _try_create(self) -> Any | None:
        try:
            return self.client.create_collection(self.name, metadata=self._meta(), embedding_function=None)
        except ChromaError:
            return None  # exists: someone holds it (or a dead holder's lease has not run out)

    def _break_if_expired(self) -> str:
        """Remove the current holder's marker if its lease has run out; returns who holds it."""
        try:
            held = self.client.get_collection(self.name, embedding_function=None)
        except NotFoundError:
            return ""  # released meanwhile
        meta = held.metadata or {}
        if float(meta.get("expires", 0)) >= self.clock():
            return str(meta.get("owner", "?"))
        stale = f"{self.name}_expired_{uuid.uuid4().hex[:8]}"
        try:
            held.modify(name=stale)  # by id: a no-op if that holder's marker is already gone
            self.client.delete_collection(stale)
        except ChromaError:
            pass  # another process broke it first
        print(f"Index lock: lease of {meta.get('owner', '?')} ran out; taken over.", file=sys.stderr)
        return ""

    def acquire(self) -> Any:
        deadline = time.monotonic() + self.wait_s
        holder = ""
        while True:
            marker = self._try_create()
            if marker is not None:
                return marker
            holder = self._break_if_expired() or holder
            if time.monotonic() >= deadline:
                raise IndexBusyError(
                    f"The index is being changed by another process ({holder or 'unknown'}) for more than "
                    f"{self.wait_s:.0f} s. Please try again later. / Der Index wird gerade von einem "
                    "anderen Prozess geändert; bitte später erneut versuchen."
                )
            time.sleep(self.poll_s)

    def _renew(self, marker: Any, stop: threading.Event) -> None:
        while not stop.wait(self.lease_s / 3):
            try:
                marker.modify(metadata=self._meta())
            except NotFoundError:
                self.lost = True  # our lease was broken (we stalled longer than the lease)
                return
            except Exception:  # noqa: BLE001 - a missed renewal is retried; the lease has slack
                continue

    def _release(self, marker: Any) -> None:
        gone = f"{self.name}_released_{uuid.uuid4().hex[:8]}"
        try:
            marker.modify(name=gone)  # by id: never removes a marker someone else created
            self.client.delete_collection(gone)
        except ChromaError:
            self.lost = True
        except Exception as exc:  # noqa: BLE001 - the write is done; an unreleased lease just runs out
            print(f"Index lock: not released ({exc}); it runs out in {self.lease_s:.0f} s.", file=sys.stderr)

    @contextmanager
    def hold(self) -> Iterator[None]:
        marker = self.acquire()
        stop = threading.Event()
        renewer = threading.Thread(target=self._renew, args=(marker, stop), daemon=True)
        renewer.start()
        try:
            yield
        finally:
            stop.set()
            renewer.join()
            self._release(marker)
            if self.lost:
                print("Index lock: our lease had run out before the write finished.", file=sys.stderr)
