"""ReadAhead: a request stream read by its own thread and handed out in batches of what has arrived."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator

import pytest

from resolver.service.streams import ReadAhead


def test_a_client_that_waits_for_each_answer_gets_it_alone_and_at_once() -> None:
    answered = threading.Event()

    def lockstep() -> Iterator[int]:
        for i in range(5):
            yield i
            assert answered.wait(10), "the handler waited for a request the client had not sent"
            answered.clear()

    seen = []
    for batch in ReadAhead(lockstep(), limit=8).batches(4):
        seen.append(batch)
        answered.set()
    assert seen == [[0], [1], [2], [3], [4]]


def test_requests_already_read_come_together_in_order_and_at_most_size_at_a_time() -> None:
    all_read = threading.Event()

    def sent_at_once() -> Iterator[int]:
        yield from range(10)
        all_read.set()

    stream = ReadAhead(sent_at_once(), limit=16)
    assert all_read.wait(10)
    stream.reader.join(10)  # the end of the stream is queued too
    assert list(stream.batches(4)) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


def test_the_reader_holds_at_most_limit_requests_ahead() -> None:
    taken = itertools.count()
    endless = (next(taken) for _ in itertools.repeat(None))
    stream = ReadAhead(endless, limit=4)
    batches = stream.batches(2)
    assert next(batches) == [0, 1]
    stream.reader.join(0.5)  # blocked on the full queue, not reading on
    assert stream.reader.is_alive()
    assert next(taken) <= 2 + 4 + 1 + 1  # 2 handed out, 4 queued, 1 waiting to be queued, and this call's own
    batches.close()  # the handler stops: the reader must not stay blocked on the full queue
    stream.reader.join(5)
    assert not stream.reader.is_alive()


def test_what_the_request_iterator_raises_is_raised_to_the_handler_after_the_requests_before_it() -> None:
    def cancelled() -> Iterator[int]:
        yield 1
        yield 2
        raise RuntimeError("cancelled by the client")

    got: list[int] = []
    with pytest.raises(RuntimeError, match="cancelled by the client"):
        for batch in ReadAhead(cancelled(), limit=8).batches(8):
            got.extend(batch)
    assert got in ([], [1], [1, 2])  # whatever was handed out before the error is in order; nothing after it
