"""Running many scenarios, or the chunks of a Monte Carlo, on a Dask cluster.

Optional: ``pip install placeplan[distributed]``. A council consortium points a
``dask.distributed.Client`` at its scheduler (or a ``LocalCluster`` on one machine); the
results are identical to the single-machine run for the same seed and chunking, because
each chunk of draws is a pure function of the setup, its chunk id and its size.
See docs/scaling.md.
"""

from __future__ import annotations

from placeplan.model.forecast import Results
from placeplan.model.forecast import forecast as _forecast
from placeplan.model.region import Assumptions, Region
from placeplan.model.scenario import Scenario, apply_scenario
from placeplan.model.uncertainty import (
    Ranges,
    Uncertainty,
    chunk_plan,
    default_chunk,
    finish,
    run_chunk,
    setup,
)


def monte_carlo(
    client,
    region: Region,
    assumptions: Assumptions | None = None,
    settings: Uncertainty | None = None,
    chunk: int | None = None,
    keep_draws: bool = False,
) -> Ranges:
    """:func:`placeplan.model.uncertainty.monte_carlo` with its chunks spread over ``client``'s workers.

    The setup (operators, baseline, costs) is computed here once and broadcast to every
    worker; each worker draws whole chunks; quantiles are taken here over all draws.
    """
    st = setup(region, assumptions, settings)
    plan = chunk_plan(st.s.draws, chunk or default_chunk(st))
    shared = client.scatter(st, broadcast=True)
    futures = [client.submit(run_chunk, shared, cid, m, keep_draws, key=f"placeplan-chunk-{cid}-{id(st)}", pure=False)
               for cid, m in plan]
    pieces = client.gather(futures)
    return finish(st, pieces, keep_draws)


def _one(region: Region, scenario: Scenario) -> Results:
    changed, a = apply_scenario(region, scenario)
    return _forecast(changed, a, scenario_name=f"{scenario.name} ({scenario.digest()})")


def forecast_scenarios(region: Region, scenarios: list[Scenario], client=None) -> list[Results]:
    """Forecast many scenarios of one region, on ``client``'s workers when given (in order)."""
    if client is None:
        return [_one(region, s) for s in scenarios]
    shared = client.scatter(region, broadcast=True)
    return client.gather([client.submit(_one, shared, s, pure=False) for s in scenarios])
