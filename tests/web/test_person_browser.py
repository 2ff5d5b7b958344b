"""The person page in a real Chromium: a count metric is drawn as bars on whole-number ticks;
a new hire is offered the peer-based range."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from tests.web.conftest import LiveServer, serve, shot, sign_in
from tests.web.test_person_page import hire_new_sales_rep

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server of this module's own: it hires someone the other modules do not expect."""
    yield from serve(tmp_path_factory.mktemp("person-home"))


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


def test_a_new_hire_page_offers_the_peer_based_range(
    browser: Browser, live_server: LiveServer
) -> None:
    hire_new_sales_rep(live_server.app)
    context, page = sign_in(browser, live_server, live_server.tokens.manager)
    page.goto(f"{live_server.url}/team/E019")
    card = page.locator("#metric-new_customers")
    expect(card.locator("[data-caveat]")).to_contain_text("本人尚无数据,仅供参考")
    expect(card.get_by_role("button", name=re.compile("按同事水平起草"))).to_be_visible()
    shot(page, "person-new-hire-laptop")
    context.close()
