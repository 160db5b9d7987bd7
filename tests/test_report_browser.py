"""The report in a real browser: every chart renders, nothing overflows at 1280 and 390 px.

Drives Debian's Chromium (``/usr/bin/chromium``, installed by ``make install``) with
Playwright; screenshots are kept in ``build/test-artifacts/``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from conftest import synthesized_workspace
from controltower.plan import build_plan
from controltower.report import load_evidence, write_report
from controltower.settings import ReportSettings
from test_report import populated, report_bundle

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "build" / "test-artifacts"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

OVERFLOWING = """() => {
  const width = window.innerWidth;
  const scrolls = (el) => {
    for (let p = el.parentElement; p; p = p.parentElement) {
      const overflow = getComputedStyle(p).overflowX;
      if (overflow === 'auto' || overflow === 'scroll') return true;
    }
    return false;
  };
  const found = [];
  for (const el of document.querySelectorAll('body *')) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || (box.left >= -1 && box.right <= width + 1)) continue;
    if (!scrolls(el)) found.push(`${el.tagName.toLowerCase()}.${el.className} ${box.right}`);
  }
  return found;
}"""

CHART_BOXES = """() => Array.from(document.querySelectorAll('figure.chart')).map((figure) => {
  const shown = Array.from(figure.querySelectorAll(':scope > div > svg'))
    .map((svg) => svg.getBoundingClientRect())
    .filter((box) => box.width > 0 && box.height > 0);
  const box = shown.length === 1 ? shown[0] : {width: 0, height: 0};
  return [figure.dataset.chart, box.width, box.height];
})"""
"""Each chart's visible SVG (exactly one of its wide and narrow layouts shows)."""


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("browser")
    workspace = synthesized_workspace(root, report_bundle())
    plan = populated(build_plan(workspace)[0])
    book = load_evidence(workspace, plan, ReportSettings())
    return {
        audience: write_report(plan, book, root / audience, audience=audience).html
        for audience in ("full", "customer")
    }


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert CHROMIUM.exists(), "Chromium is missing: `make install` installs Debian's chromium"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


@pytest.mark.parametrize("audience", ["full", "customer"])
@pytest.mark.parametrize("width", [1280, 390])
def test_report_renders_without_overflow(
    browser: Browser, reports: dict[str, Path], audience: str, width: int
) -> None:
    page = browser.new_page(viewport={"width": width, "height": 900})
    try:
        page.goto(reports[audience].as_uri())
        boxes = page.evaluate(CHART_BOXES)
        expected = 6 if audience == "full" else 2
        assert len(boxes) == expected
        assert all(w > 0 and h > 0 for _, w, h in boxes), boxes
        assert all(w <= width for _, w, _h in boxes), boxes
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= page.evaluate("window.innerWidth")
        assert page.evaluate(OVERFLOWING) == []
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"report-{audience}-{width}.png"))
        page.screenshot(path=str(ARTIFACTS / f"report-{audience}-{width}-full.png"), full_page=True)
    finally:
        page.close()
