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
