"""Phrase patterns and advice texts of the vague-comment check.

Patterns describe *kinds* of wording (stock praise, generic criticism, labels, absolutes,
personal traits) rather than sentences from any data set, so they carry over to new writers.
"""

from __future__ import annotations

import re

_ADV = r"(?:很|非常|十分|特别|比较|较|挺|相当|极其|超|蛮|还|更|最|都|也|真|太)?"
_ZH_GOOD = (
    r"(?:好|棒|不错|良好|优秀|出色|突出|积极|认真|端正|扎实|强|到位|满意|可以|还行|给力|靠谱"
    r"|细致|用心|踏实|稳定|专业|高效|顺畅|融洽|稳重|过硬|过关|高|优良|优异|合格|称职|漂亮|稳|亮眼|抢眼)"
)
_ZH_ASPECT = (
    r"(?:工作|表现|态度|能力|业务|技术|服务|沟通|执行力?|学习能力|团队合作|协作|配合度?|整体|总体"
    r"|各方面|综合素质|专业能力|业务能力|工作态度|服务意识|责任心|执行|效率|质量|状态|完成情况"
    r"|代码质量|组织能力|管理|设计感|审美|思路|领导力|潜力|成长|进步)"
)

# Stock praise: words that could be written about anyone without knowing what they did.
ZH_PRAISE = [
    r"履职尽责|团结同志|廉洁自律|廉洁自持|恪遵法令|勇于承担|敢于担当|作风务实|以人民为中心|奋发有为|圆满完成|功不可没",
    r"(?:都|全)?看在眼里|达到(?:了)?(?:标准|要求)|符合(?:标准|要求)",
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
    r"(?:展现|展示|表现|体现|彰显)(?:出)?了?[\u4e00-\u9fff]{0,12}?(?:功底|精神|素养|能力|态度|水平|潜力|热情|风采|作风)",
    # Numbers that measure devotion, not a result: "100%的投入", "365天在线".
    r"\d+\s*[%％]\s*的?(?:投入|热情|努力|付出|精力|用心|专注|认真)",
    r"(?:一年)?365天(?:都|全年)?(?:在线|无休)?|随叫随到|24\s*小时(?:在线|待命)|全年无休",
    # First-person self-appraisal boilerplate: the year, the role and the resolutions, no deed.
    r"本人(?:自|从)?入职以来|自入职以来|(?:在)?过去的?一年(?:中|里|来|间)|作为一名[\u4e00-\u9fff]{1,6}?(?=[,,、我])",
    r"虚心地?(?:向[\u4e00-\u9fff]{1,6}?)?(?:请教|学习)[\u4e00-\u9fff]{0,6}|(?:较快|很快|迅速)地?适应了?"
    r"[\u4e00-\u9fff]{0,6}",
    r"坚持原则|依法依规(?:办事)?|爱岗敬业|服从(?:上级)?安排|团结(?:协作|同事)|严谨细致|细致认真|认真细致",
    r"(?:认真|努力|用心)(?:对待|做好|履行|学习|贯彻(?:落实)?|服务好?)(?:好)?[\u4e00-\u9fff]{0,4}?"
    r"(?:每一[\u4e00-\u9fff]{1,4}|各项[\u4e00-\u9fff]{0,4}|[\u4e00-\u9fff]{0,8}?(?:职责|工作|制度|流程|部署"
    r"|任务|规定))",
    r"(?:今后|新的一年里?|来年|以后)(?:我)?(?:将|会|要)?(?:继续|进一步|不断)?(?:加强|努力|提升|提高|改进|学习)"
    r"[\u4e00-\u9fff]{0,6}",
    r"圆满地?完成了?[\u4e00-\u9fff]{0,10}?(?:任务|工作|指标)|不断(?:加强|提高|提升|学习|改进)[\u4e00-\u9fff]{0,8}",
    r"积极(?:参与|参加|配合)[\u4e00-\u9fff]{0,10}?(?:活动|工作|安排|部署)",
]
EN_PRAISE = [
    r"\b(?:above\s+and\s+beyond|upheld\s+the\s+values|(?:positive|healthy|supportive)\s+work\s+environment"
    r"|energy\s+and\s+positivity|customer[- ]first\s+mindset|integrity,?\s+(?:and\s+)?diligence"
    r"|both\s+personally\s+and\s+professionally|continuous\s+improvement|with\s+professionalism\s+and\s+dedication)\b",
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
    r"\bstep(?:ped|s|ping)?\s+up\b|\bown(?:ed|s)\s+(?:her|his|their)\s+(?:area|work|space|role)\b",
    r"\b(?:very\s+)?(?:nice|good|great|solid|strong|excellent)\b",
    r"\bcommitment\s+to\s+excellence\b",
    r"\bcompleted\s+all\s+(?:assigned\s+|of\s+(?:her|his|their)\s+)?(?:tasks|work|assignments)"
    r"(?:\s+on\s+time)?|\bme(?:t|ets)\s+(?:every|all)\s+(?:of\s+)?(?:her\s+|his\s+|the\s+)?deadlines?\b",
    r"\bw(?:on|ins)\s+the\s+(?:trust|respect|confidence|hearts?)\s+of\b|\bst(?:ood|ands)\s+out\b",
    r"\b(?:kept|keeps|keep)\s+the\s+team\s+(?:motivated|engaged|going|focused)\b"
    r"|\bput(?:s)?\s+in\s+(?:a\s+lot\s+of|great|real|extra)\s+effort\b",
    r"\bled\s+the\s+team\s+through\s+(?:a\s+)?(?:challenging|difficult|tough|busy)\s+\w+"
    r"|\bwith\s+grace\b|\btook\s+(?:the\s+)?initiative\b",
    r"\bhit\s+all\s+(?:of\s+)?(?:her|his|their|the)?\s*(?:targets|goals|numbers)\b",
    r"\b(?:an?\s+)?(?:important|integral|key|vital|essential)\s+part\s+of\s+(?:our|the)\s+(?:success|team)\b",
    r"\bpositive\s+(?:mindset|outlook)\b|\b(?:always\s+)?looking\s+for\s+ways\s+to\s+improve\b",
    r"\bwillingness\s+to\s+(?:help|learn)\b|\b(?:consistently\s+|very\s+)?impressed\s+(?:by|with)\b",
    r"\ball\s+good\b",
    r"\b(?:fantastic|wonderful|great|amazing|brilliant|terrific|incredible|superb|awesome)\s+(?:energy"
    r"|presence|vibes?|spirit|enthusiasm|contributions?|support|efforts?|attitude|impact)\b",
    r"\bperform(?:ed|s|ing)?\s+(?:satisfactorily|adequately|admirably|well|strongly|consistently)\b"
    r"|\b(?:demonstrat|show|display|exhibit)\w*\s+(?:appropriate|acceptable|good|professional)\s+(?:conduct"
    r"|behaviou?r|judg(?:e)?ment)\b|\bagainst\s+(?:the\s+)?role\s+requirements\b",
    # Workplace buzzwords carry praise, not a fact, in English and inside Chinese sentences alike.
    r"\b(?:proactive(?:ly)?|customer[- ]centric|growth\s+mindset|level\s+up|go-to\s+(?:person|guy|girl)"
    r"|10x\s+engineer|self[- ]starter|synerg(?:y|ies)|high[- ]impact|impactful|thought\s+leader(?:ship)?"
    r"|(?:strong|great|good|real)\s+(?:sense\s+of\s+)?ownership|ownership\s*(?:意识|精神|感)"
    r"|owner\s*意识|(?:很|非常|更|超)有\s*(?:impact|ownership|sense|energy|passion|drive))",
    r"\b(?:really\s+)?made\s+a\s+(?:real\s+|big\s+|huge\s+)?difference\b"
    r"|\blift(?:ed|s)?\s+(?:everyone|everybody|the\s+team|the\s+room|(?:our|the\s+team's)\s+spirits)\b",
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
    # Advice that names no concrete step: "建议多参加培训,提升沟通能力".
    r"(?:建议|希望|要|需要|今后|以后|下一步)?(?:多|要多)(?:参加|参与|看看|看|学习|了解|关注|和[\u4e00-\u9fff]{1,4}沟通)"
    r"[\u4e00-\u9fffA-Za-z ]{0,8}?(?:培训|课程|报告|书|知识|新技术|技术|行业|沟通|分享|活动)?",
    r"(?:提升|提高|加强|增强|锻炼)(?!了)(?:自己|自身|个人)?的?[\u4e00-\u9fffA-Za-z ]{0,8}?"
    r"(?:能力|意识|水平|素质|技能|sense|skills?|质量|效率|成单率|业绩)",
    r"(?:更加|更)(?:细心|主动|积极|用心|认真|努力|专注|严谨)",
    r"(?:减少|避免)(?:失误|错误|出错)",
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
    r"\b(?:consider|try|recommend|suggest)\s+(?:taking\s+|attending\s+|doing\s+)?(?:some\s+|more\s+|a\s+)?"
    r"(?:training|courses?|workshops?)\b",
    r"\bimprove\s+(?:your\s+|his\s+|her\s+)?(?:communication|time\s+management|leadership"
    r"|presentation|people)\s*(?:skills?)?\b|\bto\s+improve\s+(?:your|his|her)\s+\w+\s+skills\b",
    r"\b(?:try\s+to\s+)?be\s+more\s+(?:proactive|organi[sz]ed|responsive|careful|confident|strategic)\b",
    r"\btake\s+more\s+ownership\b|\bcould\s+have\s+been\s+better\b|\bhas\s+struggled\b",
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
    # A nickname of praise is a label too: "我们组的灵魂人物", "部门的「宝藏」".
    r"(?:我们|咱们)?(?:组|部门|团队|公司|科室|班组|店|项目组)?(?:里|里面)?的?[\"“「『']?(?:宝藏|灵魂人物|顶梁柱|大神|天花板"
    r"|福星|救星|开心果|定海神针|主心骨|万金油|老黄牛|活雷锋|拼命三郎)[\"”」』']?",
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
    # Work handed out or withheld by gender: "女同事喝酒不行", "还是安排男同事去".
    r"(?:女|男)(?:同事|员工|下属|职员)(?=[^,,。;;]{0,12}(?:不行|不适合|不方便|吃不消|干不了|不能|不会|不够))"
    r"|(?:安排|让|派|找|招)(?:个|一个)?(?:男|女)(?:同事|员工|的|生)",
    r"年纪(?:大|轻|小)了?|岁数大|年龄(?:大|偏大)|快退休|(?<![0-9])(?:[5-9]0|[5-9]5|00|05)后",
    r"(?:刚)?生(?:完)?(?:孩子|娃|二胎)|产假|怀孕|孕期|哺乳期|有娃|带孩子|结婚|已婚|未婚|离异|家里事多",
    r"长得|长相|颜值|形象好|身材|(?:人|她|他)(?:很|挺|真|比较)?(?:漂亮|帅)|(?:人|她|他)(?:有点|太|比较)?胖|矮"
    r"|胖(?:一点|点|乎乎)?的|胖子|姑娘|订婚|婚礼|新婚|蜜月|要结婚",
    r"(?:快|都|已经)?[三四五六七]十(?:多|几)?岁?了|年轻人|太年轻|单亲|宝爸|二胎|备孕|坐月子|已育|婚育|生育",
    r"少数民族|民族|宗教|信仰|信教|穆斯林|基督徒|佛教徒|外地人|农村来的|口音|外地户口|户籍|农村户口",
    # Religious dress or practice: "戴头巾", "做礼拜".
    r"头巾|面纱|包头|十字架|清真|斋月|做礼拜|念经",
    r"残疾|残障|身体(?:一直)?不(?:太)?好|经常请病假|病号|抑郁|精神(?:有)?问题|慢性病",
]
EN_BIAS = [
    r"\bfor\s+a\s+(?:woman|girl|guy|man|lady|mother|mom)\b",
    r"\bas\s+a\s+(?:woman|new\s+mom|mother|mom|girl)\b",
    r"\b(?:young\s+lady|new\s+mom|maternity|pregnan\w*|getting\s+old|too\s+old|too\s+young|old\s+and\s+slow)\b",
    r"\b(?:for\s+)?someone\s+(?:his|her)\s+age\b|\b(?:his|her)\s+age\b",
    r"\bpretty\b(?!\s+(?:good|well|much|bad|solid|strong|quick|fast|slow|sure|often|close|hard))",
    r"\b(?:nice\s+smile|good-looking|attractive|her\s+looks|his\s+looks)\b",
    r"\b(?:married|has\s+kids|with\s+kids|family\s+commitments|got\s+engaged|just\s+engaged|engagement\s+ring"
    r"|wedding(?!\s+(?:party|parties|banquet|reception|guests?|booking|event))|honeymoon|(?:her|his)\s+(?:husband|wife|fianc[ée]e?|boyfriend|girlfriend))\b",
    r"\b(?:(?:close\s+to|near(?:ing)?|almost\s+at)\s+retirement(?:\s+age)?|retirement\s+age)\b",
    r"\b(?:mom|mum|mother|father|dad)\s+of\s+(?:two|three|four|\d|young)\b",
    r"\b(?:single\s+(?:mom|mum|mother|dad|parent)|she'?s\s+pregnant|young\s+and\s+energetic"
    r"|religio\w*|ethnic\w*|hijab|headscarf|head\s+scarf|turban|yarmulke|kippah|burqa|niqab"
    r"|disabilit\w*|disabled|wheelchair|his\s+accent|her\s+accent"
    r"|too\s+old|old\s+for|health\s+(?:issues|problems)|sick\s+leave|mental\s+health)\b",
]
SCORE = [
    # A score a customer or survey gave is a measured result, not a manager's bare verdict.
    r"(?<!客户)(?<!回访)(?<!满意度)(?<!用户)(?:打|给|评|得)(?:个|了)?\s*\d+(?:\.\d+)?\s*分(?!钟|種|种)",
    r"^\s*\d+(?:\.\d+)?\s*分(?!钟)",
    r"\d+(?:\.\d+)?\s*分(?:的努力|的态度)",
    r"\b\d+(?:\.\d+)?\s*/\s*(?:5|10|100)\b(?:,?\s*(?:up|down)\s+from\s+\d+(?:\.\d+)?)?",
    r"(?:给你|给他|给她)?打\s*\d(?:\.\d+)?(?=\s*[,,。;;!!\s]|$)",
    r"\brated\s+(?:as\s+)?(?:outstanding|exceeds|exceptional|meets|excellent|good|satisfactory|strong|solid)\b",
    r"\d\s*(?:星|stars?)\b|五星",
    r"\b110\s*%|\b100\s*%(?=\s*(?:满意|effort|recommend|的?努力|投入|认可|of\s+the\s+time))",
    # An appraisal grade with its scale: "绩效评定B+", "综合评价3.5分", "rating: 3 out of 5".
    r"(?:\b(?:rating|rated|scored|score)|评分|得分|评级|打分|评定|考评|考核结果|考核等级|绩效等级|等级|评价|评为|考核)"
    r"\s*(?:为|是|系)?\s*[::]?\s*(?:\d+(?:\.\d+)?\s*(?:分(?!钟)|(?:out\s+of|/)\s*\d+)?|[A-DS][+-]?(?![A-Za-z]))",
    # A grade word as the whole verdict: "综合评价为称职", "考核结果:合格".
    r"(?:评价|评定|考评|考核结果|考核等级|考核|评为|定为)\s*(?:为|是)?\s*[::]?\s*(?:基本)?(?:称职|合格|良好|优秀|胜任|达标|优等|甲等|乙等"
    r"|不称职|不合格|需改进|待改进)",
    r"\b[A-DS][+-](?=\s|$|[,.!,。!])|给个\s*[A-DS][+-]?",
    r"(?:给|打)(?:个|了)?\s*满分|给(?:个|你|他|她)?\s*\d+(?:\.\d+)?(?=\s*(?:吧|啊|呀|了|分)|\s*[。,,!!]|\s*$)",
    r"(?:报|给|评|打|定)(?:个|了|为)?\s*(?:基本)?(?:称职|合格|胜任|达标)(?=[吧了啊。,,!!\s]|$)|系数\s*\d+(?:\.\d+)?",
    r"\b(?:CSAT|NPS|AHT|FCR|KPIs?|OKRs?|QA\s+score)\s*(?:score\s*)?(?:of\s*|at\s*|[:=]\s*)?\d+(?:\.\d+)?\s*%?"
    r"|\b(?:AHT|CSAT|KPIs?)\s+(?:within|above|below|on)\s+target\b|(?:^|[.:]\s*)(?:Meets|Exceeds)\.?\s*$",
    r"\b\d+\s*out\s+of\s+\d+\b",
    r"第一名的",
    # A rating dropped into a chatty sentence: "给你打个B+", "总体给个良好吧".
    r"(?:打|给|评)(?:了|个|你|他|她|为)*\s*(?:[A-DS][+-]?(?![A-Za-z])|(?:优秀|良好|合格|及格|中等)(?=[吧了啊。,,!!\s]|$))",
    r"\b(?:put|rate|rated|give|giving|gave)\s+(?:you|him|her|them)\s+(?:at\s+)?(?:an?\s+)?"
    r"(?:\d(?:\.\d)?|[A-D][+-]?)(?![\w.])",
    r"\brating\s*[:：]?\s*(?:meets|exceeds|below|outstanding|strong|solid)\b",
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


# Words that sound like a situation, an object or a consequence while naming none: "在项目推进
# 过程中", "某次项目", "推动了各项工作的开展", "resulting in improved outcomes". They are masked
# like stock phrases, so that only what the comment actually identifies counts as evidence.
_ZH_GENERIC_PLACE = (
    r"(?:项目|工作|团队|会议|客户|沟通|生产|运营|日常|部门|公司|活动|业务|服务|管理|岗位|门店|车间"
    r"|各项|各类|各种|相关|重要|关键|多个|若干|日常工作|过程|期间|方面|环节|节点|领域|场合|任务)"
)
_ZH_ABSTRACT_GAIN = (
    r"(?:水平|效率|氛围|发展|进步|开展|落地|改变|活力|价值|影响|成果|成绩|满意度|质量|进行|成长|优化"
    r"|迭代|能力|业绩|正能量|士气|凝聚力|协作|合作|顺畅|顺利|提升|提高|改善|推进|贡献|作用|效果|保障"
    r"|对齐|共识|统一|收益|效益|回报|增长|稳定性|性能|体验|成本|风险"
    r"|管理水平|服务水平|工作效率|团队氛围|整体水平|积极影响|显著的?价值|很多改变|不少改变)"
)
ZH_PSEUDO = [
    r"某(?:次|个|些|一|段|位|项)[\u4e00-\u9fff]{0,6}",
    r"(?:多个|若干|一些|各类|各项|各种|相关|诸多|许多|不少)(?:重要|关键|大型|核心)?的?\s*"
    r"(?:项目|工作|任务|会议|活动|环节|节点|客户|事务|问题|需求|设计任务|技术难题|难题|场合|举措|模块|系统"
    r"|功能|流程|产品|projects?|tasks?|initiatives?|features?|deliverables|accounts?|deals?|cases?)",
    # An occasion that names no particular one: "在今年的旺季期间", "在这次调整过程中".
    r"(?:在|于)[^,,。;;!!??]{0,10}?(?:期间|过程中|当中)",
    r"(?:在|于)[\u4e00-\u9fff]{0,6}?" + _ZH_GENERIC_PLACE + r"[\u4e00-\u9fff]{0,4}?"
    r"(?:过程中|期间|当中|方面|中|里|上)(?=[,,、\s]|$|[\u4e00-\u9fff])",
    r"(?:推动|带动|促进|提升|提高|带来|改善|优化|加强|增强|助力|保障|确保|降低|减少|节约|节省)(?:了|着)?"
    r"(?:[\u4e00-\u9fffA-Za-z ]{0,16}?的)?[\u4e00-\u9fff]{0,6}?" + _ZH_ABSTRACT_GAIN + r"(?![\d%])",
    r"实现了?(?:显著|明显|较大|大幅|稳步|持续|快速)?的?(?:增长|提升|提高|突破|改善|进步)"
    r"|(?:进一步|不断|持续)(?:优化|提升|完善|改善|提高)|得到了?(?:明显|显著|很大|较大|一定)?的?(?:提升|提高|改善|锻炼)",
    r"贡献了?(?:关键|重要|很大|一份|自己)?的?力量",
    r"(?:发挥|起到)了?(?:很|非常)?(?:重要|关键|积极|一定|很大|骨干|重大|带头|表率|模范|示范|引领)?的?(?:作用|角色)",
    r"(?:做出|作出|贡献)了?(?:很|非常)?(?:重要|一定|很大|突出|积极|显著)?的?贡献",
    r"(?:承担|担任|扮演)了?(?:很|非常)?(?:关键|重要|核心)的?(?:角色|职责|作用)",
    r"中坚力量|骨干作用|中流砥柱|有力保障|顺利(?:进行|开展|推进|交付|完成)|有序开展",
    r"超额完成了?(?:设定|既定|预定|年初|公司|全年|年度|本季度|季度)?的?[\u4e00-\u9fff]{0,4}?(?:目标|任务|指标|业绩)",
    # A completion rate of the scorecard as a whole names no result: "KPI完成率105%".
    r"[\u4e00-\u9fffA-Za-z]{0,8}?(?:完成率|达成率|达标率|完成度|得分率|出勤率|满意度|好评率|合格率)"
    r"(?:达到|达|为|是|均在|均为|均达|都在|都达到)?了?\s*"
    r"\d+(?:\.\d+)?\s*[%％]",
    # Growth of a whole figure against last year or plan names no act: "销售额同比增长20%".
    r"(?:同比|环比|较去年|比去年|较上季度)(?:增长|提升|上升|下降|增加|减少)了?\s*\d+(?:\.\d+)?\s*[%％]",
    r"(?:target|目标|指标|KPI|任务)\s*完成(?:了)?\s*\d+(?:\.\d+)?\s*[%％]",
    # A change with no size and nothing named: "客诉有所减少", "现场管理有一定提高".
    r"有(?:所|一定|些|很大|明显|较大)的?(?:提高|提升|改善|进步|减少|下降|增长|增加|好转|改进)",
    r"维护了?[\u4e00-\u9fff]{0,4}?(?:形象|声誉|利益|口碑|荣誉|稳定|秩序)",
    # Advice to learn more, from anyone, with no say of what: "多向老师傅请教", "取长补短".
    r"多(?:向|跟|和|找)[\u4e00-\u9fff]{1,5}?(?:请教|学习|取经|交流)|多(?:参加|听听?|看看?|读|练练?|交流|学习|总结|思考|积累)"
    r"(?:[\u4e00-\u9fff]{0,6}?(?:培训|课|书|经验|案例))?|取长补短|尽快(?:提高|提升|熟悉|适应)[\u4e00-\u9fff]{0,6}",
    r"(?:取得|获得)了?(?:不错|良好|显著|一定|很好|较好|可喜)的?(?:成果|成绩|效果|进展)",
    r"(?:得到|获得|受到)了?(?:相关方|各方|客户|领导|客人|顾客|用户|同事|大家|上级)的?(?:一致)?(?:认可|好评|表扬"
    r"|肯定|赞扬|称赞)",
    r"有效(?:提升|提高|改善|推动)了?",
    r"(?:能够|可以)?顾全大局|协调各方资源|积极配合团队|承担责任|解决了一些[\u4e00-\u9fff]{0,4}",
    # Abilities and habits are not an act: "能够快速找到原因", "多次主动加班".
    r"(?:能够|总能|总是能|善于|擅长)(?:快速|及时|准确|很好地|有效地?)?[\u4e00-\u9fff]{1,8}",
    r"(?:多次|经常|常常|时常|屡次|一贯|每每)[\u4e00-\u9fff]{1,6}",
    r"(?:保证|确保)了?(?:项目|工作|任务|团队)?的?(?:按时|顺利|正常|高质量)[\u4e00-\u9fff]{0,4}",
    r"诠释了?[\u4e00-\u9fff]{0,10}|走得更远|责任与担当|克服(?:了)?(?:重重|各种|诸多|许多)?困难"
    r"|令人瞩目的?(?:成绩|成果)?|在你的带领下|充满挑战的?",
    # A verb whose object is only a quantity of "things": "协调了很多事情", "做了大量工作".
    r"[\u4e00-\u9fff]{1,2}了(?:很多|不少|大量|许多|一些|各种|诸多|好多|大大小小|更多)的?(?:[\u4e00-\u9fff]{0,4}?"
    r"(?:事情|事儿|事|工作|力|功夫|努力|准备|东西|心血|精力|贡献|尝试|改进|优化|活儿?)|\s*[A-Za-z]+)",
]
EN_PSEUDO = [
    # A share of the quota or plan as a whole names no act: "Hit 103% of target".
    r"\b(?:sales|revenue|conversion(?:\s+rate)?|portfolio(?:\s+growth)?|growth|NPS|CSAT|margin|volume|bookings)"
    r"\s+(?:(?:was|is)\s+)?(?:up|down|of|grew|rose|fell|increased|decreased)\s+(?:by\s+)?\d+(?:\.\d+)?\s*%"
    r"(?:\s*(?:QoQ|YoY|MoM))?",
    r"\b(?:hit|reached|achieved|at|delivered)\s+\d+(?:\.\d+)?\s*%\s+(?:of\s+)?(?:the\s+)?(?:target|quota|plan|goal)s?\b"
    r"|\bmet\s+(?:all|every|most)\s+(?:of\s+(?:her|his|their|the)\s+)?(?:KPIs|targets|goals|SLAs|metrics)\b"
    r"|\b\d+(?:\.\d+)?\s*%\s+on[- ]time\b",
    r"\b(?:the|a|one)\s+(?:recent|certain|particular)\s+(?:project|incident|meeting|initiative"
    r"|launch|deal|case|situation|event)\b",
    r"\b(?:several|various|multiple|many|numerous|some)\s+(?:[a-z]+-[a-z]+\s+|important\s+|key\s+|critical\s+"
    r"|major\s+|strategic\s+|people\s+|cross-functional\s+){0,2}"
    r"(?:projects|initiatives|tasks|meetings|clients|customers|issues|deliverables|efforts|occasions)\b",
    r"\bplay(?:s|ed|ing)?\s+(?:a\s+|an\s+)?(?:key|important|critical|vital|pivotal|central)\s+role"
    r"(?:\s+in\s+(?:our|the)\s+[a-z]+(?:\s+[a-z]+)?)?",
    r"\b(?:resulting|resulted)\s+in\s+(?:improved|better|stronger|increased|smoother|positive"
    r"|greater|higher)\s+[a-z]+(?:\s+(?:for|across|outcomes|satisfaction)\b(?:\s+the\s+[a-z]+)?)?",
    r"\b(?:(?:have|has)\s+)?(?:led|leading|lead)\s+to\s+(?:improved|better|stronger|increased"
    r"|smoother|positive|greater)\s+[a-z]+(?:\s+and\s+(?:better|stronger)\s+[a-z]+)?",
    r"\b(?:drive|drove|driving|drives)\s+(?:measurable\s+|significant\s+|real\s+|meaningful\s+)?"
    r"(?:alignment|collaboration|improvements?|results|growth"
    r"|success|change|outcomes|efficiency)(?:\s+across\s+(?:the\s+)?[a-z]+)?",
    r"\b(?:was|is|been|were)\s+instrumental\s+in\b|\b(?:made|makes|making)\s+(?:important|significant|valuable"
    r"|key|great|meaningful|major)\s+contributions?\b|\bhelped\s+the\s+team\s+(?:hit|reach|meet|achieve)\s+"
    r"(?:its|their|our|the)\s+(?:goals|targets|numbers|objectives)\b|\bbenefit(?:ed|ing|s)?\s+(?:many|all|our)\s+\w+\b"
    r"|\bvaluable\s+contributions?\b|\bcontribut(?:ed|es|ing)\s+(?:significantly|positively|greatly)\b",
    r"\bcontribut(?:ed|es|ing)\s+to\s+(?:the\s+team's\s+success|our\s+goals|a\s+culture\s+of\s+\w+)",
    r"\bhandled\s+(?:things|it|everything|the\s+situation)\s+well\b|\bhelped\s+the\s+team\s+move\s+forward\b",
    r"\b(?:exceeded|achieved|reached|attained)\s+(?:the\s+|all\s+|her\s+|his\s+|their\s+)?"
    r"(?:[a-z]+'s\s+)?(?:personal\s+|annual\s+|quarterly\s+|team\s+)?(?:targets?|goals?|objectives?)"
    r"(?:\s+that\s+were\s+set)?\b",
    r"\btook\s+ownership\s+of\s+(?:various|several|many|multiple)\s+tasks\b",
    r"\bdelivered\s+(?:great|good|strong|solid)\s+results\b|\bimproved\s+customer\s+outcomes\b",
    r"\bincreased\s+efficiency(?:\s+across\s+the\s+\w+)?|\bsmoother\s+processes\b",
    r"\bthroughout\s+the\s+(?:year|review\s+period|quarter)\b",
    r"\b(?:as\s+discussed|per\s+our\s+(?:conversation|discussion|chat|call))"
    r"(?:\s+(?:in|during)\s+(?:our|the)\s+(?:1\s*:\s*1|one-on-one|check-in|review))?",
    r"\bduring\s+(?:the|our)\s+(?:meeting|project|year|quarter)s?\b",
    r"\b(?:made|making|makes)\s+(?:significant|great|good|real|steady|solid|tremendous)\s+progress\b"
    r"|\b(?:key|important|critical|major)\s+(?:deliverables|milestones|initiatives|priorities)\b",
    r"\bin\s+the\s+course\s+of\s+[a-z]+ing(?:\s+[a-z]+){0,2}",
    r"\b(?:helped|helps|helping)\s+(?:to\s+)?(?:improve|increase|boost|drive|raise|build|strengthen)"
    r"\s+(?:our\s+|the\s+)?[a-z]+(?:\s+(?:satisfaction|relationships|morale|outcomes|results))?",
    r"\bbr(?:ought|ings|ing)\s+(?:positive|great|good|fresh|new)\s+(?:feedback|energy|ideas|results|value)"
    r"(?:\s+to\s+the\s+team)?",
    r"\b(?:demonstrat\w+|show(?:s|n|ed)|display\w*|exhibit\w*)\s+(?:an?\s+)?(?:great\s+|strong\s+"
    r"|excellent\s+|exceptional\s+|real\s+)?(?:level\s+of\s+)?(?:[a-z]+,?\s+(?:and\s+)?){0,3}?"
    r"(?:patience|empathy|professionalism|leadership|commitment|dedication|skills?|potential"
    r"|initiative|ownership|attitude|resilience|creativity|integrity)\b",
]
# Praise said with quotes or a mocking intensifier, next to facts that say the opposite.
ZH_SARCASM = [
    r"(?:真是|可真是|可真|真)(?:太|够|很|好)?[\"“'‘「『][^\"”'’」』]{1,8}[\"”'’」』](?:了|啊|呀|呢)?",
    r"[\"“'‘「『][\u4e00-\u9fff]{0,3}(?:靠谱|积极|主动|好|高效|负责|准时|认真|专业|用心|细心|给力|勤快"
    r"|能干|严谨|仔细|贴心|周到|热情|效率|利索|麻利|稳|快)[\"”'’」』]",
    r"(?:效率|速度|态度|服务态度|效果|执行力|记性)真(?:是)?(?:太)?(?:高|快|好|强|棒)(?:啊|呀|呢|了)",
    r"(?:真是|可真是|可真)(?:太|够|好)(?:靠谱|积极|负责|准时|能干|厉害|给力)了?(?:啊|呀|呢)?",
    r"(?:好|真|太)(?:厉害|棒|行|能干|优秀|牛)(?:哦|啊|呀|呢|了)+(?=[,,!!~～])",
]
EN_SARCASM = [
    r"\b(?:wow|oh|so|super|really|very|great|nice|thanks),?\s+(?:super\s+|so\s+|very\s+|really\s+|job\s+|work\s+"
    r"|for\s+)?[\"“'‘][^\"”'’]{1,20}[\"”'’]",
    r"[\"“'‘](?:reliable|proactive|helpful|great|punctual|responsive|organi[sz]ed|fast)[\"”'’]",
    r"\b(?:great|nice|wonderful|brilliant|excellent|impressive)\s+[a-z ]{0,20},\s+as\s+always\b",
]
SARCASM_FACTS = re.compile(
    r"延期|延误|投诉|才回|才交|才到|催|错|漏|迟到|返工|又|一个礼拜|一个星期|不回|没回|忘|挂|丢"
    r"|还没|仍未|没人|一次都没|退回|打回|[搞弄]错|弄混|[上写发算打填记]成了|白跑|扣了|扣款|超时|没下文"
    r"|被(?:客户|客人|领导|人)?(?:说|骂|退|投诉)"
    r"|\b(?:missed|wrong|again|late|failed|forgot|complain\w*|every\s+deadline|lost|broke|ignored)\b"
    r"|\b(?:no\s+(?:reply|answer|response)|still\s+(?:no|not)|never\s+(?:replied|showed|answered))\b"
    r"|\b(?:didn'?t|did\s+not|doesn'?t|wasn'?t|weren'?t)\s+(?:work|load|show|arrive|reply|answer|run|match"
    r"|add\s+up|print|ship|open|start|save|sync|balance|pass|compile)\w*\b",
    re.IGNORECASE,
)
"""Negative facts that turn quoted praise into sarcasm."""


def _compile(patterns: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


PATTERNS: dict[str, tuple[re.Pattern[str], re.Pattern[str]]] = {
    "sarcasm": (_compile(ZH_SARCASM), _compile(EN_SARCASM)),
    "personality_label": (_compile(ZH_LABEL), _compile(EN_LABEL)),
    "score_without_evidence": (_compile(SCORE), _compile(SCORE)),
    "vague_criticism": (_compile(ZH_CRITICISM), _compile(EN_CRITICISM)),
    "vague_praise": (_compile(ZH_PRAISE), _compile(EN_PRAISE)),
    "absolute_language": (_compile(ZH_ABSOLUTE), _compile(EN_ABSOLUTE)),
    "possible_bias": (_compile(ZH_BIAS), _compile(EN_BIAS)),
    "pseudo_specific": (_compile(ZH_PSEUDO), _compile(EN_PSEUDO)),
}
"""(Chinese, English) pattern per category; earlier categories win overlapping vague spans."""
