"""20 simultaneous browser sessions editing different scenarios (issue 7).

Run: ``.venv/bin/python benchmarks/bench_sessions.py [--sessions 20] [--port 8599] [--shared-cpus]``

Starts ``placeplan app`` as a user would and opens N sessions in Debian's Chromium (one
browser context each, so one Streamlit session each) on the Planning page, through
``wsrelay.py``, a relay that stamps the websocket traffic. Then:

1. **all at once**: every session sets its own primary yield multiplier at the same
   moment;
2. **staggered**: each session makes 3 more edits at random moments over 20 seconds, as
   people working side by side would.

For every edit it measures two times:

- **server answer**: from the edit's rerun request reaching the relay to the server's
  "script finished" for it leaving the server (timed on the wire by the relay): how
  long the app takes to answer, which is what a browser on another computer waits for,
  plus its network;
- **on screen**: from pressing Enter to that session's page showing the new
  "Milton Keynes: places needed" figure, which includes this machine's Chromium
  drawing the page.

Each page's figure is checked against the library's forecast for that session's own
multiplier (every session's results its own); a mismatch fails the run. CPU time of the
server and of the browsers per edit is reported too.

By default, on a machine with two or more CPUs, the server and the relay run on CPU 0
and the browsers (and this script) on the others: the server then has the one core a
Streamlit process can use (its script runs hold Python's GIL), as it would on its own
host, instead of competing with 20 local Chromiums, which raise their own priority.
``--shared-cpus`` lets everything share every CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
         # every session is a person looking at their own page: no background-tab throttling
         "--disable-background-timer-throttling", "--disable-backgrounding-occluded-windows", "--disable-renderer-backgrounding"]
LABEL = "Milton Keynes: places needed"
WIDGET = "lever_ypri"
TARGET = 2.0


def expected(multiplier: float) -> str:
    import placeplan as pp
    from placeplan.model.scenario import Scenario

    sf = pp.forecast(pp.load_region(), Scenario(assumptions={"yield_multipliers": {"primary": multiplier}})).shortfall
    mk = sf[sf["council"] == "Milton Keynes"]
    return f"{mk.groupby('planning_area_code')['places_needed'].max().sum():,.0f}"


async def metric(page) -> str:
    return await page.evaluate(
        "(l) => { const m = [...document.querySelectorAll('[data-testid=stMetric]')].find(e => e.innerText.includes(l));"
        " return m ? m.querySelector('[data-testid=stMetricValue]').innerText : null; }", LABEL)


async def edit(page, value: float, want: str) -> float:
    """Set this session's multiplier; seconds until its page shows the figure the library gives."""
    box = page.get_by_label("Primary yield multiplier", exact=True)
    await box.fill(f"{value:.2f}")
    t0 = time.perf_counter()
    await box.press("Enter")
    await page.wait_for_function(
        "([l, w]) => { const m = [...document.querySelectorAll('[data-testid=stMetric]')].find(e => e.innerText.includes(l));"
        " return m && m.querySelector('[data-testid=stMetricValue]').innerText === w; }",
        arg=[LABEL, want], timeout=300_000, polling=50)
    return time.perf_counter() - t0


def distinct_values(start: float, count: int, step: float, avoid: str) -> list[tuple[float, str]]:
    """Multipliers whose expected figure differs from ``avoid`` (the page's figure now) and
    from the one before: each is an edit the page must visibly answer."""
    out, v, last = [], start, avoid
    while len(out) < count:
        w = expected(round(v, 2))
        if w not in (last, avoid):
            out.append((round(v, 2), w))
            last = w
        v += step
    return out


def server_answers(events_path: Path, since: float, values: set[float]) -> list[float]:
    """Per edit made after ``since``: seconds from its rerun request to the server's finished run."""
    events = [json.loads(line) for line in events_path.read_text().splitlines() if line.strip()]
    by_conn: dict[int, list[dict]] = {}
    for e in sorted(events, key=lambda e: e["t"]):
        by_conn.setdefault(e["conn"], []).append(e)
    out = []
    for evs in by_conn.values():
        last, start = None, None
        for e in evs:
            if e["kind"] == "rerun":
                v = None if e["value"] is None else round(e["value"], 2)
                if e["t"] >= since and v != last and v in values and start is None:
                    start = e["t"]
                last = v
            elif e["kind"] == "finished" and e["status"] in (0, 3) and start is not None:
                out.append(e["t"] - start)
                start = None
    return out


def cpu_seconds(match: str) -> float:
    """User + system CPU seconds of the processes whose command line contains ``match``."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if match.encode() not in Path(f"/proc/{pid}/cmdline").read_bytes():
                continue
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except OSError:
            pass
    return total


def report(name: str, secs: list[float]) -> str:
    if not secs:
        return f"{name:>28}: no edits measured"
    s = sorted(secs)
    p95 = s[min(len(s) - 1, int(round(0.95 * (len(s) - 1))))]
    within = sum(x <= TARGET for x in s)
    return (f"{name:>28}: median {statistics.median(s):5.2f} s   p95 {p95:5.2f} s   max {s[-1]:5.2f} s   "
            f"within {TARGET:.0f} s: {within}/{len(s)}")


async def run(url: str, sessions: int, events: Path, server_tag: str) -> bool:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium", args=FLAGS)
        pages = []
        for _ in range(sessions):
            ctx = await browser.new_context(viewport={"width": 1300, "height": 900})
            pages.append(await ctx.new_page())
        t = time.perf_counter()
        await asyncio.gather(*(pg.goto(f"{url}/?page=Planning", timeout=600_000) for pg in pages))
        await asyncio.gather(*(pg.get_by_text(LABEL).first.wait_for(timeout=600_000) for pg in pages))
        print(f"{sessions} sessions opened the Planning page in {time.perf_counter() - t:.1f} s")
        await asyncio.sleep(2.0)
        start = await metric(pages[0])
        plan = distinct_values(0.30, sessions, 0.07, start)
        rng = random.Random(1)
        staggered_plan = [distinct_values(1.0 + 0.013 * i, 3, 0.11, w) for i, (_, w) in enumerate(plan)]
        ok = True

        async def phase(name: str, body) -> list[float]:
            nonlocal ok
            since, srv0, web0 = time.monotonic(), cpu_seconds(server_tag), cpu_seconds("chromium")
            on_screen, values = await body()
            await asyncio.sleep(1.0)
            answers = server_answers(events, since, values)
            n = len(on_screen)
            print(f"\n{name} ({n} edits)")
            print(report("server answer", answers))
            print(report("on screen (this machine)", on_screen))
            print(f"{'CPU per edit':>28}: server {(cpu_seconds(server_tag) - srv0) / n:.3f} s, "
                  f"browsers {(cpu_seconds('chromium') - web0) / n:.3f} s")
            if len(answers) != n:
                print(f"  note: the relay matched {len(answers)} of {n} edits")
            return on_screen

        async def together():
            secs = await asyncio.gather(*(edit(pg, m, w) for pg, (m, w) in zip(pages, plan)))
            return list(secs), {m for m, _ in plan}

        await phase("all at once", together)
        shown = await asyncio.gather(*(metric(pg) for pg in pages))
        mismatched = [(m, got, w) for (m, w), got in zip(plan, shown) if got != w]
        print(f"every session shows its own result: {not mismatched}" + (f" {mismatched[:3]}" if mismatched else ""))
        ok &= not mismatched

        async def staggered():
            async def one(pg, todo):
                out = []
                for m, w in todo:
                    await asyncio.sleep(rng.uniform(0, 20 / 3))
                    out.append(await edit(pg, m, w))
                return out

            secs = await asyncio.gather(*(one(pg, todo) for pg, todo in zip(pages, staggered_plan)))
            return [x for xs in secs for x in xs], {m for todo in staggered_plan for m, _ in todo}

        await phase("staggered over 20 s", staggered)
        shown = await asyncio.gather(*(metric(pg) for pg in pages))
        mismatched = [(todo[-1][0], got, todo[-1][1]) for todo, got in zip(staggered_plan, shown) if got != todo[-1][1]]
        print(f"every session shows its own result: {not mismatched}" + (f" {mismatched[:3]}" if mismatched else ""))
        ok &= not mismatched
        await browser.close()
        return ok


def wait_healthy(url: str, seconds: float = 120) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"the app did not start at {url}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--port", type=int, default=8599, help="the app's port; the relay listens on the next one")
    ap.add_argument("--shared-cpus", action="store_true",
                    help="let the server and the browsers share every CPU (default: server on CPU 0, browsers on the rest)")
    args = ap.parse_args()
    cpus = sorted(os.sched_getaffinity(0))
    split = not args.shared_cpus and len(cpus) >= 2
    server_cpus, browser_cpus = ({cpus[0]}, set(cpus[1:])) if split else (set(cpus), set(cpus))
    print(f"CPUs: server and relay {sorted(server_cpus)}, browsers {sorted(browser_cpus)}")

    def on_server_cpus():
        os.sched_setaffinity(0, server_cpus)

    tmp = Path(tempfile.mkdtemp(prefix="placeplan-bench-"))
    events = tmp / "events.jsonl"
    env = {**os.environ, "PLACEPLAN_STORE": str(tmp / "bench.sqlite")}
    app = subprocess.Popen([sys.executable, "-m", "placeplan", "app", "--port", str(args.port)], env=env, cwd=ROOT,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=on_server_cpus)
    relay = subprocess.Popen([sys.executable, str(Path(__file__).with_name("wsrelay.py")), "--listen", str(args.port + 1),
                              "--upstream", str(args.port), "--widget", WIDGET, "--events", str(events)],
                             preexec_fn=on_server_cpus)
    try:
        wait_healthy(f"http://127.0.0.1:{args.port}")
        wait_healthy(f"http://127.0.0.1:{args.port + 1}")
        os.sched_setaffinity(0, browser_cpus)  # this script, Playwright and Chromium
        ok = asyncio.run(run(f"http://127.0.0.1:{args.port + 1}", args.sessions, events, f"--server.port\0{args.port}"))
    finally:
        for proc in (relay, app):
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
