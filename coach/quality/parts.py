"""The three parts every check-in dialogue should contain, detected in its text.

A positive point with concrete content, an actionable improvement suggestion and a meaningful
resource or support need. The HR dialogue audit counts them; the rules live here beside the
vague-comment detectors so that there is one place that reads feedback text.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, Field

from coach.quality.features import IMPROVEMENT_SUGGESTION, affirmed, find_suggestion, sentences

# Praise or achievement that only counts next to something concrete (a number, a date, a
# customer, a deliverable): "表现良好" has no cue here at all, "做得好" alone is not enough.
_POSITIVE_CUES = re.compile(
    r"做得(?:很|非常|特别)?好|值得(?:肯定|表扬)|表现突出|感谢|谢谢|出色|亮点|点赞|及时|主动|提前|按时|成功"
    r"|避免了?|拦截|闭环|缩短|降到|降低了|提升了|提高了|达标|超额|补齐|补了|拿下|签下|解决了|修复了"
    r"|\bwell done\b|\bthanks?\b|\bthank you\b|\bappreciate|\bimpressive\b|\bkudos\b|\bdelivered\b"
    r"|\bimproved\b|\breduced\b|\bshipped\b|\bresolved\b|\bon time\b|\bahead of\b",
    re.IGNORECASE,
)
_CONCRETE = re.compile(
    r"\d|[一二两三四五六七八九十半]+(?:个|次|周|天|条|批|台|家|项|小时|分钟)"
    r"|月|日|周|季度|迭代|版本|上线|客户|项目|会议|工单|投诉|方案|报价|合同|测试|用例|订单|页面|首屏|缺陷"
    r"|回款|续签|知识库|流程|文档|检验|返工|拜访"
    r"|\b(?:customer|client|project|release|meeting|ticket|sprint|deadline|report|demo)\b",
    re.IGNORECASE,
)
_NO_NEED = re.compile(
    r"^(?:无|没有|暂无|暂时没有|不需要|暂不需要|没|none|no|n/?a|nothing|nil|-+|/|—+)[。.!!]?$",
    re.IGNORECASE,
)
# The manager taking on a support request: the answer to a need, not the need itself.
_SUPPORT_OFFER = (
    r"(?:我来|我会|我帮你|帮你|为你|给你)(?:去)?(?:协调|安排|对接|申请|争取)"
    r"|\bI(?:'ll| will)\s+(?:arrange|set up|coordinate|get you|organi[sz]e)\b"
)
_RESOURCE = re.compile(
    r"(?:需要|希望|申请|缺少?|请求).{0,12}?(?:支持|培训|资源|协调|设备|预算|人手|指导|帮助|对接|机会)"
    r"|\bneeds?\b.{0,20}\b(?:support|training|resources?|help|budget|headcount|coaching)\b"
    rf"|{_SUPPORT_OFFER}",
    re.IGNORECASE,
)
_OFFER = re.compile(_SUPPORT_OFFER, re.IGNORECASE)
# A shortfall named or a change of behaviour asked for: what the fairness research counts as
# critical feedback, whether or not it says what to do instead.
_CRITICISM = re.compile(
    r"不够|不足|欠缺|太慢|偏慢|要再|还要|还需|需要改进|有待(?:提高|改进|加强)|不达标|低于预期"
    r"|没有达到|未达到|未达标|延误|粗心|马虎|不到位|不端正|端正|太急|强势"
    r"|\bnot enough\b|\bfell short\b|\bneeds? to improve\b|\bbelow expectations\b"
    r"|\btoo (?:slow|aggressive|abrasive)\b",
    re.IGNORECASE,
)


class Parts(BaseModel):
    """Which of the three required parts a check-in contains."""

    positive: bool = Field(description="≥1 positive point with concrete content.")
    improvement: bool = Field(description="≥1 actionable improvement suggestion.")
    resource: bool = Field(description="≥1 meaningful resource or support need.")

    @property
    def complete(self) -> bool:
        """All three parts are present."""
        return self.positive and self.improvement and self.resource


def has_positive_point(text: str) -> bool:
    """A praise or achievement cue, not negated, in a sentence with concrete content."""
    return any(affirmed(_POSITIVE_CUES, s) and _CONCRETE.search(s) for s in sentences(text))


def has_improvement(text: str) -> bool:
    """A suggestion cue followed by something to actually do."""
    return find_suggestion(text, IMPROVEMENT_SUGGESTION)[1]


def has_resource_need(support_needed: str, *texts: str) -> bool:
    """A meaningful support_needed field, or a resource need stated in the dialogue."""
    need = support_needed.strip()
    if need and not _NO_NEED.match(need) and len(need) >= 4:
        return True
    return any(_RESOURCE.search(t) for t in (need, *texts) if t)


def has_criticism(text: str) -> bool:
    """The text names a shortfall or asks for a change: a criticism cue or an improvement suggestion."""
    return bool(_CRITICISM.search(text)) or has_improvement(text)


def offers_support(text: str) -> bool:
    """The text commits the writer to arranging support ("我来协调", "I'll arrange")."""
    return bool(_OFFER.search(text))


def dialogue_parts(
    *, feedback: str, next_actions: str, support_needed: str, employee_comment: str, obstacles: str
) -> Parts:
    """The positive point, improvement suggestion and resource need of one check-in's texts."""
    return Parts(
        positive=has_positive_point(feedback),
        improvement=has_improvement(feedback) or has_improvement(next_actions),
        resource=has_resource_need(support_needed, employee_comment, feedback, obstacles),
    )
