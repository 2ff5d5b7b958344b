"""The person page: count metrics are marked for discrete drawing; a new hire is offered
the peer-based range."""

from __future__ import annotations

import datetime as dt
import json
import re

from fastapi import FastAPI
from sqlmodel import Session

from coach.core.models import Employee
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


def hire_new_sales_rep(app: FastAPI) -> None:
    """钱多多 joins 陈静's team today: no metric history yet."""
    with Session(app.state.engine) as session:
        session.add(
            Employee(
                employee_id="E019", name="钱多多", role="销售代表", level="P1",
                department="销售部", team="华东大区", manager_id="E011",
                hire_date=dt.date(2026, 11, 2),
            )
        )  # fmt: skip
        session.commit()


def test_a_new_hire_is_offered_the_peer_based_range_with_its_caveat(web_app: WebApp) -> None:
    app, tokens = web_app
    hire_new_sales_rep(app)
    web = signed_in(app, tokens.manager)
    html = web.client.get("/team/E019").text
    assert "没有这个人的指标历史" not in html
    card = re.search(r'<article class="card" id="metric-revenue">(.*?)</article>', html, re.S)
    assert card, html[-3000:]
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", card.group(1)))
    assert re.search(r"承诺值 \d+(\.\d+)?万元 · 目标值 \d+(\.\d+)?万元 · 挑战值", text), text
    assert re.search(r"基于 \d+ 位同\S*同事,本人尚无数据,仅供参考", text), text
    period = re.search(r'name="period" value="([^"]+)"', card.group(1))
    assert period

    drafted = web.client.post(
        "/team/E019/targets",
        data={"metric": "revenue", "period": period.group(1), "csrf_token": web.csrf},
    )
    assert drafted.status_code == 200, drafted.text[:500]
    assert "钱多多" in web.client.get("/drafts").text


def test_a_suggested_count_range_reads_as_whole_numbers_with_the_unit(web_app: WebApp) -> None:
    app, tokens = web_app
    web = signed_in(app, tokens.manager)
    web.client.post(
        "/team/E012/targets",
        data={"metric": "new_customers", "period": "2026Q4", "csrf_token": web.csrf},
    )
    html = web.client.get("/team/E012").text
    line = re.search(r'<p class="range">(.*?)</p>', html, re.S)
    assert line
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", line.group(1)))
    assert re.search(r"承诺值 \d+家 · 目标值 \d+家 · 挑战值 \d+家", text), text
