"""A council's sites file in a real headless Chromium (issue #14, item 3): the upload is
previewed (counts, the sites, the effect on places needed), applied as scenario changes
(the sidebar counts them, the page confirms them) and changes that council's sites only."""

from __future__ import annotations

import re
import time

import pytest

from tests.test_e2e_browser import CHROMIUM, ROOT, app_url, browser, choose, metric_by_label, settle  # noqa: F401 (fixtures)
from tests.test_e2e_teams import open_page

pytestmark = pytest.mark.skipif(not __import__("pathlib").Path(CHROMIUM).exists(), reason="no chromium")
FIGURE = re.compile(r"^\d{1,3}(,\d{3})* → \d{1,3}(,\d{3})*$")


def metric(page, label: str) -> str:
    m = metric_by_label(page, label)
    m.wait_for(timeout=60_000)
    return m.get_by_test_id("stMetricValue").inner_text().strip()


def test_upload_mk_template_preview_apply(app_url, browser):  # noqa: F811
    url, _ = app_url
    started = time.perf_counter()
    page = open_page(browser, url, "Planning")
    bedford = metric(page, "Bedford")
    assert re.fullmatch(r"\d{1,3}(,\d{3})*", bedford), bedford
    page.get_by_text("Load your council's sites file").click()
    settle(page)
    choose(page, page.get_by_role("combobox", name="Council the file is for"), "Milton Keynes")
    page.locator("[data-testid='stFileUploaderDropzoneInput']").last.set_input_files(str(ROOT / "templates" / "sites.csv"))
    page.get_by_text("2 sites read from sites.csv.").wait_for(timeout=60_000)
    settle(page)
    page.get_by_text(re.compile(r"What sites\.csv would change for Milton Keynes")).wait_for(timeout=60_000)
    assert metric(page, "Sites added") == "2" and metric(page, "Sites edited") == "0"
    assert int(metric(page, "Sites removed").replace(",", "")) > 0
    effect = {c: metric(page, f"{c}: now → if applied") for c in ("Milton Keynes", "Bedford")}
    assert all(FIGURE.match(v) for v in effect.values()), effect
    was, will = effect["Bedford"].split(" → ")
    assert was == will == bedford  # Bedford's sites are not in the file: its places needed stay
    assert page.get_by_text("E06000042").count() == 0  # council names, not codes
    page.get_by_role("button", name="Apply these changes").click()
    settle(page)
    alert = page.get_by_test_id("stAlert").filter(has_text="sites.csv applied to Milton Keynes's sites").first
    alert.wait_for(timeout=60_000)
    changes = page.get_by_test_id("stSidebar").get_by_text(re.compile(r"\d+ change\(s\) from the base region"))
    n = int(changes.inner_text().split()[0])
    assert n > 2, changes.inner_text()  # 2 added and every Milton Keynes site removed
    assert metric(page, "Bedford") == bedford
    # applied, the file matches the scenario's sites (shown in the expander, which the rerun may close)
    page.get_by_text(re.compile(r"sites\.csv matches Milton Keynes's sites")).wait_for(state="attached", timeout=60_000)
    print(f"upload test took {time.perf_counter() - started:.1f} s")
    page.close()
