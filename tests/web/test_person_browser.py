"""The person page in a real Chromium: a count metric is drawn as bars on whole-number ticks."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from tests.web.conftest import LiveServer, shot, sign_in

pytestmark = pytest.mark.browser

_CHART = "Chart.getChart(document.querySelector('#metric-{} canvas'))"


def test_a_count_metric_is_drawn_as_bars_with_whole_number_ticks(
    browser: Browser, live_server: LiveServer
) -> None:
    context, page = sign_in(browser, live_server, live_server.tokens.manager)
    page.goto(f"{live_server.url}/team/E012")
    page.wait_for_function(f"!!{_CHART.format('new_customers')}")
    shot(page, "person-laptop")
    counts = _CHART.format("new_customers")
    assert page.evaluate(f"{counts}.data.datasets[0].type") == "bar"
    ticks = page.evaluate(f"{counts}.scales.y.ticks.map(t => t.label)")
    assert ticks and all(label.isdigit() for label in ticks), ticks
    assert page.evaluate(f"{_CHART.format('revenue')}.data.datasets[0].type") is None
    context.close()
