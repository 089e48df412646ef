"""Time the app's response to an edit on each page (server side), with Streamlit's AppTest.

Run: ``.venv/bin/python benchmarks/bench_app.py [--repeat 5]``

Issue 4's target: after an edit, the page's results update within 1 second on the demo
region. This measures the script rerun that an edit triggers (the forecast, the tables
and the widgets); the browser's own rendering comes on top (the end-to-end test prints
the whole edit-to-new-numbers time it sees in Chromium). The CPU time (this process's,
all threads) is the steadier figure on a machine shared with other work.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    os.environ.setdefault("PLACEPLAN_STORE", str(Path(tempfile.mkdtemp()) / "bench.sqlite"))
    os.environ.setdefault("PLACEPLAN_STORE_CREATE", "1")  # a new store in a temporary folder (the Scenarios page)
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    t = time.perf_counter()
    at.run()
    print(f"{'first page load':>34}: {(time.perf_counter() - t) * 1000:7.0f} ms (loads the region)")
    edits = {
        "Planning": lambda i: at.number_input(key="lever_delay").set_value(i % 3 + 1),
        "Children's services": lambda i: at.number_input(key="headroom_pct").set_value(2.5 + i),
        "Finance": lambda i: at.selectbox(key="fin_council").set_value(["all", "Bedford"][i % 2]),
        "Scenarios": lambda i: at.selectbox(key="cmp_a").set_value(["(base: no changes)", "(current, unsaved)"][i % 2]),
        "Overview": lambda i: at.selectbox(key="map_phase").set_value(["secondary", "primary"][i % 2]),
    }
    for page, edit in edits.items():
        at.sidebar.radio(key="page").set_value(page).run()
        times, cpu = [], []
        for i in range(args.repeat):
            edit(i)
            t, c = time.perf_counter(), time.process_time()
            at.run()
            times.append((time.perf_counter() - t) * 1000)
            cpu.append((time.process_time() - c) * 1000)
        assert not at.exception, [e.value for e in at.exception]
        print(f"{page + ': edit to new results':>34}: median {statistics.median(times):6.0f} ms   max {max(times):6.0f} ms"
              f"   CPU median {statistics.median(cpu):6.0f} ms")


if __name__ == "__main__":
    main()
