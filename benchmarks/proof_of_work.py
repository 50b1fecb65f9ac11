"""Benchmark the report form's proof of work: the server's share, and a solver's.

    .venv/bin/python benchmarks/proof_of_work.py            # about a minute

In one process, with the shipped settings unless HOTLINE_POW_* say otherwise, it measures:
- admission of a POST without a proof (the no-JavaScript path: two in-memory counters), the
  baseline, against admission with a valid proof (parse, two HMACs, spend) - what every
  JavaScript reporter's POST costs the server on top of the form benchmark in intake.py, which
  posts without proofs because wrk runs no browser;
- issuing a challenge (one PBKDF2 try), which every GET of /report/ pays;
- solving one challenge with native code on one core (hashlib's PBKDF2, as a flooder would):
  the cost the proof of work puts on each report. A browser derives the same keys with Web Crypto.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path


def setup_django() -> None:
    os.environ.setdefault("HOTLINE_DATA_DIR", tempfile.mkdtemp(prefix="hotline-pow-bench-"))
    os.environ.setdefault("HOTLINE_CREATE_KEY_FILE", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotline.settings")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    import django

    django.setup()


def per_call_us(function: Callable[[int], object], rounds: int) -> float:
    started = time.perf_counter()
    for index in range(rounds):
        function(index)
    return (time.perf_counter() - started) / rounds * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5000, help="admissions per measurement")
    parser.add_argument("--solves", type=int, default=30, help="challenges solved natively")
    args = parser.parse_args()
    setup_django()

    import json

    from altcha import Challenge, Payload, solve_challenge
    from django.conf import settings
    from django.core.cache import cache

    from hotline.intake.flood import submission_admit
    from hotline.intake.proof_of_work import proof_challenge_create

    # Budgets out of the way: we time the decision, not refusals.
    settings.HOTLINE_THROTTLE_SUBMITS_PER_10_MIN = 10**9
    settings.HOTLINE_THROTTLE_UNSOLVED_SUBMITS_PER_MIN = 10**9
    print(
        f"settings: HOTLINE_POW_ITERATIONS={settings.HOTLINE_POW_ITERATIONS} "
        f"HOTLINE_POW_MAX_COUNTER={settings.HOTLINE_POW_MAX_COUNTER}"
    )

    issue_rounds = max(20, args.rounds // 20)
    issue_us = per_call_us(
        lambda i: proof_challenge_create(submission_token=f"token-{i}"), issue_rounds
    )

    # Proofs to verify: solved once at a trivial cost (verification does not depend on it).
    cheap = (settings.HOTLINE_POW_ITERATIONS, settings.HOTLINE_POW_MAX_COUNTER)
    settings.HOTLINE_POW_ITERATIONS, settings.HOTLINE_POW_MAX_COUNTER = 1, 1
    proofs = []
    for index in range(args.rounds):
        challenge = Challenge.from_dict(
            json.loads(proof_challenge_create(submission_token=f"verify-{index}"))
        )
        solution = solve_challenge(challenge)
        assert solution is not None
        proofs.append(Payload(challenge, solution).to_base64())
    settings.HOTLINE_POW_ITERATIONS, settings.HOTLINE_POW_MAX_COUNTER = cheap

    cache.clear()
    baseline_us = per_call_us(
        lambda i: submission_admit(proof="", submission_token=f"t{i}", client_token=f"c{i % 50}"),
        args.rounds,
    )
    cache.clear()
    admitted = 0

    def with_proof(index: int) -> None:
        nonlocal admitted
        admitted += submission_admit(
            proof=proofs[index], submission_token=f"verify-{index}", client_token="c"
        ).admitted

    proof_us = per_call_us(with_proof, args.rounds)
    assert admitted == args.rounds, f"only {admitted} of {args.rounds} proofs were admitted"

    solve_s: list[float] = []
    tries: list[int] = []
    for index in range(args.solves):
        challenge = Challenge.from_dict(
            json.loads(proof_challenge_create(submission_token=f"solve-{index}"))
        )
        started = time.perf_counter()
        solution = solve_challenge(challenge)
        solve_s.append(time.perf_counter() - started)
        assert solution is not None
        tries.append(solution.counter + 1)

    print(f"admission without a proof (baseline): {baseline_us:8.1f} us per POST")
    print(
        f"admission with a valid proof:          {proof_us:8.1f} us per POST "
        f"({proof_us / baseline_us:.1f}x the baseline, +{proof_us - baseline_us:.0f} us)"
    )
    print(f"issuing a challenge (GET /report/):    {issue_us:8.1f} us")
    print(
        f"native solve, one core: mean {statistics.mean(solve_s):.2f} s, "
        f"median {statistics.median(solve_s):.2f} s, max {max(solve_s):.2f} s "
        f"over {args.solves} challenges (mean {statistics.mean(tries):.0f} tries)"
    )


if __name__ == "__main__":
    main()
