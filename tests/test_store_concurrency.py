"""The scenario store under concurrent processes, and a process killed in the middle of saving."""

import multiprocessing as mp
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from placeplan.io.store import ScenarioStore, StaleScenarioError
from placeplan.model.scenario import Scenario

NAME = "Shared plan"


def writer(path: str, who: str, saves: int) -> tuple[int, int]:
    """Load the latest version, append this writer's mark, save from that version; retry if stale."""
    store = ScenarioStore(path)
    done = refused = 0
    while done < saves:
        doc, v = store.load(NAME)
        mark = f"{doc.description}|{who}{done}"
        try:
            store.save(Scenario(name=NAME, description=mark), who, expected_version=v.version)
        except StaleScenarioError:
            refused += 1
            continue
        done += 1
    return done, refused


def test_concurrent_processes_lose_no_update(tmp_path):
    path = str(tmp_path / "s.sqlite")
    ScenarioStore(path).save(Scenario(name=NAME, description="start"), "setup")
    writers, saves = 4, 60
    with mp.get_context("spawn").Pool(writers) as pool:
        results = pool.starmap(writer, [(path, f"w{i}-", saves) for i in range(writers)])
    store = ScenarioStore(path)
    history = store.history(NAME)
    assert [v.version for v in history] == list(range(1, writers * saves + 2))
    # Every save was made on top of the one before it: each description extends the previous.
    docs = [store.load(NAME, v.version)[0].description for v in history]
    for before, after in zip(docs, docs[1:]):
        assert after.startswith(before + "|")
    marks = docs[-1].split("|")[1:]
    assert len(marks) == len(set(marks)) == writers * saves
    assert sum(r[1] for r in results) > 0, "writers did collide (stale saves were refused)"


KILLED_WRITER = """
import sys
from placeplan.io.store import ScenarioStore, StaleScenarioError
from placeplan.model.scenario import Scenario
store = ScenarioStore(sys.argv[1])
big = [{"site_id": f"S{i}", "council_code": "A", "dwellings": 10.0, "easting": 400000.0 + i, "northing": 200000.0}
       for i in range(3000)]
n = 0
while True:
    try:
        v = store.history("K")[-1].version if store.history("K") else None
        store.save(Scenario(name="K", description=str(n), add_sites=big), "killer", expected_version=v)
        n += 1
        if n == 1:  # one version is in: kill from here on (a save checks its 3000 rows first, ~0.2 s)
            print("ready", flush=True)
    except StaleScenarioError:
        pass
"""


@pytest.mark.parametrize("after", [0.3, 0.7, 1.3])
def test_killed_mid_save_leaves_every_earlier_version(tmp_path, after):
    path = tmp_path / "k.sqlite"
    proc = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(path)], stdout=subprocess.PIPE)
    assert proc.stdout.readline().strip() == b"ready"
    time.sleep(after)
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()
    store = ScenarioStore(path)
    history = store.history("K")
    assert len(history) >= 1
    assert [v.version for v in history] == list(range(1, len(history) + 1))
    for v in history:
        doc, _ = store.load("K", v.version)
        assert doc.description == str(v.version - 1) and len(doc.add_sites) == 3000
    # and the store takes new saves
    assert store.save(Scenario(name="K", description="after"), "me", expected_version=history[-1].version) == len(history) + 1
