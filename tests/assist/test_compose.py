"""The answer composer and structure-aware scoring (pure cores, no index needed)."""

from __future__ import annotations

import numpy as np

from yuzhi.assist.compose import compose_points, extract_facts, governing_sentence, rule_kind
from yuzhi.assist.structure import adjust, definition_question, flags, penalty_question


def test_facts_deadlines_fines_percent_detention_in_three_languages() -> None:
    text = ("单位负责人应当于1小时内报告；安全生产许可证有效期满前3个月办理延期；每3年进行一次安全评价；"
            "处十万元以上二十万元以下的罚款；处上一年年收入百分之六十至百分之一百的罚款；处十五日以下拘留。")
    facts = extract_facts(text, limit=10)
    assert [f.kind for f in facts] == ["deadline", "deadline", "period", "fine", "percent", "detention"]
    en = [f.render("en") for f in facts]
    assert en[0] == "within 1 hour (1小时内)" and en[1].startswith("3 months before")
    assert en[2].startswith("every 3 years") and en[3].startswith("fine of 100,000–200,000 yuan")
    assert en[4].startswith("fine of 60–100% of the previous year's income")
    assert en[5].startswith("detention of up to 15 days")
    ja = [f.render("ja") for f in facts]
    assert ja[0].startswith("1時間以内") and ja[3].startswith("罰金 100,000〜200,000元")
    assert facts[0].render("zh") == "1小时内"
    assert extract_facts("本条例自2019年10月1日起施行。") == []  # a date is not a rule
    (d,) = extract_facts("处五日以上十日以下拘留")
    assert d.render("en") == "detention of 5–10 days (五日以上十日以下拘留)"


def test_governing_sentence_and_kind() -> None:
    quote = "第九条 事故发生后，现场人员应当立即报告。单位负责人接到报告后，应当于1小时内向安监部门报告。"
    s = governing_sentence(quote, ["小时", "负责人", "报告"])
    assert s == "单位负责人接到报告后，应当于1小时内向安监部门报告。" and s in quote
    # a list's lead states the consequence; the item that matches the question is appended
    lst = ("第三十六条 煤矿企业有下列情形之一的，属于重大事故隐患，应当立即停止受影响区域生产：\n\n"
           "（一）超能力、超强度或者超定员组织生产的；\n\n（二）瓦斯超限作业的；\n\n（三）通风系统不完善的；")
    assert governing_sentence(lst, ["瓦斯", "停止", "作业"]) == (
        "煤矿企业有下列情形之一的，属于重大事故隐患，应当立即停止受影响区域生产：……（二）瓦斯超限作业的；")
    assert rule_kind("不得安排孕期女职工从事有害作业") == "prohibition"
    assert rule_kind("处五万元以下的罚款") == "sanction" and rule_kind("危险物品，是指易燃易爆物品") == "definition"


def test_points_cite_every_line_in_the_question_language() -> None:
    cites = [("安全生产许可证条例", "第九条", "第九条 安全生产许可证的有效期为3年。"),
             ("安全生产许可证条例", "第二十条", "第二十条 逾期继续生产的，处5万元以上10万元以下的罚款。")]
    en = compose_points("en", cites, ["有效期", "许可证"])
    assert en[0].text == "《安全生产许可证条例》 Article 9 provides: “安全生产许可证的有效期为3年。”"
    assert en[1].text == "Key figures: valid for 3 years (有效期为3年)" and en[1].citation == 1
    assert en[2].text.startswith("See also 《安全生产许可证条例》 Article 20") and en[2].citation == 2
    ja = compose_points("ja", cites[:1], ["有效期"])
    assert ja[0].text.startswith("《安全生产许可证条例》第9条（規定）：「") and "有効期間3年" in ja[1].text
    zh = compose_points("zh", cites[1:], ["罚款"])
    assert zh[0].text.startswith("《安全生产许可证条例》第二十条（处罚）：") and "5万元以上10万元以下" in zh[1].text


def test_intent_and_structure_bonus() -> None:
    assert penalty_question("被罚两次再被罚会怎样") and penalty_question("What happens if we ignore it?")
    assert penalty_question("罰金はいくらですか") and not penalty_question("事故要多久上报？")
    assert definition_question("What does 'major hazard source' mean?") and definition_question("人員密集場所とは")
    assert not definition_question("特种作业人员需要持证吗")
    pen, dfn = flags(["第六章 法律责任", "第二章 保障", "第七章 附则"],
                     ["第九十条 处五万元以下的罚款。", "第二十条 应当培训。", "第一百条 本法下列用语的含义：…是指…"])
    assert pen.tolist() == [True, False, False] and dfn.tolist() == [False, False, True]
    base = np.array([1.0, 1.0, 1.0])
    assert adjust("罚多少钱？", base, pen, dfn).argmax() == 0
    assert adjust("“重大危险源”是什么意思？", base, pen, dfn).argmax() == 2
    assert adjust("要不要培训？", base, pen, dfn)[0] < 1.0  # sanctions list ranks below the duty
