"""National scale: all of England in one run (issue 6).

Run: ``.venv/bin/python benchmarks/bench_national.py [--draws 1000] [--dask] [--workers N [--serial-only]]``

Builds the national bundle once (``data/build_national.py``; cached in
``$PLACEPLAN_CACHE`` or ``~/.cache/placeplan``) with 50,000 synthetic sites, then prints:
loading time; deterministic forecast (all planning areas, phases, NCYs, 15 years,
funding) first and repeated; ``--draws`` Monte Carlo draws; peak memory; how forecast
time grows with the number of sites (1k, 10k, 100k) and of planning areas (regions of
1/8, 1/4, 1/2 and all councils). With ``--dask`` also the same draws on a 2-worker
LocalCluster (identical results). With ``--workers N`` the serial part of a distributed
Monte Carlo (chunks of 100): the one-worker run split into setup, draws and quantiles, then
the same draws on an N-worker LocalCluster (:func:`placeplan.distributed.monte_carlo`)
with its serial part (setup + gathering the summaries + tables) as a share of the
one-worker time, its speed-up and whether its tables are identical.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "data"))

from build_national import ensure, synthetic_sites  # noqa: E402

import placeplan as pp  # noqa: E402
from placeplan.model import uncertainty as mc  # noqa: E402
from placeplan.model.uncertainty import Uncertainty, monte_carlo  # noqa: E402


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(fn, repeat=1):
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        value = fn()
        out.append(time.perf_counter() - t)
    return value, out


def subset(region: pp.Region, councils: set[str]) -> pp.Region:
    """The region restricted to some councils (their areas, schools, zones and sites)."""
    pa = region.planning_areas[region.planning_areas["council_code"].isin(councils)]
    codes = set(pa["planning_area_code"])
    sites = region.sites[region.sites["council_code"].isin(councils)].reset_index(drop=True)
    zones = region.zones[region.zones["council_code"].isin(councils)].reset_index(drop=True)
    keep = lambda f, col: f[f[col].isin(councils)].reset_index(drop=True)  # noqa: E731
    return region.replace(
        councils=keep(region.councils, "council_code"), planning_areas=pa.reset_index(drop=True),
        schools=keep(region.schools, "council_code"), zones=zones, sites=sites,
        costs=keep(region.costs, "council_code"), funding=keep(region.funding, "council_code"),
        site_areas=region.site_areas[region.site_areas["planning_area_code"].isin(codes)
                                     & region.site_areas["id"].isin(set(sites["site_id"]))].reset_index(drop=True),
        zone_areas=region.zone_areas[region.zone_areas["planning_area_code"].isin(codes)
                                     & region.zone_areas["id"].isin(set(zones["zone_code"]))].reset_index(drop=True),
    )


def serial_share(region: pp.Region, draws: int, workers: int, chunk: int = 100) -> None:
    """One worker's Monte Carlo by phase, then the same on ``workers`` Dask workers."""
    from distributed import Client, LocalCluster, get_task_stream

    from placeplan import distributed as ppd

    settings = Uncertainty(draws=draws)
    t0 = time.perf_counter()
    st = mc.setup(region, settings=settings)
    t1 = time.perf_counter()
    pieces = [mc.run_chunk(st, cid, m) for cid, m in mc.chunk_plan(draws, chunk)]
    t2 = time.perf_counter()
    local = mc.finish(st, pieces)
    t3 = time.perf_counter()
    one = t3 - t0
    print(f"\nMonte Carlo, {draws:,} draws in chunks of {chunk}, one worker (this process): {one:6.2f} s")
    print(f"{'setup':>30}: {t1 - t0:6.2f} s\n{'draws':>30}: {t2 - t1:6.2f} s\n{'quantiles and tables':>30}: {t3 - t2:6.2f} s")
    print(f"{'serial part if distributed':>30}: {t1 - t0 + t3 - t2:6.2f} s = {(t1 - t0 + t3 - t2) / one:5.1%} of one worker "
          "(setup on the client, quantiles of the gathered draws; before the gather itself)")
    del pieces
    with LocalCluster(n_workers=workers, threads_per_worker=1, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        # Long-lived workers have imported the library already; a fresh LocalCluster's have not.
        client.run(lambda: __import__("placeplan.distributed"))
        timings: dict = {}
        with get_task_stream(client) as stream:
            remote, (total,) = timed(lambda: ppd.monte_carlo(client, region, settings=settings, chunk=chunk,
                                                             timings=timings))
    same = all(getattr(local, f).equals(getattr(remote, f)) for f in ("shortfall", "funding_gap", "funding_gap_total"))
    serial = timings["setup"] + timings["summary"]
    print(f"on {workers} Dask workers (LocalCluster, 1 thread each): {total:6.2f} s   identical to one process: {same}")
    print(f"{'setup (on workers)':>30}: {timings['setup']:6.2f} s\n{'draws':>30}: {timings['draws']:6.2f} s")
    print(f"{'quantiles per block, tables':>30}: {timings['summary']:6.2f} s")
    print(f"{'serial part':>30}: {serial:6.2f} s = {serial / one:5.1%} of one worker (target 5%)")
    print(f"{'speed-up, efficiency':>30}: {one / total:5.2f}x, {one / total / workers:5.1%}")
    project(stream.data, one, workers)


def _compute_seconds(task: dict) -> float:
    return sum(s["stop"] - s["start"] for s in task["startstops"] if s["action"] == "compute")


def _makespan(durations: list[float], workers: int) -> float:
    """Longest-first list scheduling of independent tasks on ``workers`` workers."""
    load = [0.0] * workers
    for d in sorted(durations, reverse=True):
        load[load.index(min(load))] += d
    return max(load)


def project(tasks: list[dict], one: float, measured_workers: int, to: tuple[int, ...] = (14,)) -> None:
    """The serial part on more workers, from the measured tasks' compute times.

    Setup: the part tasks scheduled longest first on W workers, then the assembly task.
    Summary: the blocks' quantile work (2W blocks of equal size) spread over W workers,
    then the tables task. Transfers are left out (on one machine they are memory copies;
    on a network the setup's parts add their size / bandwidth).
    """
    by = {}
    for t in tasks:
        key = str(t["key"])
        name = ("assemble" if key.startswith("placeplan-setup-") and key.count("-") == 2 else
                key.split("-")[2] if key.startswith("placeplan-setup-") else
                "quantiles" if key.startswith("_block_quantiles") else
                "tables" if key.startswith("_summarise") else None)
        if name:
            by.setdefault(name, []).append(_compute_seconds(t))
    parts = [d for k, v in by.items() if k not in ("assemble", "quantiles", "tables") for d in v]
    assemble, tables = sum(by.get("assemble", [0.0])), sum(by.get("tables", [0.0]))
    quantiles = sum(by.get("quantiles", [0.0]))
    print(f"{'task compute times':>30}: setup parts {sum(parts):.2f} s in {len(parts)} tasks (longest "
          f"{max(parts, default=0):.2f} s), assembly {assemble:.2f} s, block quantiles {quantiles:.2f} s "
          f"in {len(by.get('quantiles', []))} tasks, tables {tables:.2f} s")
    for w in (measured_workers, *to):
        serial = _makespan(parts, w) + assemble + quantiles / w + tables
        print(f"{f'projected serial part, {w} workers':>30}: {serial:6.2f} s = {serial / one:5.1%} of one worker "
              "(critical path of the tasks' compute times, no transfers)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--dask", action="store_true")
    ap.add_argument("--workers", type=int, default=0, help="serial share of the Monte Carlo on N Dask workers")
    ap.add_argument("--serial-only", action="store_true", help="with --workers: load, then only the serial share")
    args = ap.parse_args()
    path, (build_s,) = timed(ensure)
    print(f"{'national bundle':>30}: {path} ({path.stat().st_size / 1024**2:.0f} MB; ensure {build_s:.1f} s)")
    region, (load_s,) = timed(lambda: pp.load_region(path))
    print(f"{'load':>30}: {load_s:6.2f} s   ({len(region.councils)} councils, {len(region.planning_areas):,} planning areas, "
          f"{len(region.schools):,} schools, {len(region.zones):,} wards, {len(region.sites):,} sites)")
    if args.serial_only and args.workers:
        pp.forecast(region)  # as in the full run: the one-worker setup follows a forecast
        serial_share(region, args.draws, args.workers)
        return
    res, (first_s,) = timed(lambda: pp.forecast(region))
    _, again = timed(lambda: pp.forecast(region), repeat=3)
    print(f"{'forecast (first, builds caches)':>30}: {first_s:6.2f} s   ({len(res.shortfall):,} shortfall rows, "
          f"{len(res.pupils):,} pupil rows)")
    print(f"{'forecast (again)':>30}: {statistics.median(again):6.2f} s median of 3")
    mc, (mc_s,) = timed(lambda: monte_carlo(region, settings=Uncertainty(draws=args.draws)))
    print(f"{f'{args.draws:,} Monte Carlo draws':>30}: {mc_s:6.2f} s")
    print(f"{'peak memory so far':>30}: {peak_mb():6.0f} MB")
    if args.dask:
        from distributed import Client, LocalCluster

        from placeplan import distributed as ppd

        with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster, Client(cluster) as client:
            chunk = 100
            local = monte_carlo(region, settings=Uncertainty(draws=args.draws), chunk=chunk)
            remote, (dask_s,) = timed(lambda: ppd.monte_carlo(client, region, settings=Uncertainty(draws=args.draws),
                                                              chunk=chunk))
            same = local.shortfall.equals(remote.shortfall) and local.funding_gap.equals(remote.funding_gap)
            print(f"{'same draws on 2 Dask workers':>30}: {dask_s:6.2f} s   identical to local: {same}")
    if args.workers:
        serial_share(region, args.draws, args.workers)
    print("\nscaling with sites (forecast of all England; placing the sites is timed apart):")
    zones = region.zones
    for n in (1_000, 10_000, 100_000):
        sites = synthetic_sites(zones.rename(columns={"zone_code": "wd15cd"}), n, seed=2, first_year=2015)
        placed, (place_s,) = timed(lambda s=sites: pp.with_sites(region, s, region.trajectories.iloc[0:0]))
        pp.forecast(placed)
        _, t = timed(lambda p=placed: pp.forecast(p), repeat=3)
        print(f"{n:>12,} sites: forecast {statistics.median(t):6.2f} s   placing {place_s:6.2f} s")
    print("\nscaling with planning areas (50,000-site pipeline, councils in code order):")
    codes = sorted(region.councils["council_code"])
    for frac in (8, 4, 2, 1):
        part = subset(region, set(codes[: len(codes) // frac]))
        pp.forecast(part)
        _, t = timed(lambda p=part: pp.forecast(p), repeat=3)
        print(f"{len(part.planning_areas):>12,} areas ({len(part.sites):,} sites): forecast {statistics.median(t):6.2f} s")
    print(f"\n{'peak memory of the whole run':>30}: {peak_mb():6.0f} MB")


if __name__ == "__main__":
    main()
