"""The reading measures of the drafts eval, on small hand-made drafts."""

from __future__ import annotations

import pytest

from evals.draft_text import (
    DraftText,
    ManagerComment,
    Share,
    draft_sentences,
    is_manager_preparation,
    longest_shared_run,
    repetition,
    speaks_in_third_person,
    split_sentences,
    uses_manager_feedback,
)

# --- sentences ----------------------------------------------------------------------------


def test_sentences_end_at_chinese_and_english_sentence_ends() -> None:
    text = "本季度回款48万元。客户续签了!下一步呢?Revenue rose to 3.5 million. Next, keep it up!"
    assert split_sentences(text) == [
        "本季度回款48万元。",
        "客户续签了!",
        "下一步呢?",
        "Revenue rose to 3.5 million.",
        "Next, keep it up!",
    ]


def test_commas_semicolons_and_decimals_do_not_end_a_sentence() -> None:
    assert split_sentences("得分3.2,是各维度中最低的;需要提升。") == [
        "得分3.2,是各维度中最低的;需要提升。"
    ]


def test_pieces_without_content_are_not_sentences() -> None:
    # A stray label or an enum value is not something a reader reads as a sentence.
    assert split_sentences("好。\nthin\n回款进度落后") == ["回款进度落后"]


def test_ids_titles_and_quality_flags_are_not_draft_text() -> None:
    output = {
        "suggestions": [
            {"practice_id": "P-001-长文本编号也不算", "practice_title": "GROW教练式提问",
             "gap": "工作质量与复盘", "why": "三次沟通都提到排班冲突。",
             "evidence_ids": ["C-E010-202607"]},
        ],
        "quality_flags": [{"path": "suggestions.0", "kind": "vague", "message": "请补充具体事例和日期"}],
    }  # fmt: skip
    assert draft_sentences(output) == ["三次沟通都提到排班冲突。"]
    assert draft_sentences(output, flags=True) == [
        "三次沟通都提到排班冲突。",
        "请补充具体事例和日期",
    ]


# --- repetition ---------------------------------------------------------------------------

SAME = "建议面谈时具体肯定这一做法。"


def _draft(person: str, kind: str, *sentences: str) -> DraftText:
    return DraftText(person, kind, list(sentences))


def test_a_sentence_repeated_for_three_people_counts_in_every_occurrence() -> None:
    drafts = [
        _draft("A", "feedback", SAME, "A 的回款从62万到70万。"),
        _draft("B", "feedback", SAME, "B 的回款从50万到58万。"),
        _draft("C", "development", SAME),
    ]
    shares = repetition(drafts)
    assert shares["all"] == Share(3, 5)
    assert shares["feedback"] == Share(2, 4)
    assert shares["development"] == Share(1, 1)


def test_two_people_sharing_a_sentence_is_not_repetition() -> None:
    drafts = [_draft("A", "feedback", SAME), _draft("B", "feedback", SAME)]
    assert repetition(drafts)["all"] == Share(0, 2)


def test_one_person_repeating_a_sentence_counts_as_one_person() -> None:
    drafts = [
        _draft("A", "feedback", SAME, SAME),
        _draft("A", "development", SAME),
        _draft("B", "feedback", SAME),
    ]
    assert repetition(drafts)["all"] == Share(0, 4)


def test_repetition_is_verbatim() -> None:
    drafts = [
        _draft("A", "feedback", "本季度回款48万元。"),
        _draft("B", "feedback", "本季度回款52万元。"),
        _draft("C", "feedback", "本季度回款61万元。"),
    ]
    assert repetition(drafts)["all"].hits == 0


# --- evidence use -------------------------------------------------------------------------

PRAISE = ManagerComment("C-E014-202610", "补了26条自动化用例,回归时间从两天缩短到半天。")


def _feedback(
    strength: str, ids: list[str], improvement: str = "复盘推进节奏"
) -> dict[str, object]:
    return {
        "summary": "本周期整体稳定。",
        "strengths": [{"text": strength, "evidence_ids": ids}],
        "improvements": [{"behavior": improvement, "impact": "影响交付", "suggestion": "每周对照检查",
                          "evidence_ids": ["R-1"]}],
    }  # fmt: skip


def test_a_strength_citing_the_check_in_uses_the_manager_feedback() -> None:
    output = _feedback("10月的自动化工作很扎实。", ["C-E014-202610"])
    assert uses_manager_feedback(output, [PRAISE])
    assert not uses_manager_feedback(output, [PRAISE], by_text_only=True)


def test_a_strength_quoting_the_comment_uses_it_without_the_id() -> None:
    output = _feedback("你补齐了自动化用例:回归时间从两天缩短到半天,发版更快。", ["KE-1"])
    assert uses_manager_feedback(output, [PRAISE], by_text_only=True)


def test_an_improvement_counts_as_well() -> None:
    output = _feedback(
        "客户续约顺利。", ["KE-1"], improvement="回归时间从两天缩短到半天之后仍需守住"
    )
    assert uses_manager_feedback(output, [PRAISE])


def test_a_draft_that_ignores_the_comment_does_not_use_it() -> None:
    # The summary cites the check-in, but it is neither a strength nor an improvement.
    output = _feedback("客户续约顺利,回款9万元。", ["KE-1"])
    output["summary_evidence_ids"] = ["C-E014-202610"]
    assert not uses_manager_feedback(output, [PRAISE])


def test_strengths_nested_in_a_part_of_the_draft_are_found() -> None:
    output = {"for_employee": _feedback("10月的自动化工作很扎实。", ["C-E014-202610"])}
    assert uses_manager_feedback(output, [PRAISE])


def test_shared_runs_ignore_punctuation_and_spaces() -> None:
    assert longest_shared_run("回归时间,从两天", "回归时间从 两天") == 7
    assert longest_shared_run("回款", "续约") == 0


# --- audience -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sentence",
    [
        "建议面谈时具体肯定这一做法,并请他分享可以复用的经验。",
        "以下每一条都附有来源记录,建议面谈前核对原始记录并补充你自己的观察。",
        "面谈开始时,先肯定她在客户续约上的投入。",
        "可以邀请对方讲讲当时是怎么判断的。",
        "建议主管在2026-11-30前确认能否安排,并告知员工结果。",
        "作为经理,您可以先听听他的想法。",
        "Before the meeting, verify the original records.",
        "Ask him to walk you through the renewal.",
    ],
)
def test_preparation_for_the_manager_is_detected(sentence: str) -> None:
    assert is_manager_preparation(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "你在10月补了26条自动化用例,回归时间从两天缩短到半天。",
        "本周读完做法说明,在2026-11-30的沟通中和主管一起回顾。",
        "与客户沟通时,先确认对方的预算周期。",
        "你可以在下次一对一时提出排班的想法。",
        "在一对一时先讲讲你最想解决的一件事。",
        "你可以多帮助他人,把经验写成清单。",
        "You cut the regression time from two days to half a day.",
        "In March you closed the renewal two weeks early.",
    ],
)
def test_text_for_the_employee_is_not_preparation(sentence: str) -> None:
    assert not is_manager_preparation(sentence)


def test_third_person_references_are_told_apart_from_you() -> None:
    assert speaks_in_third_person("他本季度回款48万元。")
    assert speaks_in_third_person("2026-10-12的沟通中员工写道:排班冲突。")
    assert speaks_in_third_person("She closed the renewal early.")
    assert not speaks_in_third_person("你本季度回款48万元,新员工培训也由你带。")
    assert not speaks_in_third_person("You closed the renewal early; here is the plan.")
