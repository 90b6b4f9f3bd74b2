"""The dashboards' charts (dashboards/static/dashboards/charts.js) in a real browser.

A small page with a line chart and a bar chart in the markup the dashboard templates write
is served, with the site's own Content-Security-Policy header, from a made-up origin whose
every request Playwright answers from the static files (no server, no database). The
browser must draw both charts without a console error or a policy violation, ECharts' aria
description must name the series, the tables must fold away once drawn, and without
JavaScript (or without ECharts) the tables must stay the figures.

ECharts itself is installed by ``make`` (``.make/echarts``), never committed: the plain
tests below check the pin and that git ignores the vendor folder.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.staticfiles import finders
from django.http import HttpResponse, HttpResponseBase
from django.test import RequestFactory

from lms.middleware import ContentSecurityPolicyMiddleware

ROOT = Path(__file__).resolve().parents[2]
MAKEFILE = ROOT / "Makefile"
VENDOR = "dashboards/static/dashboards/vendor"
ECHARTS = ROOT / VENDOR / "echarts.min.js"
SCREENSHOTS = ROOT / "var" / "screenshots"
ORIGIN = "http://dashboards.test"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

# As the browser tests in tests/lms do: violations in any frame reach the console.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error("CSP violation: " + event.violatedDirective + " blocked " +
                (event.blockedURI || "inline") + " on " + event.documentURI);
});
"""

PAGE = """<!DOCTYPE html>
<html lang="zh-hans">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>培训统计</title>
  <link rel="stylesheet" href="/static/lms/css/site.css">
  <link rel="stylesheet" href="/static/dashboards/dashboards.css">
</head>
<body>
<main id="main" class="wrap">
  <nav class="dash-breadcrumb" aria-label="位置"><ol>
    <li><a href="/hr/">培训统计</a></li><li><a href="/hr/units/1/">省直单位</a></li>
    <li aria-current="page">省人力资源和社会保障厅</li></ol></nav>
  <h1>培训统计</h1>
  <form class="dash-filters" method="get" action="/hr/charts/">
    <div class="dash-filter"><label for="year">年度</label>
      <select id="year" name="year"><option>2026</option><option>2025</option></select></div>
    <div class="dash-filter"><label for="rank">职级</label>
      <select id="rank" name="rank"><option>全部</option></select></div>
    <div class="dash-filters-actions"><button class="button" type="submit">筛选</button>
      <a href="/hr/charts/">清除</a></div>
  </form>
  <ul class="dash-cards">
    <li class="dash-card"><p class="dash-card-label">学时达标率</p>
      <p class="dash-card-value">87.5%</p>
      <p class="dash-card-compare is-better">▲ 比去年同期高 3.2 个百分点</p>
      <p class="dash-card-how">达到年度学时要求的在职人数除以在职人数。</p></li>
    <li class="dash-card"><p class="dash-card-label">人均学时</p>
      <p class="dash-card-value">31 <small>学时</small></p>
      <p class="dash-card-compare is-worse">▼ 比去年同期少 2.5 学时</p>
      <p class="dash-card-how">本年度已获学时之和除以在职人数。</p></li>
  </ul>
  <div class="dash-scroll" tabindex="0" role="region" aria-label="各单位">
    <table class="dash-table"><thead><tr>
      <th scope="col" aria-sort="ascending"><a href="?sort=name">单位</a></th>
      <th scope="col" class="num"><a href="?sort=people">在职人数</a></th>
      <th scope="col" class="num"><a href="?sort=rate">学时达标率</a></th>
      <th scope="col" class="num"><a href="?sort=hours">人均学时</a></th></tr></thead>
      <tbody>
        <tr><th scope="row"><a href="/hr/units/2/">省财政厅</a></th><td class="num">120</td>
          <td class="num">92.5% <meter min="0" max="100" low="80" optimum="100"
            value="92.5" aria-hidden="true">92.5%</meter></td><td class="num">40.5</td></tr>
        <tr class="dash-below"><th scope="row"><a href="/hr/units/3/">省人力资源和社会保障厅</a>
          <span class="dash-below">未达标</span></th><td class="num">86</td>
          <td class="num">55.5% <meter class="dash-bar" min="0" max="100" low="80" optimum="100"
            value="55.5" aria-hidden="true">55.5%</meter></td><td class="num">21</td></tr>
      </tbody></table>
  </div>
  <figure class="dash-chart" id="hours" data-chart="line" data-unit="学时">
    <figcaption>人均学时（按月累计）</figcaption>
    <div class="dash-chart-canvas" aria-hidden="false" hidden></div>
    <details class="dash-chart-data" open><summary>数据表</summary>
      <table><thead><tr><th>月份</th><th>2026年</th><th>2025年</th></tr></thead>
      <tbody>
      <tr><th scope="row">1月</th><td data-value="12.5">12.5</td><td data-value="10">10</td></tr>
      <tr><th scope="row">2月</th><td data-value="20.25">20.25</td><td data-value="18">18</td></tr>
      <tr><th scope="row">3月</th><td data-value="31">31</td><td data-value="27.5">27.5</td></tr>
      <tr><th scope="row">4月</th><td data-value="">—</td><td data-value="36">36</td></tr>
      <tr><th scope="row">5月</th><td data-value="">—</td><td data-value="44">44</td></tr>
      <tr><th scope="row">6月</th><td data-value="">—</td><td data-value="50.5">50.5</td></tr>
      <tr><th scope="row">7月</th><td data-value="">—</td><td data-value="55">55</td></tr>
      <tr><th scope="row">8月</th><td data-value="">—</td><td data-value="61">61</td></tr>
      <tr><th scope="row">9月</th><td data-value="">—</td><td data-value="68">68</td></tr>
      <tr><th scope="row">10月</th><td data-value="">—</td><td data-value="74.5">74.5</td></tr>
      <tr><th scope="row">11月</th><td data-value="">—</td><td data-value="80">80</td></tr>
      <tr><th scope="row">12月</th><td data-value="">—</td><td data-value="88">88</td></tr>
      </tbody></table>
    </details>
  </figure>
  <figure class="dash-chart" id="rates" data-chart="bar" data-percent>
    <figcaption>各单位学时达标率</figcaption>
    <div class="dash-chart-canvas is-empty" aria-hidden="false"></div>
    <details class="dash-chart-data" open><summary>数据表</summary>
      <table><thead><tr><th>单位</th><th>达标率</th></tr></thead>
      <tbody>
      <tr><th scope="row">省财政厅</th><td data-value="92.5">92.5%</td></tr>
      <tr><th scope="row">省人力资源和社会保障厅</th><td data-value="78">78%</td></tr>
      <tr><th scope="row">市大数据局</th><td data-value="55.5">55.5%</td></tr>
      </tbody></table>
    </details>
  </figure>
  <figure class="dash-chart" id="units" data-chart="bar" data-unit="人">
    <figcaption>各单位未达标人数</figcaption>
    <div class="dash-chart-canvas" aria-hidden="false"></div>
    <details class="dash-chart-data" open><summary>数据表</summary>
      <table><thead><tr><th>单位</th><th>未达标人数</th></tr></thead>
      <tbody>
      <tr><th scope="row">省财政厅</th><td data-value="3">3</td></tr>
      <tr><th scope="row">省人力资源和社会保障厅</th><td data-value="12">12</td></tr>
      <tr><th scope="row">市大数据局</th><td data-value="7">7</td></tr>
      <tr><th scope="row">省发展和改革委员会</th><td data-value="0">0</td></tr>
      <tr><th scope="row">省教育厅</th><td data-value="5">5</td></tr>
      <tr><th scope="row">省科学技术厅</th><td data-value="9">9</td></tr>
      <tr><th scope="row">省公安厅</th><td data-value="14">14</td></tr>
      <tr><th scope="row">省民政厅</th><td data-value="2">2</td></tr>
      <tr><th scope="row">省司法厅</th><td data-value="4">4</td></tr>
      <tr><th scope="row">省自然资源厅</th><td data-value="8">8</td></tr>
      <tr><th scope="row">省生态环境厅</th><td data-value="6">6</td></tr>
      <tr><th scope="row">省交通运输厅</th><td data-value="11">11</td></tr>
      </tbody></table>
    </details>
  </figure>
</main>
<script src="/static/dashboards/vendor/echarts.min.js" defer></script>
<script src="/static/dashboards/charts.js" defer></script>
</body>
</html>
"""

CONTENT_TYPES = {".css": "text/css", ".js": "text/javascript"}


def site_policy() -> str:
    """The Content-Security-Policy header the site's middleware puts on a dashboard page."""
    middleware = ContentSecurityPolicyMiddleware(lambda request: HttpResponse("page"))
    response = middleware(RequestFactory().get("/hr/"))
    assert isinstance(response, HttpResponseBase)
    policy = response["Content-Security-Policy"]
    assert "script-src" not in policy or "'unsafe-inline'" not in policy
    return policy


class ChartPage:
    """One browser context on the made-up origin, recording complaints and stray requests."""

    def __init__(self, browser: Any, viewport: dict[str, int], **options: Any) -> None:
        self.policy = site_policy()
        self.blocked: set[str] = set(options.pop("blocked", ()))
        self.context = browser.new_context(locale="zh-CN", viewport=viewport, **options)
        self.context.add_init_script(REPORT_VIOLATIONS)
        self.context.route("**/*", self._answer)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.unexpected: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))

    def _console(self, message: Any) -> None:
        text = message.text
        if message.type == "error" or "Refused to" in text or "CSP violation" in text:
            self.errors.append(text)

    def _answer(self, route: Any) -> None:
        url = route.request.url
        path = url.removeprefix(ORIGIN)
        if path == "/hr/charts/":
            route.fulfill(
                status=200,
                content_type="text/html; charset=utf-8",
                headers={"Content-Security-Policy": self.policy},
                body=PAGE,
            )
            return
        found = None
        if path.startswith("/static/") and path not in self.blocked:
            found = finders.find(path.removeprefix("/static/"))
        if isinstance(found, str):
            file = Path(found)
            route.fulfill(
                status=200,
                content_type=CONTENT_TYPES.get(file.suffix, "application/octet-stream"),
                body=file.read_bytes(),
            )
            return
        if path not in self.blocked:
            self.unexpected.append(url)
        route.fulfill(status=404, body="")

    def open(self) -> Any:
        response = self.page.goto(ORIGIN + "/hr/charts/")
        assert response is not None and response.status == 200
        assert response.headers["content-security-policy"] == self.policy
        self.page.wait_for_load_state("load")
        return self.page

    def screenshot(self, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"dash-charts-{name}.png"), full_page=True)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def echarts_installed() -> None:
    if not ECHARTS.exists():
        pytest.fail(f"{VENDOR}/echarts.min.js is missing: run make .make/echarts", pytrace=False)


@pytest.fixture
def chart_pages(echarts_installed: None, browser: Any) -> Iterator[Any]:
    opened: list[ChartPage] = []

    def chart_page(viewport: dict[str, int] = DESKTOP, **options: Any) -> ChartPage:
        opened.append(ChartPage(browser, viewport, **options))
        return opened[-1]

    yield chart_page
    for each in opened:
        each.close()


def wait_until_drawn(page: Any) -> None:
    page.wait_for_function(
        "() => document.querySelectorAll('figure.dash-chart.is-drawn').length === 3", timeout=10_000
    )


# django_db on the browser tests: on PostgreSQL the browser fixture looks for database
# sessions left behind, although these pages touch no database.
@pytest.mark.browser
@pytest.mark.django_db
@pytest.mark.parametrize("screen", ["desktop", "phone"])
def test_both_charts_are_drawn_under_the_sites_policy(chart_pages, screen):
    viewport = PHONE if screen == "phone" else DESKTOP
    # The phone asks for no animation: charts.js then draws at once (and the screenshot shows
    # the final chart); the desktop animates.
    visit = chart_pages(viewport, reduced_motion="reduce" if screen == "phone" else None)
    page = visit.open()
    wait_until_drawn(page)

    for figure_id in ("hours", "rates", "units"):
        figure = page.locator(f"#{figure_id}")
        canvas = figure.locator(".dash-chart-canvas")
        assert canvas.is_visible()
        assert figure.locator(".dash-chart-canvas canvas, .dash-chart-canvas svg").count() >= 1
        box = canvas.bounding_box()
        assert box is not None and 270 <= box["height"] <= 290 or figure_id == "units"
        figure_box = figure.bounding_box()
        assert figure_box is not None and box["width"] <= figure_box["width"]
        # Drawn: the table folds away but stays, one click from the chart.
        details = figure.locator("details.dash-chart-data")
        assert details.get_attribute("open") is None
        assert figure.locator("table").count() == 1

    hours = page.locator("#hours .dash-chart-canvas")
    assert hours.get_attribute("role") == "img"
    description = hours.get_attribute("aria-label") or ""
    assert "人均学时" in description  # the figcaption
    assert "2026年" in description and "2025年" in description
    assert "折线图" in description  # ECharts' Chinese words: the page is zh-hans
    # Series by name, not by ECharts' count from nought.
    assert "“2026年”是折线图" in description and "第0个" not in description
    # Every month, not ECharts' first ten, without the category's index before the value.
    assert "1月的数据是12.5，" in description and "12月的数据是88" in description
    assert "4月的数据是—" in description and "NaN" not in description
    rates = page.locator("#rates .dash-chart-canvas").get_attribute("aria-label") or ""
    assert "达标率" in rates and "柱状图" in rates and "省财政厅" in rates

    # Twelve units with long names: upright bars on a desktop, lying down (taller) on a phone.
    units = page.locator("#units .dash-chart-canvas")
    units_box = units.bounding_box()
    assert units_box is not None
    assert (units_box["height"] > 300) == (screen == "phone")
    assert "省交通运输厅" in (units.get_attribute("aria-label") or "")

    # The phone's page does not scroll sideways: the charts fit, the tables scroll inside.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"]

    # The tooltip is built from DOM nodes, so showing it breaks no rule of the policy.
    hours.scroll_into_view_if_needed()
    box = hours.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.5)
    tooltip = page.locator("#hours .dash-tooltip")
    tooltip.wait_for(state="visible", timeout=5_000)
    assert "2025年" in tooltip.inner_text()
    assert "学时" in tooltip.inner_text()

    # The folded table opens again with one click.
    page.locator("#rates summary").click()
    assert page.locator("#rates table").is_visible()

    visit.screenshot(screen)

    if screen == "desktop":
        # Narrowed to a phone, the twelve units' bars lie down; the description stays tidy.
        page.set_viewport_size(PHONE)
        page.wait_for_function(
            "() => document.querySelector('#units .dash-chart-canvas').clientHeight > 300"
        )
        page.wait_for_timeout(300)
        assert "NaN" not in (hours.get_attribute("aria-label") or "")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    assert visit.errors == []
    assert visit.unexpected == []


@pytest.mark.browser
@pytest.mark.django_db
def test_without_javascript_the_tables_are_the_figures(chart_pages):
    visit = chart_pages(PHONE, java_script_enabled=False)
    page = visit.open()
    for figure_id in ("hours", "rates", "units"):
        figure = page.locator(f"#{figure_id}")
        assert figure.locator("table").is_visible()
        assert figure.locator("details").get_attribute("open") is not None
        assert not figure.locator(".dash-chart-canvas").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    visit.screenshot("no-javascript")
    assert visit.errors == []


@pytest.mark.browser
@pytest.mark.django_db
def test_without_echarts_the_tables_stay_open(chart_pages):
    visit = chart_pages(DESKTOP, blocked={"/static/dashboards/vendor/echarts.min.js"})
    page = visit.open()
    page.wait_for_load_state("networkidle")
    for figure_id in ("hours", "rates", "units"):
        figure = page.locator(f"#{figure_id}")
        assert figure.locator("table").is_visible()
        assert not figure.locator(".dash-chart-canvas").is_visible()
    # Only the missing file is reported, nothing from charts.js.
    assert all("Failed to load resource" in error for error in visit.errors), visit.errors


def makefile_variable(name: str) -> str:
    match = re.search(rf"^{name}\s*:=\s*(\S+)\s*$", MAKEFILE.read_text(), re.MULTILINE)
    assert match, f"the Makefile sets no {name}"
    return match.group(1)


def test_the_makefile_pins_echarts_and_checks_its_integrity():
    assert re.fullmatch(r"\d+\.\d+\.\d+", makefile_variable("ECHARTS_VERSION"))
    assert re.fullmatch(r"sha512-[A-Za-z0-9+/]{86}==", makefile_variable("ECHARTS_INTEGRITY"))
    makefile = MAKEFILE.read_text()
    for target in ("run", "test", "test-services"):
        rule = re.search(rf"^{target}:(.*)$", makefile, re.MULTILINE)
        assert rule and "$(STAMP)/echarts" in rule.group(1).split(), target


def test_the_installed_echarts_is_the_pinned_version(echarts_installed):
    version = makefile_variable("ECHARTS_VERSION")
    assert f'version="{version}"' in ECHARTS.read_text(encoding="utf-8")


@pytest.mark.skipif(
    shutil.which("git") is None or not (ROOT / ".git").exists(), reason="needs a git checkout"
)
def test_git_ignores_the_vendor_folder():
    def git(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=False, timeout=30
        )

    tracked = git("ls-files", "--", VENDOR)
    assert tracked.returncode == 0 and tracked.stdout == ""
    ignored = git("check-ignore", "--no-index", "--", f"{VENDOR}/echarts.min.js")
    assert ignored.returncode == 0, "the vendor file is not gitignored"
