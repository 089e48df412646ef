"""Monte Carlo chunks and scenarios on a Dask LocalCluster give the single-machine results."""

import pandas as pd
import pytest

distributed = pytest.importorskip("distributed")

import placeplan as pp  # noqa: E402
from placeplan import distributed as ppd  # noqa: E402
from placeplan.model.scenario import Scenario  # noqa: E402
from placeplan.model.uncertainty import Uncertainty, monte_carlo  # noqa: E402


@pytest.fixture(scope="module")
def client():
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=3, threads_per_worker=1, processes=True, dashboard_address=None)
    c = Client(cluster)
    yield c
    c.close()
    cluster.close()


def test_monte_carlo_on_a_cluster_equals_local(client, demo_region):
    settings = Uncertainty(draws=900, seed=11)
    local = monte_carlo(demo_region, settings=settings, chunk=100)
    remote = ppd.monte_carlo(client, demo_region, settings=settings, chunk=100)
    assert len(client.scheduler_info()["workers"]) == 3
    pd.testing.assert_frame_equal(local.shortfall, remote.shortfall)
    pd.testing.assert_frame_equal(local.funding_gap, remote.funding_gap)
    pd.testing.assert_frame_equal(local.funding_gap_total, remote.funding_gap_total)


@pytest.mark.parametrize("method", ["population", "cohort_survival"])
def test_blockwise_quantiles_on_workers_equal_one_process(client, demo_region, method):
    """Setup built on the workers, quantiles per block of cells where the draws are: the
    tables are the one-process tables bit for bit (uneven chunks and blocks)."""
    pa = demo_region.planning_areas
    history = pd.DataFrame([(code, y, g, float(20 + (7 * i + 3 * y + g) % 40))
                            for i, (code, phase) in enumerate(zip(pa["planning_area_code"], pa["phase"]))
                            for y in range(2010, 2015) for g in (range(0, 7) if phase == "primary" else range(7, 14))],
                           columns=["planning_area_code", "academic_year", "ncy", "pupils"])
    region = demo_region.replace(roll_history=history)
    a = region.assumptions(baseline_method=method)
    settings = Uncertainty(draws=310, seed=5)
    local = monte_carlo(region, a, settings, chunk=70)
    timings = {}
    remote = ppd.monte_carlo(client, region, a, settings, chunk=70, blocks=7, timings=timings)
    pd.testing.assert_frame_equal(local.shortfall, remote.shortfall, check_exact=True)
    pd.testing.assert_frame_equal(local.funding_gap, remote.funding_gap, check_exact=True)
    pd.testing.assert_frame_equal(local.funding_gap_total, remote.funding_gap_total, check_exact=True)
    assert set(timings) == {"setup", "draws", "summary"} and min(timings.values()) > 0
    kept = ppd.monte_carlo(client, region, a, settings, chunk=70, keep_draws=True)
    local_kept = monte_carlo(region, a, settings, chunk=70, keep_draws=True)  # float64 draws
    pd.testing.assert_frame_equal(local_kept.shortfall, kept.shortfall, check_exact=True)
    assert (kept.pupils_draws == local_kept.pupils_draws).all()


def test_many_scenarios_on_a_cluster(client, demo_region):
    scenarios = [Scenario(name=f"h{h}", assumptions={"headroom": h}) for h in (0.0, 0.02, 0.05, 0.1)]
    remote = ppd.forecast_scenarios(demo_region, scenarios, client)
    local = ppd.forecast_scenarios(demo_region, scenarios)
    for a, b in zip(local, remote):
        pd.testing.assert_frame_equal(a.shortfall, b.shortfall)
        pd.testing.assert_frame_equal(a.funding_gap, b.funding_gap)
    needed = [r.shortfall["places_needed"].sum() for r in remote]
    assert needed == sorted(needed)
    assert remote[1].shortfall.equals(pp.forecast(demo_region, scenarios[1]).shortfall)
