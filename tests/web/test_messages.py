"""Errors as people read them (yuzhi.web.messages): page language, yuan, form labels, role names."""

from __future__ import annotations

from yuzhi.errors import Forbidden, InvalidInput, NotFound
from yuzhi.web.forms import yuan_to_fen
from yuzhi.web.messages import role_name, say


def test_review_over_the_maximum_in_yuan_and_words() -> None:
    exc = InvalidInput("99999900 fen exceeds the maximum approvable 10000000 fen (limited by rate_of_planned_spend: …)",
                       field="amount_fen", key="approve_over_max",
                       params={"amount_fen": 99_999_900, "cap_fen": 10_000_000, "binding": "rate_of_planned_spend"})
    zh = say(exc, "zh")
    assert zh.message == "批准金额 ¥999,999.00 超过当前最高可批 ¥100,000.00（受计划支出 × 补贴比例限制）"
    assert zh.label == "金额" and "fen" not in zh.message + (zh.fix or "")
    en = say(exc, "en")
    assert en.message == "¥999,999.00 exceeds the maximum approvable ¥100,000.00 (limited by rate × planned spend)"
    assert exc.to_dict()["code"] == "invalid_input" and exc.to_dict()["field"] == "amount_fen"  # API unchanged


def test_money_typed_wrong_names_the_label() -> None:
    try:
        yuan_to_fen("五十万", field="planned_spend")
    except InvalidInput as exc:
        assert say(exc, "zh").message == "计划支出：“五十万”不是有效金额"
        assert say(exc, "en").message == "Planned spend: '五十万' is not an amount"
    else:  # pragma: no cover
        raise AssertionError("refused")
    assert yuan_to_fen("50万", field="planned_spend") == 50_000_000


def test_unkeyed_errors_translated_or_framed_in_chinese() -> None:
    said = say(Forbidden("this page is for the programme office"), "zh")
    assert said.message == "此页面仅供算力券办公室使用"
    odd = say(NotFound("bill 7 not found", fix="check the id"), "zh")
    assert odd.message == "未找到该记录" and odd.fix and "bill 7 not found" in odd.fix
    assert say(NotFound("bill 7 not found"), "en").message == "bill 7 not found"


def test_login_failure_without_developer_text() -> None:
    from yuzhi.errors import Unauthenticated

    said = say(Unauthenticated("wrong username or password", field="password", key="login_failed",
                               fix="check the credentials printed by `yuzhi demo` or ask your administrator"), "zh")
    assert said.message == "用户名或密码错误" and "yuzhi demo" not in (said.fix or "")


def test_roles_by_name() -> None:
    assert role_name("office_admin", "zh") == "算力券办公室管理员"
    assert role_name("provider", "en") == "provider operator"
    assert role_name("unknown", "zh") == "unknown"


def test_errors_with_values_read_in_chinese() -> None:
    """USCC and not-found errors carry their values into the zh sentence; the API text stays English."""
    import pytest

    from yuzhi.accounts import uscc
    from yuzhi.providers import service as providers

    good = uscc.make("91410100MA000001A")
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    with pytest.raises(InvalidInput) as caught:
        uscc.parse(bad)
    zh = say(caught.value, "zh")
    assert zh.message == f"统一社会信用代码 {bad} 的校验位有误：应为 {good[17]}，实为 {bad[17]}（GB 32100-2015）"
    assert "check character" in caught.value.to_dict()["message"]
    with pytest.raises(InvalidInput) as caught:
        uscc.parse("91410100")
    assert say(caught.value, "zh").message == "统一社会信用代码应为 18 位，实际为 8 位"
    with pytest.raises(InvalidInput) as caught:
        uscc.parse_henan_unit(uscc.make("91350100MA000001A"))
    assert "行政区划码 350100 不在河南省" in say(caught.value, "zh").message
    assert say(caught.value, "en").message.startswith("region code 350100 is outside Henan")

    class _NoRows:
        def get(self, *_: object) -> None:
            return None

    with pytest.raises(NotFound) as nf:
        providers.get(_NoRows(), provider_id=777)  # type: ignore[arg-type]
    assert say(nf.value, "zh").message == "算力服务商 777 不存在" and say(nf.value, "zh").label == "服务商"
