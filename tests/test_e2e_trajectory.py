"""A planner edits a site's trajectory year by year in real headless Chromium (issue #14)."""

from __future__ import annotations

import time

from tests.test_e2e_browser import app_url, browser, pytestmark, settle  # noqa: F401  (fixtures, skip mark)


def test_planner_sets_a_trajectory_year_by_year(app_url, browser):  # noqa: F811
    url, _ = app_url
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(f"{url}/?page=Planning")
    settle(page)
    panel = page.get_by_test_id("stExpander").filter(has_text="Trajectory of").first
    panel.get_by_text("Trajectory of").first.click()
    settle(page)
    assert "Total 165 of the site's 165 dwellings" in panel.inner_text()  # the first site, 50 a year from 2020/21
    grid = panel.get_by_test_id("stDataFrame")
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    # the Completions cell of 2018/19, the fourth row (rows and header 35 px high)
    page.mouse.click(box["x"] + box["width"] * 0.75, box["y"] + 35 * 4 + 17)
    page.keyboard.press("Enter")
    page.wait_for_timeout(500)
    page.keyboard.press("Control+A")
    page.keyboard.type("120", delay=100)
    page.keyboard.press("Enter")
    page.wait_for_timeout(500)
    page.mouse.click(box["x"] + 600, box["y"] - 60)  # leave the grid: the edit is sent
    settle(page)
    assert "Total 285 of the site's 165 dwellings: the last 120 are not built" in panel.inner_text()
    start = time.perf_counter()
    panel.get_by_role("button", name="Apply trajectory").click()
    settle(page)
    said = page.get_by_test_id("stAlert").filter(has_text="completions by year").first.inner_text()
    print(f"Apply trajectory → confirmed on screen in {time.perf_counter() - start:.2f} s")
    assert "2018/19 120, 2020/21 50" in said and "(was 50 a year from 2020/21)" in said
    page.close()
