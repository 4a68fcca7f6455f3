"""compare.html (issue 27, item 4), tested in a real browser: Debian's chromium driven by Selenium
through chromedriver (.ci/run installs both). A reader ticks models with the mouse and with the
keyboard, on a desktop and on a 390 px phone; the page draws their profiles and the differences
`papers compare` prints, keeps the choice in its address, and asks nothing of any other host."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import pytest

from papers.report.comparepage import script_json
from papers.report.context import slug
from tests.conftest import ROOT
from tests.test_windows import cli_run

MODELS = ("simulated/human-centric", "simulated/position-biased", "simulated/steady", "simulated/uniform",
          "simulated/utility-driven", "simulated/fragile")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def audit(tmp_path_factory):
    root = tmp_path_factory.mktemp("compare")
    db = root / "store.duckdb"
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(root)
        cli_run("collect", *(a for m in MODELS for a in ("--model", m)), "--task", "rank", "--trials", 12, "--db", db)
        cli_run("analyze", "--audit", "a1", "--bootstrap", 100, "--db", db)
        cli_run("report", "--audit", "a1", "--db", db, "--site", root / "_site", "--engine", "pandoc", "--workers", 1)
    return {"db": db, "page": root / "_site" / "a1" / "compare.html", "root": root}


@pytest.fixture(scope="module")
def browser():
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install -e '.[dev]')")
    driver_path = shutil.which("chromedriver")
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if not driver_path or not binary:
        pytest.skip("Debian's chromium and chromium-driver are not installed (chromedriver missing); .ci/run installs them")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def open_page(driver, page: Path, width: int = 1280, fragment: str = ""):
    driver.get_log("performance")  # start each test's network log and console afresh
    driver.set_window_size(width, 1000)
    driver.get(page.as_uri() + fragment)
    driver.get_log("browser")


def ticked(driver) -> list[str]:
    return [b.get_attribute("value") for b in driver.find_elements("css selector", "input[name=model]") if b.is_selected()]


def set_ticks(driver, wanted: list[str]) -> None:
    for box in driver.find_elements("css selector", "input[name=model]"):
        if box.is_selected() != (box.get_attribute("value") in wanted):
            box.click()


def shown_models(driver) -> list[str]:
    """The models the chart's legend names."""
    return [s.text for s in driver.find_elements("css selector", "#chart figure div span") if s.text]


def test_ticking_two_models_shows_their_profiles_and_the_differences_papers_compare_prints(audit, browser):
    open_page(browser, audit["page"])
    set_ticks(browser, [slug("simulated/steady"), slug("simulated/utility-driven")])
    assert browser.find_element("id", "status").text.startswith("Comparing 2 models (simulated/steady, "
                                                                 "simulated/utility-driven)")
    assert sorted(shown_models(browser)) == ["simulated/steady", "simulated/utility-driven"]
    svg = browser.find_element("css selector", "#chart figure > svg")
    dims = len(browser.find_elements("css selector", "#chart figure > svg g[aria-label='y-axis tick label'] text"))
    assert dims == 5  # non_sentient, the first condition: five dimensions
    assert len(svg.find_elements("css selector", "g[aria-label=dot] circle")) == 2 * dims
    assert len(svg.find_elements("css selector", "g[aria-label=rule] line")) == 2 * dims  # the intervals
    sections = browser.find_elements("css selector", "#pairs section.pair")
    assert [s.find_element("tag name", "h3").text for s in sections] == ["simulated/steady against simulated/utility-driven"]
    rows = sections[0].find_elements("css selector", "tbody tr")
    assert len(rows) == dims
    cli = json.loads(cli_run("compare", "simulated/steady", "simulated/utility-driven", "--audit", "a1", "--json",
                             "--db", audit["db"]).output)
    first = [r for r in cli["rows"] if (r["condition"], r["task"]) == ("non_sentient", "rank")][0]
    cells = [c.text for c in rows[0].find_elements("tag name", "td")]
    assert cells[0] == first["name"] and cells[2] == f"{first['mean_a']:.2f} / {first['mean_b']:.2f}"
    assert cells[1] == {"a": "simulated/steady", "b": "simulated/utility-driven"}.get(first["direction"],
                                                                                    "no detectable difference")
    fragment = browser.execute_script("return window.location.hash")
    assert fragment == f"#models={slug('simulated/steady')},{slug('simulated/utility-driven')}&group=non_sentient%2Frank"
    assert not [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]


def test_the_address_holds_the_choice_so_a_link_can_be_shared(audit, browser):
    chosen = [slug("simulated/human-centric"), slug("simulated/fragile"), slug("simulated/uniform")]
    open_page(browser, audit["page"], fragment=f"#models={','.join(chosen)}&group=sentient%2Frank")
    assert sorted(ticked(browser)) == sorted(chosen)
    assert browser.find_element("id", "group").get_attribute("value") == "sentient/rank"
    assert len(browser.find_elements("css selector", "#chart figure > svg g[aria-label='y-axis tick label'] text")) == 6
    assert len(browser.find_elements("css selector", "#pairs section.pair")) == 3  # every pair of the three


def test_at_most_five_and_at_least_two(audit, browser):
    open_page(browser, audit["page"])
    set_ticks(browser, [slug(m) for m in MODELS[:5]])
    last = browser.find_element("css selector", f"input[value='{slug(MODELS[5])}']")
    assert not last.is_enabled() and "at most 5 at once" in browser.find_element("id", "status").text
    assert len(browser.find_elements("css selector", "#pairs section.pair")) == 10
    set_ticks(browser, [slug(MODELS[0])])
    assert browser.find_element("id", "status").text == "Tick at least 2 models to compare (1 ticked)."
    assert not browser.find_elements("css selector", "#chart figure > svg") and last.is_enabled()


def test_the_keyboard_alone_ticks_models_and_picks_the_condition(audit, browser):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    open_page(browser, audit["page"])
    set_ticks(browser, [])
    boxes = browser.find_elements("css selector", "input[name=model]")
    boxes[0].send_keys(" ")  # focus the first box, then only keys
    actions = ActionChains(browser)
    actions.send_keys(Keys.TAB, Keys.TAB, " ").perform()  # past the first model's link, to the second box: tick it
    assert ticked(browser) == [boxes[0].get_attribute("value"), boxes[1].get_attribute("value")]
    assert browser.switch_to.active_element == boxes[1]
    select = browser.find_element("id", "group")
    select.send_keys(Keys.END)  # the last condition and task
    assert select.get_attribute("value") == "sentient/rank"
    label = browser.find_element("css selector", "#group option:checked").text
    assert browser.find_element("id", "status").text.endswith(f"{label}.")
    assert browser.execute_script("return window.location.hash").endswith("&group=sentient%2Frank")


def test_a_390_px_phone_shows_the_chart_without_scrolling_the_page_sideways(audit, browser, tmp_path):
    open_page(browser, audit["page"], width=390)
    set_ticks(browser, [slug("simulated/steady"), slug("simulated/fragile")])
    inner = browser.execute_script("return window.innerWidth")
    assert browser.execute_script("return document.documentElement.scrollWidth") <= inner
    box = browser.find_element("css selector", "#chart figure > svg").rect
    assert box["x"] >= 0 and box["x"] + box["width"] <= inner
    labels = browser.find_elements("css selector", "#chart figure > svg g[aria-label='y-axis tick label'] text")
    assert all(label.rect["x"] >= 0 for label in labels)  # dimension names not cut at the left edge
    browser.save_screenshot(str(tmp_path / "compare-390.png"))
    assert not [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]


def test_no_request_leaves_the_page(audit, browser):
    open_page(browser, audit["page"])
    set_ticks(browser, [slug("simulated/steady"), slug("simulated/uniform"), slug("simulated/fragile")])
    events = [json.loads(e["message"])["message"] for e in browser.get_log("performance")]
    requested = [e["params"]["request"]["url"] for e in events if e["method"] == "Network.requestWillBeSent"]
    assert any(url.endswith("/assets/plot.umd.min.js") for url in requested), requested  # the log does see requests
    assert all(url.startswith(("file://", "data:")) for url in requested), requested
    html = audit["page"].read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)


def test_the_vendored_libraries_are_the_published_files_with_their_licences(audit):
    table = (ROOT / "reports" / "vendor" / "README.md").read_text(encoding="utf-8")
    assets = audit["page"].parent / "assets"
    for name, digest in re.findall(r"\| `([\w.]+\.js)` \|[^\n]*`([0-9a-f]{64})` \|", table):
        assert hashlib.sha256((assets / name).read_bytes()).hexdigest() == digest, name
    assert "ISC" in table and (assets / "plot-LICENSE.txt").exists() and (assets / "d3-LICENSE.txt").exists()
    manifest = json.loads((audit["page"].parent / "manifest.json").read_text())
    assert {"assets/d3.min.js", "assets/plot.umd.min.js", "assets/compare.js"} <= set(manifest["files"])


def test_text_from_data_cannot_close_the_data_script():
    text = script_json({"model": "</script><script>alert(1)</script>", "and": "a & b"})
    assert "</script" not in text and "<" not in text and "&" not in text
    assert json.loads(text) == {"model": "</script><script>alert(1)</script>", "and": "a & b"}


def test_the_bootstrap_of_r_counts_values_and_gives_scipys_mann_whitney_u_for_every_resample():
    """rank_biserial_boot counts the values of each resample where they are few (ranks, ratings) instead of
    ranking it, which the compare page's many pairs need: every replicate equals the r of
    scipy.stats.mannwhitneyu on the same resample, and the drawn resamples are the ones it always drew."""
    import numpy as np
    from scipy import stats as sps

    from papers.analysis.stats import rank_biserial_boot

    rng = np.random.default_rng(4)
    for x, y in [(rng.integers(1, 6, 37).astype(float), rng.integers(1, 6, 52).astype(float)),
                 (rng.integers(1, 8, 9) + 0.5, rng.integers(2, 7, 4).astype(float)),
                 (rng.normal(size=30), rng.normal(size=25))]:  # many distinct values: ranked, as before
        out = rank_biserial_boot(x, y, np.random.default_rng(7), 60)
        draws = np.random.default_rng(7)
        ix, iy = draws.integers(0, len(x), size=(60, len(x))), draws.integers(0, len(y), size=(60, len(y)))
        expected = [2 * sps.mannwhitneyu(x[i], y[j]).statistic / (len(x) * len(y)) - 1 for i, j in zip(ix, iy)]
        assert np.allclose(out, expected, rtol=0, atol=1e-12)


def test_every_pair_on_the_page_is_what_papers_compare_prints(audit):
    """The page reads the answers once for all its pairs; each pair's rows are still exactly the CLI's,
    intervals included."""
    from papers.compare import r_text
    from papers.report.comparepage import page_data
    from papers.report.reads import load_audit
    from papers.stores import open_store

    with open_store(audit["db"], read_only=True) as store:
        pairs = page_data(store, load_audit(store, "a1"))["pairs"]
    assert len(pairs) == 15
    for a, b in [(MODELS[0], MODELS[1]), (MODELS[2], MODELS[5])]:
        key = " ".join(sorted((slug(a), slug(b)), key=lambda s: [slug(m) for m in sorted(MODELS)].index(s)))
        first, second = (a, b) if key.startswith(slug(a)) else (b, a)
        cli = json.loads(cli_run("compare", first, second, "--audit", "a1", "--json", "--db", audit["db"]).output)
        for row in cli["rows"]:
            shown = [r for r in pairs[key][f"{row['condition']}/{row['task']}"] if r["name"] == row["name"]][0]
            assert shown["r"] == r_text(row["r"], row["r_ci_low"], row["r_ci_high"]).removeprefix("r = ")
