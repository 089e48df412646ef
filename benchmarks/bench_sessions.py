"""20 simultaneous browser sessions editing different scenarios (issue 7).

Run: ``.venv/bin/python benchmarks/bench_sessions.py [--sessions 20] [--port 8599] [--shared-cpus]``

Starts ``placeplan app`` as a user would and opens N sessions in Debian's Chromium (one
browser context each, so one Streamlit session each) on the Planning page, through
``wsrelay.py``, a relay that stamps the websocket traffic. Half the sessions edit a lever
(their own primary yield multiplier: the levers rerun as a fragment); the other half
edit a site (RAF Henlow's dwellings, through the "Edit one site" form: the whole page
reruns). Then:

1. **all at once**: every session makes its edit at the same moment;
2. **staggered**: each session makes 3 more edits at random moments over 20 seconds, as
   people working side by side would.

For every edit it measures two times:

- **server answer**: from the edit's rerun request reaching the relay to the server's
  "script finished" for it leaving the server (timed on the wire by the relay): how
  long the app takes to answer, which is what a browser on another computer waits for,
  plus its network;
- **on screen**: from pressing Enter (or the form's button) to that session's page
  showing the new figure, which includes this machine's Chromium drawing the page.

Each page's figure ("Milton Keynes: places needed" for a lever, "Central Bedfordshire:
places needed" for the site) is checked against the library's forecast for that
session's own scenario (every session's results its own); a mismatch fails the run. CPU time of the
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
WIDGET = "lever_ypri"
SITE = "CB:CB/17/05977/BRWN"  # RAF Henlow, Central Bedfordshire
TARGET = 2.0


def region():
    import placeplan as pp

    global _REGION
    if _REGION is None:
        _REGION = pp.load_region()
    return _REGION


_REGION = None


def figure(sf, council: str) -> str:
    """A council's "places needed" figure as the Planning page shows it."""
    one = sf[sf["council"] == council]
    return f"{one.groupby('planning_area_code')['places_needed'].max().sum():,.0f}"


class Lever:
    """Edits the primary yield multiplier (a fragment rerun)."""

    label = "Milton Keynes: places needed"

    @staticmethod
    def expected(value: float) -> str:
        import placeplan as pp
        from placeplan.model.scenario import Scenario

        sc = Scenario(assumptions={"yield_multipliers": {"primary": value}})
        return figure(pp.forecast(region(), sc).shortfall, "Milton Keynes")

    @staticmethod
    async def prepare(page) -> None:
        pass

    @staticmethod
    async def submit(page, value: float) -> None:
        box = page.get_by_label("Primary yield multiplier", exact=True)
        await box.fill(f"{value:.2f}")
        await box.press("Enter")


class SiteForm:
    """Edits one site's dwellings, and its build rate with them (a tenth a year, so the
    dwellings come within the horizon), through the "Edit one site" form (a whole-page
    rerun)."""

    label = "Central Bedfordshire: places needed"

    @staticmethod
    def expected(value: float) -> str:
        import placeplan as pp
        from placeplan.model.scenario import Scenario

        sc = Scenario(edit_sites={SITE: {"dwellings": float(value), "build_rate": float(round(value / 10))}})
        return figure(pp.forecast(region(), sc).shortfall, "Central Bedfordshire")

    @staticmethod
    async def prepare(page) -> None:
        combo = page.get_by_role("combobox", name="Site", exact=True)
        await combo.click()
        await combo.fill(SITE)
        await page.keyboard.press("Enter")
        await page.wait_for_function(  # the form shows RAF Henlow's register figure
            "() => [...document.querySelectorAll('input')].some(e => e.getAttribute('aria-label') === 'Site dwellings'"
            " && e.value === '1000')", timeout=600_000, polling=100)

    @staticmethod
    async def submit(page, value: float) -> None:
        await page.get_by_label("Site dwellings", exact=True).fill(f"{value:.0f}")
        await page.get_by_label("Site build rate (dwellings a year)", exact=True).fill(f"{round(value / 10):.0f}")
        await page.get_by_role("button", name="Apply to the scenario").click()


async def metric(page, label: str) -> str:
    return await page.evaluate(
        "(l) => { const m = [...document.querySelectorAll('[data-testid=stMetric]')].find(e => e.innerText.includes(l));"
        " return m ? m.querySelector('[data-testid=stMetricValue]').innerText : null; }", label)


async def edit(page, kind, value: float, want: str) -> float:
    """Make one edit; seconds until the page shows the figure the library gives for it."""
    t0 = time.perf_counter()
    await kind.submit(page, value)
    await page.wait_for_function(
        "([l, w]) => { const m = [...document.querySelectorAll('[data-testid=stMetric]')].find(e => e.innerText.includes(l));"
        " return m && m.querySelector('[data-testid=stMetricValue]').innerText === w; }",
        arg=[kind.label, want], timeout=600_000, polling=50)
    return time.perf_counter() - t0


def distinct_values(kind, start: float, count: int, step: float, avoid: str) -> list[tuple[float, str]]:
    """Values whose expected figure differs from ``avoid`` (the page's figure now) and
    from the one before: each is an edit the page must visibly answer."""
    out, v, last = [], start, avoid
    for _ in range(500):
        if len(out) == count:
            return out
        w = kind.expected(round(v, 2))
        if w not in (last, avoid):
            out.append((round(v, 2), w))
            last = w
        v += step
    raise SystemExit(f"{kind.__name__}: found only {len(out)} values that change the figure")


def server_answers(events_path: Path, since: float, values: set[float]) -> list[float]:
    """Per edit made after ``since`` (a new lever value from ``values``, or a form submitted):
    seconds from its rerun request to the server's successfully finished run."""
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
                is_edit = (v != last and v in values) or bool(e.get("triggers"))
                if e["t"] >= since and is_edit and start is None:
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
        pages, kinds = [], [Lever if i % 2 == 0 else SiteForm for i in range(sessions)]
        for _ in range(sessions):
            ctx = await browser.new_context(viewport={"width": 1300, "height": 900})
            ctx.set_default_timeout(600_000)  # 20 browsers on one core are slow to draw
            pages.append(await ctx.new_page())
        t = time.perf_counter()
        await asyncio.gather(*(pg.goto(f"{url}/?page=Planning", timeout=600_000) for pg in pages))
        await asyncio.gather(*(pg.get_by_text(Lever.label).first.wait_for(timeout=600_000) for pg in pages))
        await asyncio.gather(*(k.prepare(pg) for pg, k in zip(pages, kinds)))
        print(f"{sessions} sessions opened the Planning page in {time.perf_counter() - t:.1f} s "
              f"({kinds.count(Lever)} edit a lever, {kinds.count(SiteForm)} a site)")
        await asyncio.sleep(2.0)
        start = {k: await metric(pages[kinds.index(k)], k.label) for k in set(kinds)}
        first = {Lever: (0.30, 0.07), SiteForm: (1500, 500)}
        plan = []
        for k in set(kinds):
            values = iter(distinct_values(k, first[k][0], kinds.count(k), first[k][1], start[k]))
            plan += [(i, *next(values)) for i, kk in enumerate(kinds) if kk is k]
        plan = [(m, w) for _, m, w in sorted(plan)]
        rng = random.Random(1)
        later = [distinct_values(k, (1.0 + 0.013 * i) if k is Lever else 3000 + 37 * i, 3,
                                 0.11 if k is Lever else 700, w) for i, (k, (_, w)) in enumerate(zip(kinds, plan))]
        ok = True

        async def phase(name: str, body) -> None:
            nonlocal ok
            since, srv0, web0 = time.monotonic(), cpu_seconds(server_tag), cpu_seconds("chromium")
            on_screen, values, finals = await body()
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
            shown = await asyncio.gather(*(metric(pg, k.label) for pg, k in zip(pages, kinds)))
            wrong = [(k.__name__, got, want) for k, got, want in zip(kinds, shown, finals) if got != want]
            print(f"every session shows its own result: {not wrong}" + (f" {wrong[:3]}" if wrong else ""))
            ok &= not wrong

        async def together():
            secs = await asyncio.gather(*(edit(pg, k, m, w) for pg, k, (m, w) in zip(pages, kinds, plan)))
            return list(secs), {m for k, (m, _) in zip(kinds, plan) if k is Lever}, [w for _, w in plan]

        async def staggered():
            async def one(pg, kind, todo):
                out = []
                for m, w in todo:
                    await asyncio.sleep(rng.uniform(0, 20 / 3))
                    out.append(await edit(pg, kind, m, w))
                return out

            secs = await asyncio.gather(*(one(pg, k, todo) for pg, k, todo in zip(pages, kinds, later)))
            return ([x for xs in secs for x in xs], {m for k, todo in zip(kinds, later) if k is Lever for m, _ in todo},
                    [todo[-1][1] for todo in later])

        await phase("all at once", together)
        await phase("staggered over 20 s", staggered)
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
