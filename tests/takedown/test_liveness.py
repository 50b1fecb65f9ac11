"""Many liveness checks at once: bounded concurrency against a real server, lazy reading of
the items (memory flat), results in batches, and one failing check does not end the run."""

from __future__ import annotations

import ipaddress
import threading
import time
from collections.abc import Iterator

from hotline.takedown.fetcher import FetchPolicy, LivenessResult, Outcome
from hotline.takedown.liveness import check_many
from net_stubs import answer, http_server

POLICY = FetchPolicy(allowed_test_networks=(ipaddress.ip_network("127.0.0.1/32"),))


def test_no_more_checks_run_at_once_than_allowed_and_every_item_gets_its_result() -> None:
    lock = threading.Lock()
    now_open = 0
    most_open = 0

    def slow(conn, head):  # type: ignore[no-untyped-def]
        nonlocal now_open, most_open
        with lock:
            now_open += 1
            most_open = max(most_open, now_open)
        time.sleep(0.2)
        with lock:
            now_open -= 1
        answer(404 if b"/odd" in head else 200)(conn, head)

    with http_server(slow) as (port, seen):
        urls = [f"http://127.0.0.1:{port}/{'odd' if i % 2 else 'even'}/{i}" for i in range(15)]
        batches = list(check_many(urls, lambda url: url, POLICY, concurrency=3, batch_size=4))
    assert seen.connections == 15
    assert most_open <= 3
    assert most_open >= 2  # they did run side by side
    assert all(len(batch) <= 4 for batch in batches)
    results = {checked.item: checked.result.outcome for batch in batches for checked in batch}
    assert sorted(results) == sorted(urls)
    assert {results[u] for u in urls if "/odd/" in u} == {Outcome.GONE}
    assert {results[u] for u in urls if "/even/" in u} == {Outcome.ONLINE}


def test_items_are_read_lazily_a_bounded_distance_ahead_of_the_results() -> None:
    read = 0

    def items() -> Iterator[int]:
        nonlocal read
        for i in range(1000):
            read += 1
            yield i

    def instant(url: str, policy: FetchPolicy) -> LivenessResult:
        return LivenessResult(outcome=Outcome.ONLINE, status=200, reason="answered 200")

    seen_at_first_batch = None
    total = 0
    for batch in check_many(items(), str, POLICY, concurrency=4, batch_size=10, check=instant):
        if seen_at_first_batch is None:
            seen_at_first_batch = read
        total += len(batch)
    assert total == 1000
    assert seen_at_first_batch is not None
    assert seen_at_first_batch <= 10 + 2 * 4


def test_a_check_that_raises_becomes_an_error_result_and_the_others_go_on() -> None:
    def flaky(url: str, policy: FetchPolicy) -> LivenessResult:
        if url == "bad":
            raise RuntimeError("boom with a secret url")
        return LivenessResult(outcome=Outcome.ONLINE, status=200, reason="answered 200")

    results = {
        c.item: c.result
        for batch in check_many(["a", "bad", "b"], str, POLICY, concurrency=2, check=flaky)
        for c in batch
    }
    assert results["bad"].outcome is Outcome.ERROR
    assert "secret" not in results["bad"].reason
    assert results["a"].outcome is results["b"].outcome is Outcome.ONLINE
