"""Behaviour of check_comment / check_comments on fresh examples (none are in the data set)."""

from __future__ import annotations

import re

import pytest

from coach.quality import CATEGORIES, CommentCheck, check_comment, check_comments


def categories(result: CommentCheck) -> set[str]:
    return {f.category for f in result.findings}


def assert_spans_exact(text: str, result: CommentCheck) -> None:
    for f in result.findings:
        assert 0 <= f.start < f.end <= len(text)
        assert f.text == text[f.start : f.end]


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("这个月干得不错,值得表扬。", "vague_praise"),
        ("Fantastic work, keep it up!", "vague_praise"),
        ("细节方面有待加强。", "vague_criticism"),
        ("Could do better overall.", "vague_criticism"),
        ("她脾气差。", "personality_label"),
        ("He is pushy.", "personality_label"),
        ("无意见。", "empty_template"),
        ("n/a", "empty_template"),
        ("给她打95分。", "score_without_evidence"),
        ("10/10 teammate", "score_without_evidence"),
        ("他从来不写周报。", "absolute_language"),
        ("She never answers email.", "absolute_language"),
        ("年纪大了,跟不上节奏。", "possible_bias"),
        ("Not bad for a girl.", "possible_bias"),
    ],
)
def test_each_category_is_detected_with_an_exact_span(text: str, category: str) -> None:
    result = check_comment(text)
    assert category in CATEGORIES
    assert category in categories(result)
    assert_spans_exact(text, result)


@pytest.mark.parametrize(
    "text",
    [
        "工作认真负责,希望再接再厉。",
        "很好,继续保持!",
        "good job",
        "他太内向了。",
        "同意",
        "一直很用心,各方面都让人放心,是团队的好榜样,希望继续发扬,取得更好的成绩。",
        "打100分",
    ],
)
def test_vague_comments_are_flagged(text: str) -> None:
    result = check_comment(text)
    assert result.vague
    assert result.score < 0.5
    assert any(f.category in CATEGORIES[:5] for f in result.findings)


@pytest.mark.parametrize(
    "text",
    [
        "4月8日客户来电投诉漏发,她当天补寄并致电道歉,客户追加了一单。",
        "Rebuilt the invoice export on Wednesday; finance now closes a day earlier.",
        "下周例会前请把三个延期需求的原因整理成一页发给我。",
    ],
)
def test_specific_comments_pass(text: str) -> None:
    result = check_comment(text)
    assert not result.vague
    assert result.score >= 0.5


def test_exact_offsets_of_a_stock_phrase() -> None:
    text = "工作认真负责,希望再接再厉"
    result = check_comment(text)
    spans = {(f.start, f.end) for f in result.findings}
    assert (text.index("再接再厉"), len(text)) in spans


def test_mixed_comment_is_not_vague_but_vague_span_is_reported() -> None:
    text = "表现很好,继续保持。上月她把报销审核从3天缩短到1天,各部门的催单少了一半。"
    result = check_comment(text)
    assert not result.vague
    praise = [f for f in result.findings if f.category == "vague_praise"]
    assert praise and praise[0].start == 0
    assert praise[0].text.startswith("表现很好")
    assert result.elements.impact


def test_absolute_and_bias_alone_do_not_make_a_comment_vague() -> None:
    text = "虽然刚休完产假,她上周仍然独立完成了华东区3家客户的年度对账,没有差错。"
    result = check_comment(text)
    assert "possible_bias" in categories(result)
    assert not result.vague


def test_personality_label_without_behaviour_is_vague_even_when_long() -> None:
    text = "他这个人就是太强势,开会的时候大家都不太敢说话,整体氛围比较压抑。"
    assert check_comment(text).vague


def test_elements_of_a_full_comment() -> None:
    text = "上周三的评审会上你打断了设计同事两次,导致讨论超时20分钟,下次请等对方说完再提问。"
    e = check_comment(text).elements
    assert e.behavior and e.situation and e.impact and e.suggestion


def test_english_comment_gets_english_advice() -> None:
    result = check_comment("Keep up the good work!")
    assert result.lang == "en"
    assert result.vague
    assert all(f.hint.isascii() and f.message.isascii() for f in result.findings)


def test_chinese_and_mixed_comments_get_chinese_advice() -> None:
    result = check_comment("表现不错,good job!")
    assert result.lang == "zh"
    assert all(not f.hint.isascii() for f in result.findings)


def test_explicit_lang_overrides_detection() -> None:
    result = check_comment("good job", lang="zh")
    assert result.lang == "zh"
    assert re.search(r"[\u4e00-\u9fff]", result.findings[0].hint)


@pytest.mark.parametrize(
    "text",
    ["", "   ", "\n\t", "😀😀🎉", "。。。", "\x00\x1f", "a" * 5000, "很好," * 1700, "🙂" * 5000],
)
def test_odd_input_never_crashes(text: str) -> None:
    result = check_comment(text)
    assert 0.0 <= result.score <= 1.0
    assert_spans_exact(text, result)


def test_empty_and_emoji_only_are_vague_templates() -> None:
    assert check_comment("").vague
    result = check_comment(" 👍👍 ")
    assert result.vague
    assert [f.text for f in result.findings] == ["👍👍"]


def test_batch_preserves_order_and_matches_single_calls() -> None:
    texts = [
        "同意",
        "上周修复了支付超时,投诉归零。",
        "Needs improvement.",
        "",
        "Closed Acme, $40k, on 2 May.",
    ]
    batch = check_comments(texts)
    assert [r.vague for r in batch] == [True, False, True, True, False]
    assert batch == [check_comment(t) for t in texts]
    assert check_comments([]) == []


def test_a_score_given_by_customers_is_a_result_not_a_bare_rating() -> None:
    result = check_comment("11月3日处理批量退款投诉,当天闭环,客户满意度回访给了5分。")
    assert not result.vague
    assert all(f.category != "score_without_evidence" for f in result.findings)
    assert any(
        f.category == "score_without_evidence" for f in check_comment("这次给你打90分").findings
    )
