"""Phrase patterns and advice texts of the vague-comment check.

Patterns describe *kinds* of wording (stock praise, generic criticism, labels, absolutes,
personal traits) rather than sentences from any data set, so they carry over to new writers.
"""

from __future__ import annotations

import re

_ADV = r"(?:很|非常|十分|特别|比较|较|挺|相当|极其|超|蛮|还|更|最|都|也|真|太)?"
_ZH_GOOD = (
    r"(?:好|棒|不错|良好|优秀|出色|突出|积极|认真|端正|扎实|强|到位|满意|可以|还行|给力|靠谱"
    r"|细致|用心|踏实|稳定|专业|高效|顺畅|融洽|稳重|过硬|过关|高|优良|优异|合格|称职|漂亮|稳)"
)
_ZH_ASPECT = (
    r"(?:工作|表现|态度|能力|业务|技术|服务|沟通|执行力?|学习能力|团队合作|协作|配合度?|整体|总体"
    r"|各方面|综合素质|专业能力|业务能力|工作态度|服务意识|责任心|执行|效率|质量|状态|完成情况"
    r"|代码质量|组织能力|管理|设计感|审美|思路|领导力|潜力|成长|进步)"
)

# Stock praise: words that could be written about anyone without knowing what they did.
ZH_PRAISE = [
    _ZH_ASPECT + r"\s*" + _ADV + _ADV + _ZH_GOOD + r"+",
    r"(?:做得|干得|完成得|处理得|维护得)" + _ADV + _ZH_GOOD,
    r"再接再[厉厲]",
    r"继续(?:努力|保持|加油|发扬|冲鸭?|前进|进步)",
    r"繼續(?:努力|保持|加油)",
    r"(?:好好干|加油|辛苦(?:了|啦)?|棒棒哒?)",
    r"值得(?:肯定|表扬|学习|信赖|培养|认可)",
    r"(?:认真负责|認真負責|踏实肯干|任劳任怨|兢兢业业|恪尽职守|一丝不苟|井井有条|吃苦耐劳|尽职尽责"
    r"|有声有色|可圈可点|中规中矩|实至名归|不可或缺|乐于助人|乐于分享|团结同事|顾全大局|善于思考"
    r"|积极向上|积极主动|積極|正能量|开拓进取|戒骄戒躁|再创佳绩|扬长避短|全面提升|严格要求自己"
    r"|发挥更大作用|更上一层楼|越来越好|没得说|没什么要说的|符合预期|超出预期|令人满意)",
    r"(?:很|非常|十分|挺|蛮|还)(?:好|棒|不错|优秀|出色|给力|靠谱|认真|努力|用心|拼|满意|欣慰|放心)",
    r"(?:有|富有|具有|具备)(?:较强的|很强的|强烈的|一定的)?(?:责任心|担当|想法|干劲|潜力|冲劲|热情"
    r"|团队精神|服务意识|学习能力|执行力|创意|发展潜力|综合素质)",
    r"(?:责任心|执行力|学习能力|服务意识|事业心|上进心)\s*" + _ADV + r"强",
    r"(?:好|优秀的?)(?:帮手|员工|同事|队友|伙伴|榜样)",
    r"(?:技术|业务)?大牛",
    r"(?:得到|获得)了?(?:领导和同事的?|大家的?|同事的?|客户的?)?(?:一致)?(?:好评|认可|肯定|表扬)",
    r"(?:较好|很好|按时|认真)地?完成(?:了)?(?:领导)?(?:交办|安排)?的?(?:各项)?(?:工作)?任务",
    r"(?:本职工作|岗位职责|各项工作|各项任务)",
    r"符合(?:岗位|公司|职位|团队)?的?(?:要求|预期|标准)|胜任(?:本职)?(?:工作|岗位)?|没(?:啥|什么)?大?问题",
    r"(?:经验丰富|能力出众|业务精通|人品好|人不错|很稳|挺稳)",
    r"(?:进步|提升|成长)(?:很大|明显|很快|显著)",
    r"争取(?:更好|更大)的?(?:成绩|业绩|进步|表现|result)?",
    r"(?:取得|创造)更好的?(?:成绩|业绩)",
    r"(?:充满|饱满的?)(?:工作)?热情",
    r"(?:表现|表現)(?:良好|不错|优秀|出色|稳定|很好|一般)",
    r"(?:满分|五星好评?|好评)",
    r"(?<![很挺还真])不错|还行|还可以",
    r"(?:客户|顾客|大家|同事)(?:都|反馈|评价|都说)+(?:还|挺|很)?(?:不错|好|喜欢(?:她|他)?)",
    r"(?:很|非常)?(?:认可|欣慰|放心|满意(?!度|率))",
    r"(?:靠谱|給力|给力|(?<!点)赞)",
]
EN_PRAISE = [
    r"\b(?:good|great|nice|excellent|awesome|amazing|fantastic|solid|outstanding|grate|top)"
    r"\s+(?:job|work|performance|performer|contributor|year|effort|attitude|team\s*player|stuff"
    r"|results?|teammate|colleague|person|guy|hire|manager|leader|quarter|communicator)\b",
    r"\b(?:rock\s?star|superstar|all-star|no\s+concerns|no\s+complaints)\b",
    r"\bwell\s+done\b",
    r"\bkeep\s+(?:it\s+up+|up\s+the\s+good\s+work|going|pushing|growing)\b",
    r"\bkilling\s+it\b",
    r"\b(?:a\s+)?(?:real|true|great)?\s*team\s+player\b",
    r"\bhard[-\s]?work(?:ing|er)\b",
    r"\b(?:very\s+|always\s+|really\s+)?(?:reliable|dependable|talented|smart|dedicated|conscientious"
    r"|thorough|professional|detail[-\s]oriented|supportive|thoughtful)\b",
    r"\b(?:meets|exceeds|exceeded|met|exceed)\s+expectations?\b",
    r"\b(?:consistently|always)\s+(?:exceeds|delivers|goes\s+the\s+extra\s+mile)\b",
    r"\bgo(?:es)?\s+the\s+extra\s+mile\b",
    r"\b(?:a\s+)?(?:pleasure|joy)\s+to\s+work\s+with\b",
    r"\b(?:an?\s+)?(?:valued|true|real|great)\s+(?:asset|member|contributor)(?:\s+(?:to|of)\s+the\s+team)?\b",
    r"\b(?:positive|great|good|can-do)\s+(?:attitude|energy|spirit)\b",
    r"\bstrong\s+(?:communicator|leader|performer|year|leadership\s+potential)\b",
    r"\b(?:doing|did)\s+(?:well|great|good)\b",
    r"\b(?:proud\s+of|love\s+(?:her|him|it)|gets\s+things\s+done|on\s+the\s+right\s+track)\b",
    r"\bbright\s+future\b",
    r"\b(?:very\s+)?(?:nice|good|great|solid|strong|excellent)\b",
    r"\bcommitment\s+to\s+excellence\b",
]
ZH_CRITICISM = [
    r"(?:有待|需要|需|要|还需|还要|还需要|仍需|必须|亟待|要多|需多)(?:进一步)?(?:再)?"
    r"(?:提高|加强|提升|改善|改进|努力|注意|下功夫|学习|锻炼|反思|精进|改善|加把劲|细心|上心|成熟)"
    r"(?:一下|一点)?",
    r"有待(?:提高|加强|提升|改善|改进|提搞|加強)",
    r"(?:不够|不太|不是很|缺乏|欠缺|没有)(?:积极|主动|细心|仔细|专业|成熟|好|认真|深入|清晰|到位|强|高"
    r"|理想|满意|靠谱|全面|大气|用心|努力|担当|全局观|进取心|上进心|责任心|ownership|deep)",
    r"(?:一般般?|还行吧|不理想|不太理想|差强人意|不尽如人意|有差距|差一些|差一点|还差一点|不满意"
    r"|不太满意|拖后腿|不靠谱|态度有问题|问题比较多|有好有坏|有提升空间|存在一些不足|不足之处|有些不足)",
    r"(?:能力|效率|质量|水平|业绩|结果|表现|执行|意识)\s*"
    + _ADV
    + r"(?:不高|偏低|低|差|弱|一般|不足|欠缺)",
    r"(?:加把劲|多下功夫|多学习|多锻炼|要反思|多想想|多上心|细心点|注意一下)",
    r"(?:很大|较大|一定的?|不少)?(?:提升|进步|改进|成长|上升)空间",
    r"(?:状态|业绩|表现|积极性)\S{0,2}(?:下滑|下降|退步|不稳定?)",
    r"(?:做事|工作|干活)?(?:太|有点|比较)?(?:毛躁|马虎|粗心|浮躁|拖拉|拖沓|敷衍)",
    r"(?:建议|希望|要)?多(?:沟通|学习|思考|总结|交流|请教|跟进|反思|主动)",
    r"(?:加强|提高|提升)(?:学习|自己|自身|自我)|听不进(?:意见|建议)?",
    r"(?:做得|做的)?不(?:够|太)?(?:好|到位)",
]
EN_CRITICISM = [
    r"\bneeds?\s+(?:to\s+)?(?:improve\w*|improvement|work|step\s+up|speed\s+up"
    r"|be\s+more(?:\s+of\s+an?)?\s+[\w-]+)",
    r"\bcould\s+be\s+more\s+[\w-]+",
    r"\bneeds?\s+improove\b",
    r"\bcould\s+(?:do|be)\s+(?:better|cleaner|improved)\b",
    r"\b(?:there\s+is\s+)?room\s+for\s+improvement\b",
    r"\bnot\s+(?:good\s+enough|where\s+it\s+should\s+be|meeting\s+(?:the\s+)?\w+|up\s+to\s+\w+)\b",
    r"\black(?:s|ing)?\s+(?:ownership|initiative|focus|drive|urgency)\b",
    r"\b(?:underperform\w*|disappointing|below\s+expectations?|inconsistent|mediocre)\b",
    r"\bmust\s+try\s+harder\b",
    r"\bstep\s+up\b",
    r"\b(?:more\s+focus|better\s+follow-through|ups\s+and\s+downs)\b",
    r"\bnot\s+always\s+(?:been\s+)?consistent\b",
]
ZH_LABEL = [
    r"(?:太|比较|有点|有些|过于|很|非常)?(?:内向|木讷|孤僻|强势|傲慢|情绪化|急躁|张扬|懒散|懒惰|佛系|高冷"
    r"|清高|自私|矫情|小心眼|玻璃心|慢性子|急性子|死板|自负|自大)",
    # Ambiguous words count as labels only with a degree word in front ("太自我", not "突破自我").
    r"(?:太|比较|有点|有些|过于|人|人很|很)(?:自我|敏感|软弱|固执|冲动|消极|计较|老实|轴|懒|急|闷|慢)",
    r"性格(?:太|有点|比较|很)?(?:急|差|怪|孤僻|软弱|直|内向|强势|不好)",
    r"情商(?:有点|比较|太)?(?:低|不高|不够)",
    r"脾气(?:不好|差|大|急|太大)",
    r"不合群|不够外向|直来直去|斤斤计较|爱计较|难相处|没有进取心|拖延症|心态不好|格局不够大?|格局小"
    r"|不够大气|负能量|容易得罪人",
]
EN_LABEL = [
    r"\b(?:too\s+|very\s+|a\s+bit\s+|quite\s+|so\s+)?(?:abrasive|introvert(?:ed)?|lazy|arrogant|stubborn"
    r"|pushy|moody|bossy|selfish|rude|timid|hot-headed|closed-minded|high-maintenance)\b",
    # Words with innocent uses ("difficult customer") count only when said of the person.
    r"\b(?:is|was|'s|are|being|be|seems?|too|very|so|quite|just|a\s+bit|kind\s+of)\s+(?:too\s+)?"
    r"(?:emotional|negative|passive|difficult|aggressive|shy|cold|sensitive)\b",
    r"\bdrama\s+queen\b",
    r"\bnot\s+(?:a\s+)?people\s+person\b",
    r"\bbad\s+attitude\b",
    r"\bhard\s+to\s+work\s+with\b",
    r"\bnot\s+open-minded\b",
]
ZH_ABSOLUTE = [
    r"总是|總是|从不|從不|从来(?:不|没有?)?|永远|永遠|每次都|一直都|向来|始终|任何时候|绝不|每一次都|从未",
]
EN_ABSOLUTE = [
    r"\b(?:always|never|constantly|every\s+single\s+time|all\s+the\s+time|without\s+exception)\b",
]
ZH_BIAS = [
    r"小姑娘|女孩子|小女生|女生|女同志|女人|男人|小伙子|男孩子|宝妈|老同志|老员工了",
    r"作为(?:一个)?(?:女|男)(?:生|人|性|孩子|同志)?",
    r"年纪(?:大|轻|小)了?|岁数大|年龄(?:大|偏大)|快退休|(?<![0-9])(?:[5-9]0|[5-9]5|00|05)后",
    r"(?:刚)?生(?:完)?(?:孩子|娃|二胎)|产假|怀孕|孕期|哺乳期|有娃|带孩子|结婚|已婚|未婚|离异|家里事多",
    r"长得|长相|颜值|形象好|身材|(?:人|她|他)(?:很|挺|真|比较)?(?:漂亮|帅)|(?:人|她|他)(?:有点|太|比较)?胖|矮",
]
EN_BIAS = [
    r"\bfor\s+a\s+(?:woman|girl|guy|man|lady|mother|mom)\b",
    r"\bas\s+a\s+(?:woman|new\s+mom|mother|mom|girl)\b",
    r"\b(?:young\s+lady|new\s+mom|maternity|pregnan\w*|getting\s+old|too\s+old|too\s+young|old\s+and\s+slow)\b",
    r"\b(?:for\s+)?someone\s+(?:his|her)\s+age\b|\b(?:his|her)\s+age\b",
    r"\bpretty\b(?!\s+(?:good|well|much|bad|solid|strong|quick|fast|slow|sure|often|close|hard))",
    r"\b(?:nice\s+smile|good-looking|attractive|her\s+looks|his\s+looks)\b",
    r"\b(?:married|has\s+kids|with\s+kids|family\s+commitments)\b",
]
SCORE = [
    # A score a customer or survey gave is a measured result, not a manager's bare verdict.
    r"(?<!客户)(?<!回访)(?<!满意度)(?<!用户)(?:打|给|评|得)(?:个|了)?\s*\d+(?:\.\d+)?\s*分(?!钟|種|种)",
    r"^\s*\d+(?:\.\d+)?\s*分(?!钟)",
    r"\d+(?:\.\d+)?\s*分(?:的努力|的态度)",
    r"\b\d+(?:\.\d+)?\s*/\s*(?:5|10|100)\b",
    r"\d\s*(?:星|stars?)\b|五星",
    r"\b110\s*%|\b100\s*%(?=\s*(?:满意|effort|recommend|的?努力|投入|认可|of\s+the\s+time))",
    r"(?:rating|rated|scored|score|评分|得分|评级|打分)\s*[::]?\s*(?:\d+(?:\.\d+)?|[A-DS][+-]?)",
    r"\b[A-DS][+-](?=\s|$|[,.!,。!])|给个\s*[A-DS][+-]?",
    r"(?:给|打)(?:个|了)?\s*满分",
    r"\b\d+\s*out\s+of\s+\d+\b",
    r"第一名的",
]
# Whole-comment non-answers with a little variation ("同意主管意见", "暂时没有").
TEMPLATE_PATTERN = re.compile(
    r"(?:同意|赞同|认同|附议)(?:上级|主管|经理|领导|以上|楼上|上述)?的?(?:意见|评价|看法|评语)?"
    r"|(?:暂时|目前)?(?:无|没有|暂无|没)(?:意见|补充|建议|问题|评价|其他)?|(?:好|行|嗯|收到|已阅)+"
    r"|(?:ok|okay|fine|yes|agree[ds]?|noted|none|nothing(?:\s*to\s*add)?|no\s*comments?|n/?a|tbd|nil)"
)
"""Matched against the comment with spaces and punctuation removed."""
TEMPLATE_TEXTS = frozenset(
    (
        *(
            "同意",
            "无",
            "暂无",
            "没有",
            "无意见",
            "同上",
            "已阅",
            "略",
            "好",
            "好的",
            "可以",
            "一般",
        ),
        *("收到", "知道了", "无补充", "同意上级意见", "同意上级", "已审阅", "ok的", "n/a无"),
        *("ok", "okay", "n/a", "na", "none", "no", "no comment", "agree", "agreed", "noted"),
        *("tbd", "same as above", "as above", "nil", "-", "/"),
    )
)

# Words that make a generic remark negative, to name a fallback finding's category.
NEGATIVE_CUE = re.compile(
    r"不(?!错|少|断|管)|差|低|欠缺|缺乏|需|有待|拖|没(?!啥问题|什么问题|问题)|问题|空间|下滑|建议|多\w|迟到|慢"
    r"|\b(?:not|needs?|lack\w*|poor|bad|could|should|must|late|miss\w*|slow|weak)\b",
    re.IGNORECASE,
)


def _compile(patterns: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


PATTERNS: dict[str, tuple[re.Pattern[str], re.Pattern[str]]] = {
    "personality_label": (_compile(ZH_LABEL), _compile(EN_LABEL)),
    "score_without_evidence": (_compile(SCORE), _compile(SCORE)),
    "vague_criticism": (_compile(ZH_CRITICISM), _compile(EN_CRITICISM)),
    "vague_praise": (_compile(ZH_PRAISE), _compile(EN_PRAISE)),
    "absolute_language": (_compile(ZH_ABSOLUTE), _compile(EN_ABSOLUTE)),
    "possible_bias": (_compile(ZH_BIAS), _compile(EN_BIAS)),
}
"""(Chinese, English) pattern per category; earlier categories win overlapping vague spans."""

ADVICE: dict[str, dict[str, tuple[str, str]]] = {
    "vague_praise": {
        "zh": (
            "泛泛的表扬,没有说明对方具体做了什么。",
            "补充一个具体事例:什么情境下做了什么,带来了什么结果。",
        ),
        "en": (
            "Generic praise that does not say what the person actually did.",
            "Add one concrete example: the situation, what they did, and the result it had.",
        ),
    },
    "vague_criticism": {
        "zh": (
            "笼统的批评,对方不知道具体要改什么。",
            "指出一次具体的行为及其影响,并给出下次可以怎么做。",
        ),
        "en": (
            "Vague criticism: the person cannot tell what to change.",
            "Name one specific instance and its impact, and say what to do differently next time.",
        ),
    },
    "personality_label": {
        "zh": (
            "这是性格标签,不是可观察的行为。",
            "改为描述具体行为:在什么场合说了或做了什么,对工作产生了什么影响。",
        ),
        "en": (
            "A personality label, not observable behaviour.",
            "Describe what they said or did, in which situation, and how it affected the work.",
        ),
    },
    "empty_template": {
        "zh": (
            "空白或模板化的回复,没有反馈内容。",
            "至少写一条做得好的具体事例、一条改进建议和一项需要的支持。",
        ),
        "en": (
            "An empty or boilerplate reply with no feedback in it.",
            "Write at least one concrete strength, one improvement suggestion and one support need.",
        ),
    },
    "score_without_evidence": {
        "zh": (
            "只有分数或评级,没有说明依据。",
            "说明打分依据:哪些具体成果或行为支撑这个分数。",
        ),
        "en": (
            "A score or rating without the evidence behind it.",
            "Say which concrete results or actions justify the rating.",
        ),
    },
    "absolute_language": {
        "zh": (
            "绝对化的表述(总是/从不)容易引起争辩。",
            "换成具体的次数和时间,例如“最近三次周会中有两次……”。",
        ),
        "en": (
            "Absolute words (always/never) invite argument rather than change.",
            "Replace them with how often and when, e.g. 'in two of the last three stand-ups…'.",
        ),
    },
    "possible_bias": {
        "zh": (
            "涉及性别、年龄、家庭状况或外貌,与工作表现无关,可能带有偏见。",
            "删去与工作无关的个人特征,只评价可观察的工作行为和结果。",
        ),
        "en": (
            "Refers to gender, age, family status or appearance, which is unrelated to performance.",
            "Remove personal characteristics; comment only on observable work and results.",
        ),
    },
}
