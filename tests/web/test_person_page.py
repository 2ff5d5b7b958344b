"""The person page: count metrics are marked for discrete drawing."""

from __future__ import annotations

import json
import re

from fastapi import FastAPI

from coach.demo import DemoTokens
from tests.web.conftest import signed_in

WebApp = tuple[FastAPI, DemoTokens]


def _chart(html: str, metric: str) -> dict[str, object]:
    match = re.search(rf'<script type="application/json" id="chart-{metric}">(.*?)</script>', html)
    assert match, f"no chart data for {metric}"
    data: dict[str, object] = json.loads(match.group(1))
    return data


def test_the_chart_data_says_which_metrics_count_whole_things(web_app: WebApp) -> None:
    app, tokens = web_app
    html = signed_in(app, tokens.manager).client.get("/team/E012").text
    assert _chart(html, "new_customers")["counts"] is True  # unit 家
    assert _chart(html, "revenue")["counts"] is False  # 万元 with decimals
