"""Reading a request stream ahead of the answers.

A bulk client sends parties faster than they are answered. Answering those already received together lets
one audit fsync cover all of them, instead of one fsync per party. The reading happens in a thread of its own
so that the handler never waits for a party the client has not sent: a client that sends one party and waits
for its answer gets it, alone, at once.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

_END = object()  # the client closed its side of the stream
_PUT_WAIT_S = 0.1  # how often a reader blocked on a full queue checks whether the handler has stopped


@dataclass(frozen=True)
class _Failed:
    error: BaseException  # raised by the request iterator: the call was cancelled or its deadline passed


class ReadAhead(Generic[T]):
    """The requests of a stream, read by a thread into a bounded queue (flow control still reaches the client:
    at most ``limit`` requests are held), and handed out in batches of those already read."""

    def __init__(self, requests: Iterator[T], limit: int) -> None:
        self._queue: queue.Queue[object] = queue.Queue(maxsize=limit)
        self._stop = threading.Event()
        self._reader = threading.Thread(target=self._read, args=(requests,), name="stream-reader", daemon=True)
        self._reader.start()

    def _read(self, requests: Iterator[T]) -> None:
        try:
            for request in requests:
                if not self._put(request):
                    return
        except BaseException as exc:  # handed to the handler, which raises it in the call's own thread
            self._put(_Failed(exc))
            return
        self._put(_END)

    def _put(self, item: object) -> bool:
        """Queue one item unless the handler has stopped taking them (False then)."""
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=_PUT_WAIT_S)
                return True
            except queue.Full:
                continue
        return False

    def batches(self, size: int) -> Generator[list[T], None, None]:
        """Lists of 1 to ``size`` requests: the first request of each is waited for, the rest are those already
        read. Raises what the request iterator raised. The reader stops when this generator is closed."""
        try:
            while True:
                batch: list[T] = []
                item = self._queue.get()
                while True:
                    if item is _END:
                        if batch:
                            yield batch
                        return
                    if isinstance(item, _Failed):
                        raise item.error
                    batch.append(item)  # type: ignore[arg-type]  # anything else in the queue is a request
                    if len(batch) >= size:
                        break
                    try:
                        item = self._queue.get_nowait()
                    except queue.Empty:
                        break
                yield batch
        finally:
            self._stop.set()

    @property
    def reader(self) -> threading.Thread:
        return self._reader
