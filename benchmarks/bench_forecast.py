"""Time a full forecast of the demo region once it is loaded.

Run: ``.venv/bin/python benchmarks/bench_forecast.py [--repeat 50]``

Prints the load time, then the median and 95th percentile of:
- ``forecast``: the whole forecast (all planning areas, phases, NCYs, 15 years, funding)
  of the loaded region with all eight result tables built, as the CLI exports it;
- ``forecast+shortfall``: the forecast with only its shortfall table built (tables are
  built when first read), as the app's Planning levers use it;
- ``edit+forecast``: a scenario edit (one site's dwellings changed) applied to the
  loaded region and forecast again with all tables built.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import placeplan as pp  # noqa: E402
from placeplan.model.scenario import Scenario  # noqa: E402


def timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def report(name: str, ms: list[float]) -> None:
    ms = sorted(ms)
    p95 = ms[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))]
    print(f"{name:>19}: median {statistics.median(ms):7.1f} ms   p95 {p95:7.1f} ms   (n={len(ms)})")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=50)
    args = ap.parse_args()
    t = time.perf_counter()
    region = pp.load_region()
    print(f"{'load':>19}: {(time.perf_counter() - t) * 1000:7.1f} ms  ({len(region.sites)} sites, "
          f"{len(region.planning_areas)} planning areas, {len(region.zones)} zones)")
    first = timed(lambda: pp.forecast(region), 1)
    print(f"{'first forecast':>19}: {first[0]:7.1f} ms (builds the cached baseline)")
    report("forecast", timed(lambda: pp.forecast(region).tables(), args.repeat))
    report("forecast+shortfall", timed(lambda: pp.forecast(region).shortfall, args.repeat))
    site = region.sites["site_id"].iloc[0]
    counter = iter(range(10**9))

    def edit():
        n = 100 + next(counter)
        return pp.forecast(region, Scenario(name="bench", edit_sites={site: {"dwellings": n}})).tables()

    report("edit+forecast", timed(edit, args.repeat))


if __name__ == "__main__":
    main()
