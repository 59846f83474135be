"""Query expansion with a work-safety glossary: how people ask → how the law says it.

A shift leader asks about "安全员" and "劳保用品"; the law says "安全生产管理人员" and "劳动防护用品".
An English- or Japanese-speaking engineer asks about "pressure vessels" or "エレベーター"; the
sources are Chinese. BM25 cannot bridge either gap, so before BM25 the question is expanded with
the statutory Chinese terms from this glossary (the original words stay). The dense model gets
the question unchanged. The glossary is general work-safety vocabulary, not tuned per question.

>>> expand_query("Do pressure vessels need periodic inspection?")
'Do pressure vessels need periodic inspection? 压力容器 定期检验 检验 检查'
>>> expand_query("安全员要干什么")
'安全员要干什么 安全生产管理人员 安全生产管理机构'
"""

from __future__ import annotations

import re
from functools import lru_cache

# (triggers separated by "|", Chinese statutory terms separated by spaces)
_ZH: list[tuple[str, str]] = [
    ("一把手|老板|厂长|总经理|董事长|法人代表|老总|矿长", "主要负责人"),
    ("安全员|安全主管|安全科|安全部", "安全生产管理人员 安全生产管理机构"),
    ("工人|员工|职工|操作工|新员工|新工人|干活", "从业人员"),
    ("劳保|防护用品|安全帽|防护服|口罩", "劳动防护用品"),
    ("操作证|上岗证|持证|证书|拿证", "取得相应资格 特种作业"),
    ("电焊工|焊工|电工|登高作业|爆破工|司炉工", "特种作业人员"),
    ("塔吊|吊车|行车|起重机|龙门吊", "起重机械"),
    ("叉车|厂内车辆", "场(厂)内专用机动车辆"),
    ("安监局|安监部门|安监|应急局", "安全生产监督管理部门 应急管理部门"),
    ("着火|失火|起火|火情", "火灾"),
    ("灭火器", "消防器材"),
    ("危化品|化学品", "危险化学品"),
    ("清理现场|破坏现场|现场清理|动现场", "保护事故现场"),
    ("复产|复工", "恢复生产"),
    ("演习", "演练"),
    ("体检", "职业健康检查"),
    ("怀孕|孕妇", "孕期 女职工"),
    ("哺乳", "哺乳期 女职工"),
    ("未满18|未满十八|童工|未成年", "未成年人"),
    ("下井|井下", "井下 矿山"),
    ("外包|承包商|外协", "承包 发包 相关方"),
    ("外来人员|访客", "外来人员 相关方"),
    ("宿舍", "员工宿舍 居住场所"),
    ("抽烟|吸烟", "吸烟 明火"),
    ("开业|营业前", "投入使用 营业"),
    ("维保|保养", "维护保养"),
    ("年检|定检", "定期检验"),
    ("项目经理", "项目负责人"),
    ("罚多少|罚钱|怎么罚", "罚款"),
    ("隐患", "事故隐患"),
    ("拖延|迟报|瞒报", "迟报 瞒报"),
    ("伤亡人数|死亡人数|死了|死亡", "死亡"),
    ("加班", "工作时间"),
]

_EN: list[tuple[str, str]] = [
    ("workplace accident|work accident|production safety accident|industrial accident", "生产安全事故"),
    ("accident", "事故"),
    ("accident report|report", "报告"),
    ("investigation report", "事故调查报告"),
    ("investigat", "调查"),
    ("special operation|special job|special work", "特种作业"),
    ("special equipment", "特种设备"),
    ("certificate|qualification|qualified|certified", "资格 证书"),
    ("work safety license|work safety licence|safety production license|safety license", "安全生产许可证"),
    ("license|licence|permit", "许可证"),
    ("pressure vessel", "压力容器"),
    ("boiler", "锅炉"),
    ("elevator|lift", "电梯"),
    ("crane|hoist", "起重机械"),
    ("forklift", "场(厂)内专用机动车辆"),
    ("gas cylinder|cylinder", "气瓶"),
    ("amusement ride|amusement facilit", "大型游乐设施"),
    ("cableway|ropeway", "客运索道"),
    ("pipeline", "压力管道"),
    ("periodic inspection|regular inspection", "定期检验"),
    ("inspection|inspect", "检验 检查"),
    ("expire|expiry|expiration", "有效期 届满"),
    ("maintenance|maintain", "维护保养"),
    ("scrap|decommission", "报废"),
    ("registration|register", "登记"),
    ("pregnant|pregnancy", "孕期 女职工"),
    ("breastfeeding|nursing", "哺乳期"),
    ("minor|underage|juvenile", "未成年人"),
    ("occupational disease", "职业病"),
    ("occupational hazard", "职业病危害"),
    ("health examination|medical examination|health check", "职业健康检查"),
    ("diagnos", "诊断"),
    ("appraisal|dispute", "鉴定 异议"),
    ("dangerous chemical|hazardous chemical|chemical", "危险化学品"),
    ("highly toxic|toxic", "剧毒化学品"),
    ("explosive|explosion", "爆炸 易燃易爆"),
    ("warehouse|storage", "仓库 储存"),
    ("dormitor", "员工宿舍 居住场所"),
    ("same building", "同一座建筑物"),
    ("principal person in charge|person in charge|head of|general manager|boss|director", "主要负责人"),
    ("dut|responsibilit", "职责"),
    ("safety manager|safety officer|safety staff", "安全生产管理人员"),
    ("personal protective equipment|ppe|protective equipment|protective gear", "劳动防护用品"),
    ("refuse", "拒绝"),
    ("dangerous condition|risky|unsafe order|order", "违章指挥 强令冒险作业"),
    ("emergency", "紧急情况 应急"),
    ("evacuat", "撤离 疏散"),
    ("stop work|stop production|stopping production|suspend", "停止作业 停产"),
    ("hidden danger|hazard", "事故隐患"),
    ("major hazard source|major hazard installation", "重大危险源"),
    ("coal mine", "煤矿"),
    ("mine|mining", "矿山 矿井"),
    ("safety exit|exit", "安全出口"),
    ("underground", "井下"),
    ("fire brigade|fire department|firefighting team|fire team", "专职消防队 消防队"),
    ("fire", "火灾 消防"),
    ("fire alarm|report a fire|alarm", "报警"),
    ("smoking|smoke", "吸烟"),
    ("open flame|naked flame|hot work", "明火"),
    ("fire hydrant|hydrant", "消火栓"),
    ("emergency plan|contingency plan", "应急救援预案"),
    ("drill", "演练"),
    ("fine|penalt|punish", "罚款 处罚"),
    ("work injury insurance|injury insurance", "工伤保险"),
    ("insurance", "保险"),
    ("training|train", "教育 培训"),
    ("construction site", "施工现场"),
    ("scaffold", "脚手架"),
    ("contractor|contract out|outsourc", "施工单位 承包"),
    ("subcontract", "分包"),
    ("demolition", "拆除工程"),
    ("grade|classif|level", "等级"),
    ("death|killed|fatalit|die", "死亡"),
    ("injur", "重伤"),
    ("valid", "有效期"),
    ("renew|extend|extension", "延期"),
    ("warning sign", "安全警示标志"),
    ("employer|company|enterprise", "生产经营单位 用人单位"),
    ("worker|employee|staff", "从业人员 劳动者"),
    ("labor contract|labour contract|employment contract", "劳动合同"),
    ("hour", "小时"),
    ("information|content|include", "内容"),
    ("toxic gas|methane|firedamp", "瓦斯"),
    ("dust", "粉尘"),
]

_JA: list[tuple[str, str]] = [
    ("エレベーター|エレベータ", "电梯"),
    ("タワークレーン|クレーン", "起重机械"),
    ("ボイラー|ボイラ", "锅炉"),
    ("フォークリフト", "场(厂)内专用机动车辆"),
    ("ボンベ", "气瓶"),
    ("足場", "脚手架"),
    ("寮", "员工宿舍 居住场所"),
    ("通報", "报警 报告"),
    ("保護具", "劳动防护用品"),
    ("拒否", "拒绝"),
    ("強要|強制", "强令冒险作业 违章指挥"),
    ("妊娠", "孕期 女职工"),
    ("授乳", "哺乳期"),
    ("未成年者", "未成年人"),
    ("坑内", "井下"),
    ("炭鉱", "煤矿"),
    ("検収", "验收"),
    ("責任者", "主要负责人"),
    ("有効期間|有効期限", "有效期"),
    ("鑑定", "鉴定"),
    ("不服", "异议"),
    ("定期検査", "定期检验"),
    ("作業員", "作业人员"),
    ("特殊作業", "特种作业"),
    ("倉庫", "仓库"),
    ("労働者|従業員", "从业人员 劳动者"),
    ("会社|企業", "生产经营单位"),
    ("喫煙", "吸烟"),
    ("罰金", "罚款"),
    ("生産を停止|生産停止|操業停止", "停止生产 停产"),
    ("危険", "危险 事故隐患"),
    ("調査報告書", "事故调查报告"),
    ("保守", "维护保养"),
    ("登録", "登记"),
    ("訓練|研修", "培训"),
    ("健康診断", "职业健康检查"),
]


@lru_cache(maxsize=1)
def _compiled() -> list[tuple[re.Pattern[str], str]]:
    out: list[tuple[re.Pattern[str], str]] = []
    for triggers, terms in _ZH + _JA:
        out.append((re.compile("|".join(re.escape(t) for t in triggers.split("|"))), terms))
    for triggers, terms in _EN:
        alts = "|".join(re.escape(t) for t in triggers.split("|"))
        out.append((re.compile(rf"\b(?:{alts})", re.IGNORECASE), terms))
    return out


def expand_query(question: str) -> str:
    """Append the statutory Chinese terms for colloquial, English and Japanese words found."""
    extra: list[str] = []
    for pat, terms in _compiled():
        if pat.search(question):
            for t in terms.split():
                if t not in extra and t not in question:
                    extra.append(t)
    return f"{question} {' '.join(extra)}" if extra else question
