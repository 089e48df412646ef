"""Time the Monte Carlo on the demo region.

Run: ``.venv/bin/python benchmarks/bench_uncertainty.py [--draws 10000] [--repeat 3]``

Issue 5's target: 10,000 draws of the demo region in at most 5 seconds on this 2-core
machine. Prints the median of ``--repeat`` runs of 1,000 and of ``--draws`` draws, after
one warm-up run (which builds the cached operators and baseline sensitivities).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import placeplan as pp  # noqa: E402
from placeplan.model.uncertainty import Uncertainty, monte_carlo  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--draws", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    region = pp.load_region()
    t = time.perf_counter()
    monte_carlo(region, settings=Uncertainty(draws=100))
    print(f"{'warm-up (100 draws)':>22}: {time.perf_counter() - t:6.2f} s")
    for n in (1000, args.draws):
        times = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            monte_carlo(region, settings=Uncertainty(draws=n))
            times.append(time.perf_counter() - t)
        print(f"{f'{n:,} draws':>22}: median {statistics.median(times):6.2f} s   min {min(times):6.2f} s   (n={args.repeat})")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{'peak memory':>22}: {peak:6.0f} MB")


if __name__ == "__main__":
    main()
