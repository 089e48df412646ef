"""Running many scenarios, or the chunks of a Monte Carlo, on a Dask cluster.

Optional: ``pip install placeplan[distributed]``. A council consortium points a
``dask.distributed.Client`` at its scheduler (or a ``LocalCluster`` on one machine); the
results are identical to the single-machine run for the same seed and chunking, because
each chunk of draws is a pure function of the setup, its chunk id and its size.
See docs/scaling.md.
"""

from __future__ import annotations

import operator
import time

import numpy as np

from placeplan.model.forecast import Results
from placeplan.model.forecast import forecast as _forecast
from placeplan.model.region import Assumptions, Region
from placeplan.model.scenario import Scenario, apply_scenario
from placeplan.model.uncertainty import (
    Ranges,
    Uncertainty,
    chunk_plan,
    column_quantiles,
    default_chunk,
    finish,
    run_chunk,
    setup,
    setup_parts,
    summarise,
    summary_quantiles,
)


def monte_carlo(
    client,
    region: Region,
    assumptions: Assumptions | None = None,
    settings: Uncertainty | None = None,
    chunk: int | None = None,
    keep_draws: bool = False,
    blocks: int | None = None,
    timings: dict | None = None,
) -> Ranges:
    """:func:`placeplan.model.uncertainty.monte_carlo` with its chunks spread over ``client``'s workers.

    The client does no heavy work, so the serial part of the run stays small:

    1. the region is scattered once; the setup's independent parts
       (:func:`~placeplan.model.uncertainty.setup_parts`: central forecast, baseline
       sensitivities, housing steps for each start delay) are built as tasks at once on
       the workers and assembled by one more (references and a stack); workers fetch the
       setup from each other;
    2. each worker draws whole chunks and cuts each chunk's pupils into ``blocks`` blocks
       of (area, year) cells (default: two per worker);
    3. block ``b`` of every chunk meets on one worker, which takes the pupils' exact
       quantiles over all draws of its cells; only these quantiles, each chunk's
       shortfall counts and its funding-gap draws (councils x years) reach the task
       that builds the tables (:func:`~placeplan.model.uncertainty.summarise`).

    The same seed and ``chunk`` give tables identical, bit for bit, to the one-process
    run. With ``keep_draws`` every draw is gathered to the client (as the one-process run
    returns them). ``timings``, when given, receives the wall-clock seconds of
    ``setup`` (until the setup exists), ``draws`` (until every chunk is drawn) and
    ``summary`` (the quantiles and tables, until they are back on the client).
    """
    from distributed import wait

    t0 = time.perf_counter()
    a = assumptions or region.assumptions()
    s = settings or Uncertainty()
    region_f = client.scatter(region)
    parts = {name: client.submit(fn, region_f, a, s, key=f"placeplan-setup-{name}-{_tag()}", pure=False)
             for name, fn in setup_parts(s).items()}
    st_f = client.submit(setup, region_f, a, s, parts, key=f"placeplan-setup-{_tag()}", pure=False)
    n_cells, default = client.submit(_plan_info, st_f, pure=False).result()
    t1 = time.perf_counter()
    plan = chunk_plan(s.draws, chunk or default)
    tag = _tag()
    if keep_draws:
        futures = [client.submit(run_chunk, st_f, cid, m, True, key=f"placeplan-chunk-{cid}-{tag}", pure=False)
                   for cid, m in plan]
        pieces = client.gather(futures)
        t2 = time.perf_counter()
        out = finish(st_f.result(), pieces, keep_draws=True)
    else:
        k = blocks or 2 * max(len(client.scheduler_info()["workers"]), 1)
        bounds = np.linspace(0, n_cells, min(k, n_cells) + 1).astype(int)
        chunks = [client.submit(_chunk_blocks, st_f, cid, m, bounds, key=f"placeplan-chunk-{cid}-{tag}", pure=False)
                  for cid, m in plan]
        wait(chunks)  # the draws stay where they were drawn
        t2 = time.perf_counter()
        n_b = len(bounds) - 1
        pick = lambda f, i: client.submit(operator.getitem, f, i, pure=False)  # noqa: E731
        q = summary_quantiles(s)
        quantiles = [client.submit(_block_quantiles, q, *[pick(f, b) for f in chunks], pure=False) for b in range(n_b)]
        counts = [pick(f, n_b) for f in chunks]
        gaps = [pick(f, n_b + 1) for f in chunks]
        out = client.submit(_summarise, st_f, s.draws, quantiles, counts, gaps, pure=False).result()
    if timings is not None:
        timings.update(setup=t1 - t0, draws=t2 - t1, summary=time.perf_counter() - t2)
    return out


def _tag() -> str:
    return f"{time.time_ns():x}"


def _plan_info(st) -> tuple[int, int]:
    n_area, n_year, _ = st.shape
    return n_area * n_year, default_chunk(st)


def _chunk_blocks(st, chunk_id: int, m: int, bounds: np.ndarray) -> tuple:
    """A chunk's draws with its pupils cut into blocks of cells: (block 0, .., block k-1, counts, gaps)."""
    pupils, counts, gaps = run_chunk(st, chunk_id, m)
    return (*[np.ascontiguousarray(pupils[:, lo:hi]) for lo, hi in zip(bounds[:-1], bounds[1:])], counts, gaps)


def _block_quantiles(q: np.ndarray, *blocks: np.ndarray) -> np.ndarray:
    """The pupils' quantiles of a block of cells over every chunk's draws (chunks in order)."""
    return column_quantiles(np.concatenate(blocks), q)


def _summarise(st, n: int, quantiles: list, counts: list, gaps: list) -> Ranges:
    return summarise(st, np.concatenate(quantiles, axis=1), counts, gaps, n)


def _one(region: Region, scenario: Scenario) -> Results:
    changed, a = apply_scenario(region, scenario)
    return _forecast(changed, a, scenario_name=f"{scenario.name} ({scenario.digest()})")


def forecast_scenarios(region: Region, scenarios: list[Scenario], client=None) -> list[Results]:
    """Forecast many scenarios of one region, on ``client``'s workers when given (in order)."""
    if client is None:
        return [_one(region, s) for s in scenarios]
    shared = client.scatter(region, broadcast=True)
    return client.gather([client.submit(_one, shared, s, pure=False) for s in scenarios])
