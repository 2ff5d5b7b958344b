"""The target draft page and the employee's page read as words: names, metric names and
units, probabilities in words, app-written dates; no ids, account names or model internals."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

from fastapi import FastAPI

from api.web.i18n import date_text
from api.web.present import likelihood
from coach.core.models import utcnow
from coach.demo import DemoTokens
from tests.web.conftest import WebClient, signed_in

WebApp = tuple[FastAPI, DemoTokens]
MODEL_INTERNALS = (
    "shrinkage_weight", "commit_probability", "stretch_probability", "quantiles", "basis",
    "peer_median", "own_median", "higher_is_better", "predictive_sd",
)  # fmt: skip


def _suggest(web: WebClient, metric: str) -> str:
    """A pending target draft for E012 (李强); its id from the inbox."""
    before = set(_inbox_ids(web))
    response = web.client.post(
        "/team/E012/targets", data={"metric": metric, "period": "2026Q4", "csrf_token": web.csrf}
    )
    assert response.status_code == 200, response.text[:500]
    (draft_id,) = set(_inbox_ids(web)) - before
    return draft_id


def _inbox_ids(web: WebClient) -> list[str]:
    return re.findall(r'href="/drafts/([0-9a-f]{32})"', web.client.get("/drafts").text)


def _visible(html: str) -> str:
    """The text a reader sees, without tags, scripts or attribute values."""
    html = re.sub(r"<(script|style|head)\b.*?</\1>", "", html, flags=re.S)
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def _outside_details(html: str) -> str:
    return re.sub(r"<details\b.*?</details>", "", html, flags=re.S)


def _approve_everything_for_e012(web: WebClient) -> None:
    for kind in ("feedback", "development"):
        made = web.client.post(
            f"/team/E012/generate/{kind}", data={"csrf_token": web.csrf}, follow_redirects=False
        )
        draft_id = made.headers["location"].rsplit("/", 1)[-1]
        web.client.post(f"/drafts/{draft_id}/approve", data={"csrf_token": web.csrf})
    target_id = _suggest(web, "revenue")
    web.client.post(f"/drafts/{target_id}/approve", data={"csrf_token": web.csrf})


def test_target_draft_page_has_no_raw_json_ids_or_english_keys(web_app: WebApp) -> None:
    app, tokens = web_app
    web = signed_in(app, tokens.manager)
    page = web.client.get(f"/drafts/{_suggest(web, 'revenue')}").text
    for raw in (*MODEL_INTERNALS, "revenue", "E012"):
        assert raw not in page, raw
    text = _visible(page)
    assert '{"' not in text, "raw JSON on the page"
    assert "李强 · 销售回款 · 2026Q4" in text
    assert "员工 E" not in text


def test_target_levels_carry_their_unit_and_odds_in_words(web_app: WebApp) -> None:
    app, tokens = web_app
    web = signed_in(app, tokens.manager)
    text = _visible(web.client.get(f"/drafts/{_suggest(web, 'revenue')}").text)
    for level, odds in (("承诺值", "约八成把握达到"), ("目标值", "约五成把握达到"),
                        ("挑战值", "约两成把握达到")):  # fmt: skip
        assert re.search(rf"{level} [\d.,]+万元 {odds}", text), (level, text[:1500])
    # One vocabulary: the pages' own terms, not a second set of names for the same levels.
    assert not {"保底", "挑战目标"} & set(re.findall(r"保底|挑战目标", text))


def test_target_basis_is_two_sentences_and_internals_sit_behind_a_disclosure(
    web_app: WebApp,
) -> None:
    app, tokens = web_app
    web = signed_in(app, tokens.manager)
    page = web.client.get(f"/drafts/{_suggest(web, 'revenue')}").text
    basis = re.search(r'<p id="range-reason">(.*?)</p>', page, flags=re.S)
    assert basis, "no basis paragraph"
    sentences = [s for s in unescape(basis.group(1)).split("。") if s.strip()]
    assert len(sentences) == 2 and "李强" in sentences[0] and "同事" in sentences[1]
    details = re.search(r'<details id="internals">(.*?)</details>', page, flags=re.S)
    assert details and "<summary>计算依据</summary>" in details.group(1)
    assert "同事数据的参考权重" in details.group(1)
    outside = _visible(_outside_details(page))
    assert "参考权重" not in outside and "同事中位数" not in outside


def test_target_history_column_is_headed_by_the_metric_and_its_unit(web_app: WebApp) -> None:
    app, tokens = web_app
    web = signed_in(app, tokens.manager)
    draft_id = _suggest(web, "revenue")
    page = web.client.get(f"/drafts/{draft_id}").text
    headers = re.findall(r'<th scope="col">([^<]*)</th>', page)
    assert headers == ["周期", "销售回款(万元)"]
    recorded = web.client.get(
        f"/v1/drafts/{draft_id}", headers={"Authorization": f"Bearer {tokens.manager}"}
    ).json()["inputs"]["own_history"]
    shown = re.findall(r"<tr><td>([^<]+)</td><td>([^<]+)</td></tr>", page)
    assert [(p, float(v)) for p, v in shown] == [(h["period"], h["value"]) for h in recorded]


def test_target_levels_are_edited_as_numbers_and_reach_the_employee(web_app: WebApp) -> None:
    app, tokens = web_app
    web = signed_in(app, tokens.manager)
    draft_id = _suggest(web, "revenue")
    form = web.client.get(f"/drafts/{draft_id}").text
    assert 'id="content"' not in form and 'name="target" type="number"' in form
    unordered = {"commit": "120", "target": "100", "stretch": "140", "csrf_token": web.csrf}
    refused = web.client.post(f"/drafts/{draft_id}/approve", data=unordered)
    assert refused.status_code == 422
    not_a_number = {"commit": "nan", "target": "100", "stretch": "140", "csrf_token": web.csrf}
    assert web.client.post(f"/drafts/{draft_id}/approve", data=not_a_number).status_code == 422
    partial = {"commit": "90", "csrf_token": web.csrf}
    refused = web.client.post(f"/drafts/{draft_id}/approve", data=partial)
    assert refused.status_code == 422 and "target" in refused.text
    levels = {"commit": "90", "target": "110", "stretch": "140", "note": "按新客户调整"}
    done = web.client.post(f"/drafts/{draft_id}/approve", data={**levels, "csrf_token": web.csrf})
    assert done.status_code == 200 and "修改后批准" in _visible(done.text)
    me = _visible(signed_in(app, tokens.employee).client.get("/me").text)
    assert "销售回款 2026Q4 90万元 110万元 140万元" in me


def test_only_a_target_draft_takes_levels(web_app: WebApp) -> None:
    app, tokens = web_app
    web = signed_in(app, tokens.manager)
    made = web.client.post(
        "/team/E012/generate/feedback", data={"csrf_token": web.csrf}, follow_redirects=False
    )
    draft_id = made.headers["location"].rsplit("/", 1)[-1]
    levels = {"commit": "1", "target": "2", "stretch": "3", "csrf_token": web.csrf}
    refused = web.client.post(f"/drafts/{draft_id}/approve", data=levels)
    assert refused.status_code == 422 and "commit" in refused.text
    assert 'class="badge status-pending"' in web.client.get(f"/drafts/{draft_id}").text


def test_employee_page_shows_names_not_ids_accounts_or_internals(web_app: WebApp) -> None:
    app, tokens = web_app
    _approve_everything_for_e012(signed_in(app, tokens.manager))
    page = signed_in(app, tokens.employee).client.get("/me").text
    text = _visible(page)
    for raw in (*MODEL_INTERNALS, "实践 ID", "practice_id", "demo-manager", "demo-employee",
                "revenue", "E012", "E011"):  # fmt: skip
        assert raw not in page, raw
    assert "经 陈静 于" in text and "你的目标" in text and "销售回款" in text
    assert "万元" in text


def test_pages_write_dates_in_the_page_language(web_app: WebApp) -> None:
    app, tokens = web_app
    _approve_everything_for_e012(signed_in(app, tokens.manager))
    employee = signed_in(app, tokens.employee)
    today = utcnow().date()
    assert f"经 陈静 于 {today.year}年{today.month}月{today.day}日 审批" in _visible(
        employee.client.get("/me").text
    )
    english = _visible(employee.client.get("/me?lang=en").text)
    assert f"approved by 陈静 on {today.isoformat()}" in english
    assert re.search(r"\d{2}/\d{2}/\d{4}", english) is None


def test_date_text_in_chinese_and_english() -> None:
    day = dt.date(2026, 12, 1)
    assert date_text(day, "zh") == "2026年12月1日"
    assert date_text(day, "en") == "2026-12-01"
    moment = dt.datetime(2026, 3, 9, 7, 5)
    assert date_text(moment, "zh", time=True) == "2026年3月9日 07:05"
    assert date_text(moment, "en") == "2026-03-09"


def test_likelihood_in_words() -> None:
    assert likelihood(0.8, "zh") == "约八成把握达到"
    assert likelihood(0.2, "zh") == "约两成把握达到"
    assert likelihood(0.5, "en") == "about 50% likely to be reached"
    assert likelihood(0.99, "zh") == "几乎一定能达到"
    assert likelihood(0.01, "zh") == "很难达到"


def test_inbox_writes_creation_times_in_the_page_language(web_app: WebApp) -> None:
    app, tokens = web_app
    web = signed_in(app, tokens.manager)
    _suggest(web, "revenue")
    today = utcnow().date()
    assert f"{today.year}年{today.month}月{today.day}日" in _visible(web.client.get("/drafts").text)
    english = _visible(web.client.get("/drafts?lang=en").text)
    assert today.isoformat() in english


def test_the_inbox_and_the_hr_sample_name_people_not_ids(web_app: WebApp) -> None:
    app, tokens = web_app
    web = signed_in(app, tokens.manager)
    _suggest(web, "revenue")
    inbox = _visible(web.client.get("/drafts").text)
    assert "李强" in inbox and "E012" not in inbox
    hr = signed_in(app, tokens.hr)
    page = hr.client.get("/hr/dialogues?month=2026-11&sample_rate=0.5").text
    sampled = re.findall(r'href="/hr/dialogues/([^"?]+)\?', page)
    assert sampled, "the month has sampled check-ins"
    person_id = re.compile(r"(?<![\w-])E0\d\d(?![\w-])")  # not inside a record id
    assert not person_id.search(_visible(page))
    record = _visible(hr.client.get(f"/hr/dialogues/{sampled[0]}?month=2026-11").text)
    assert not person_id.search(record)
