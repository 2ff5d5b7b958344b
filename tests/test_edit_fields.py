"""The edit form's fields put back together as content, and an edit shown item by item."""

from __future__ import annotations

from coach.chains.schemas import CheckinTopics, FeedbackDraft
from coach.drafts.edits import content_from_fields, inline_diff, item_changes

AI = {
    "summary": "你在十月完成了八成",
    "strengths": [
        {"text": "提前锁定框架协议", "evidence_ids": ["E1"]},
        {"text": "按时交付报价", "evidence_ids": ["E2"]},
        {"text": "主动复盘投诉", "evidence_ids": ["E3"]},
    ],
    "quality_flags": [],
}


def test_fields_come_back_as_content_in_the_order_of_their_numbers() -> None:
    fields = {
        "summary": ["第一行\r\n第二行 "],
        "strengths.3.text": ["后一条"],
        "strengths.0.text": ["前一条"],
        "strengths.0.evidence_ids": ["E1", "E2"],
        "strengths.3.evidence_ids": [],
        "next_actions.0.due_date": ["2026-12-01"],
    }
    ai = {"quality_flags": [{"path": "x", "kind": "vague", "message": "m"}], "summary": "旧"}
    content = content_from_fields(FeedbackDraft, fields, ai=ai)
    assert content["summary"] == "第一行\n第二行"
    assert content["strengths"] == [
        {"text": "前一条", "evidence_ids": ["E1", "E2"]},
        {"text": "后一条", "evidence_ids": []},
    ]
    assert content["next_actions"] == [{"due_date": "2026-12-01", "evidence_ids": []}]
    assert content["quality_flags"] == ai["quality_flags"]  # the service's, not the form's
    assert content["improvements"] == []


def test_topics_are_ranked_by_their_place_in_the_form() -> None:
    fields = {f"topics.{n}.title": [f"话题{n}"] for n in (4, 1, 7)}
    content = content_from_fields(CheckinTopics, fields, ai={})
    assert [(t["title"], t["rank"]) for t in content["topics"]] == [
        ("话题1", 1), ("话题4", 2), ("话题7", 3),
    ]  # fmt: skip


def test_an_inline_diff_marks_chinese_characters_and_whole_latin_words() -> None:
    pieces = [
        (p.op, p.text) for p in inline_diff("十月完成八成 on time", "十一月完成九成 on schedule")
    ]
    assert pieces == [
        ("same", "十"), ("added", "一"), ("same", "月完成"), ("removed", "八"), ("added", "九"),
        ("same", "成 on "), ("removed", "time"), ("added", "schedule"),
    ]  # fmt: skip


def test_item_changes_name_each_added_removed_and_changed_item() -> None:
    final = {
        "summary": AI["summary"],
        "strengths": [
            {"text": "提前锁定年度框架协议", "evidence_ids": ["E1"]},
            {"text": "主动复盘投诉", "evidence_ids": ["E3"]},
            {"text": "带新人上手", "evidence_ids": ["E4"]},
        ],
        "quality_flags": [{"path": "strengths.0"}],  # the service's own: never an edit
    }
    changes = item_changes(AI, final)
    assert [(c.section, c.number, c.change) for c in changes] == [
        ("strengths", 1, "changed"), ("strengths", 2, "removed"), ("strengths", 3, "added"),
    ]  # fmt: skip
    changed, removed, added = changes
    assert [f.key for f in changed.fields] == ["text"]
    assert ("added", "年度") in [(p.op, p.text) for p in changed.fields[0].pieces]
    assert [f.before for f in removed.fields] == ["按时交付报价", "E2"]
    assert [f.after for f in added.fields] == ["带新人上手", "E4"]
    assert item_changes(AI, dict(AI)) == []
