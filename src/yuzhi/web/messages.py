"""Errors as people read them: in the page's language, amounts in yuan, fields by their form labels.

Services raise :class:`~yuzhi.errors.DomainError` with an English ``message`` (what programs, logs
and the API body see, next to the machine ``code`` and ``field``). An error may also carry a
catalog ``key`` and ``params``; :func:`say` renders those for a person:

* a keyed error is written from :data:`CATALOG` in the page language (params ending in ``_fen`` are
  shown as ``¥1,234.56``; ``binding`` and ``field`` by their labels);
* an unkeyed error falls back to the interface table (:mod:`yuzhi.web.i18n`), then to its English.

The field is shown by its form label (``planned_spend`` → 计划支出), never as a code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from yuzhi.fmt import local_time, yuan, zone_label
from yuzhi.web import i18n
from yuzhi.web.error_catalog import ERRORS

#: form/API field names → the label the form shows (an English i18n key, translated per page)
FIELD_LABELS: dict[str, str] = {
    "planned_spend": "Planned spend", "amount": "Amount", "amount_fen": "Amount", "pool": "Pool",
    "pool_fen": "Pool", "unit_cap": "Cap per unit", "unit_cap_fen": "Cap per unit", "amount_yuan": "Amount",
    "requested_yuan": "Requested amount", "requested_fen": "Requested amount", "ai_revenue_yuan": "AI revenue",
    "ai_revenue_fen": "AI revenue", "rd_spend_yuan": "R&D spend", "rd_spend_fen": "R&D spend",
    "password": "Password", "username": "Username", "contract_no": "Contract", "purpose": "Purpose",
    "reason": "Reason", "year": "Year", "status": "Status", "provider_id": "Provider", "org_id": "Unit",
    "uscc": "Unified Social Credit Code", "name": "Name", "city": "City", "rate": "Rate", "text": "Text",
    "org_a_id": "Organisation", "org_b_id": "Organisation", "confirm": "Confirm", "days": "Validity in days",
    "max_days": "Validity in days", "rate_percent": "Rate", "org_uscc": "Unified Social Credit Code",
}
i18n.register("zh", {"Confirm": "确认", "Validity in days": "有效期（天）"})

#: what limits an approval (vouchers.service.max_approvable), for people
BINDING_LABELS = {"rate_of_planned_spend": {"en": "rate × planned spend", "zh": "计划支出 × 补贴比例",
                                            "ja": "計画支出 × 補助率"},
                  "unit_cap_remaining": {"en": "the unit's yearly cap left", "zh": "单位年度上限剩余",
                                         "ja": "組織の年間上限の残り"},
                  "pool_remaining": {"en": "the pool left", "zh": "资金池剩余", "ja": "予算枠の残り"}}

#: key → language → (message, fix); ``{label}`` is the field's form label, ``{text}`` what was typed
CATALOG: dict[str, dict[str, tuple[str, str]]] = {
    "approve_over_max": {
        "en": ("{amount_fen} exceeds the maximum approvable {cap_fen} (limited by {binding})",
               "approve at most {cap_fen}, or reject the application"),
        "zh": ("批准金额 {amount_fen} 超过当前最高可批 {cap_fen}（受{binding}限制）",
               "最多批准 {cap_fen}，或驳回申请"),
    },
    "approve_nothing_left": {
        "en": ("nothing can be approved: {binding} is used up", "reject the application with a reason"),
        "zh": ("无可批准额度：{binding}已用尽", "请填写理由驳回申请"),
    },
    # errors that carry values (the raise site passes key= and params=)
    "provider_not_found": {
        "en": ("provider {provider_id} not found", "pick a provider from the whitelist"),
        "zh": ("算力服务商 {provider_id} 不存在", "请从白名单中选择算力服务商"),
    },
    "application_not_found": {
        "en": ("application {id} not found", "open it from the applications list"),
        "zh": ("申请 {id} 不存在或无权查看", "请从申请列表中打开"),
    },
    "bill_not_found": {
        "en": ("bill {id} not found", "open it from the bills list"),
        "zh": ("账单 {id} 不存在或无权查看", "请从账单列表中打开"),
    },
    "organisation_not_found": {
        "en": ("organisation {org_id} not found", "register the legal entity as an organisation first"),
        "zh": ("机构 {org_id} 不存在", "请先把该法人主体登记为机构"),
    },
    "uscc_length": {
        "en": ("a Unified Social Credit Code has 18 characters, got {length}",
               "copy the 18-character code from the business licence (统一社会信用代码)"),
        "zh": ("统一社会信用代码应为 18 位，实际为 {length} 位", "请照营业执照上的 18 位统一社会信用代码填写"),
    },
    "uscc_check_char_not_allowed": {
        "en": ("check character {char} is not allowed", "the 18th character must be one of {charset}"),
        "zh": ("校验位 {char} 不是允许的字符", "第 18 位必须是 {charset} 之一"),
    },
    "uscc_check_wrong": {
        "en": ("check character of {code} is wrong: expected {expected}, got {got} (GB 32100-2015)",
               "re-type the code from the business licence; one character is probably mistyped"),
        "zh": ("统一社会信用代码 {code} 的校验位有误：应为 {expected}，实为 {got}（GB 32100-2015）",
               "请对照营业执照重新输入，很可能有一位输错"),
    },
    "uscc_individual": {
        "en": ("individual businesses (个体工商户, code prefix 92) cannot join the voucher programme",
               "apply as an enterprise, university or research institute"),
        "zh": ("个体工商户（代码以 92 开头）不能参加算力券计划", "请以企业、高校或科研院所的身份申请"),
    },
    "uscc_outside_henan": {
        "en": ("region code {region} is outside Henan (41xxxx); the programme serves Henan units only",
               "register the Henan legal entity (its code has 41 in positions 3-4)"),
        "zh": ("行政区划码 {region} 不在河南省（41xxxx）；本计划只面向河南单位",
               "请登记河南的法人主体（代码第 3–4 位为 41）"),
    },
    "login_failed": {
        "en": ("Wrong username or password", "check both and try again, or ask your administrator to reset it"),
        "zh": ("用户名或密码错误", "请核对后重试，或请管理员重置密码"),
    },
    # form fields refused by the input schema (pydantic error types; params from its ctx)
    "pydantic.string_too_short": {
        "en": ("{label}: at least {min_length} characters", "complete this field and submit again"),
        "zh": ("{label}：至少 {min_length} 个字符", "请补全后重新提交"),
    },
    "pydantic.string_too_long": {
        "en": ("{label}: at most {max_length} characters", "shorten this field and submit again"),
        "zh": ("{label}：最多 {max_length} 个字符", "请缩短后重新提交"),
    },
    "pydantic.missing": {
        "en": ("{label}: required", "fill in this field"), "zh": ("{label}：必填", "请填写此项"),
    },
    "pydantic.int_parsing": {
        "en": ("{label}: a whole number is needed", "type digits only"), "zh": ("{label}：须为整数", "请只填写数字"),
    },
    "pydantic.date_from_datetime_parsing": {
        "en": ("{label}: not a date", "use a date like 2026-03-31"),
        "zh": ("{label}：日期格式不正确", "请按 2026-03-31 的格式填写"),
    },
    "pydantic.string_pattern_mismatch": {
        "en": ("{label}: contains characters that are not allowed", "use letters, digits and - _ . / only"),
        "zh": ("{label}：含有不允许的字符", "只能使用字母、数字和 - _ . /"),
    },
    "money_required": {
        "en": ("{label}: an amount is required", "type an amount in yuan, e.g. 12,345.67 or 50万"),
        "zh": ("{label}：请填写金额", "以元为单位填写，例如 12,345.67 或 50万"),
    },
    "money_not_a_number": {
        "en": ("{label}: '{text}' is not an amount", "type an amount in yuan, e.g. 12,345.67, 50万 or 1.2亿"),
        "zh": ("{label}：“{text}”不是有效金额", "以元为单位填写，例如 12,345.67、50万 或 1.2亿"),
    },
    "money_sub_fen": {
        "en": ("{label}: '{text}' is finer than one fen", "amounts are exact to the fen (0.01 yuan)"),
        "zh": ("{label}：“{text}”小于 1 分的精度", "金额精确到分（0.01 元）"),
    },
    "money_negative": {
        "en": ("{label}: '{text}' is negative", "type an amount above 0"),
        "zh": ("{label}：“{text}”为负数", "请填写大于 0 的金额"),
    },
    "money_zero": {
        "en": ("{label}: '{text}' is not a positive amount", "type an amount above 0"),
        "zh": ("{label}：金额须大于 0", "请填写大于 0 的金额"),
    },
    "money_too_large": {
        "en": ("{label}: '{text}' is too large", "amounts go up to 10 trillion yuan"),
        "zh": ("{label}：“{text}”超出范围", "金额上限为 10 万亿元"),
    },
}


CATALOG.update(ERRORS)  # errors that carry values (settlements, objections, KPI cells, compute limits, …)


#: Japanese text for the errors people meet most (forms, log-in, "not found", approval limits). A ja page
#: shows these; a keyed error without ja text falls back to its Chinese (the platform's first language,
#: as the Henan offices write it), never to the developer English, and an unkeyed one gets a Japanese
#: heading with the English detail below it, as zh pages do.
_JA: dict[str, tuple[str, str]] = {
    "approve_over_max": ("承認額 {amount_fen} が現在の承認上限 {cap_fen} を超えています（{binding}による制限）",
                         "{cap_fen} 以内で承認するか、申請を却下してください"),
    "approve_nothing_left": ("承認できる額がありません：{binding}を使い切っています",
                             "理由を記入して申請を却下してください"),
    "login_failed": ("ユーザー名またはパスワードが違います",
                     "確認して再入力するか、管理者にリセットを依頼してください"),
    "provider_not_found": ("事業者 {provider_id} が見つかりません", "ホワイトリストから事業者を選んでください"),
    "application_not_found": ("申請 {id} が見つからないか、閲覧権限がありません", "申請一覧から開いてください"),
    "bill_not_found": ("請求書 {id} が見つからないか、閲覧権限がありません", "請求書一覧から開いてください"),
    "organisation_not_found": ("組織 {org_id} が見つかりません", "先に法人を組織として登録してください"),
    "settlement_not_found": ("精算バッチ {id} が見つからないか、閲覧権限がありません", "精算一覧から開いてください"),
    "objection_not_found": ("異議 {id} が見つからないか、処理済みです", "異議一覧から開いてください"),
    "attachment_not_found": ("添付ファイル {id} が見つからないか、閲覧権限がありません",
                             "申請の案件ファイルから開いてください"),
    "token_not_found": ("トークン {id} が見つかりません", "トークン一覧から選んでください"),
    "job_not_found": ("ジョブ {id} が見つからないか、閲覧権限がありません", "ジョブ一覧から開いてください"),
    "plan_not_found": ("生産計画 {id} が見つからないか、閲覧権限がありません", "生産計画一覧から開いてください"),
    "alarm_not_found": ("アラーム {id} が見つからないか、閲覧権限がありません", "アラーム一覧から開いてください"),
    "award_not_found": ("奨励申請 {id} が見つからないか、閲覧権限がありません", "奨励申請一覧から開いてください"),
    "no_programme": ("{year} 年度のクーポン事業はまだ設けられていません", "先にその年度の事業を開始してください"),
    "pydantic.string_too_short": ("{label}：{min_length} 文字以上必要です", "入力を補って再送信してください"),
    "pydantic.string_too_long": ("{label}：{max_length} 文字以内にしてください", "短くして再送信してください"),
    "pydantic.missing": ("{label}：必須項目です", "この項目を入力してください"),
    "pydantic.int_parsing": ("{label}：整数を入力してください", "数字のみを入力してください"),
    "pydantic.date_from_datetime_parsing": ("{label}：日付の形式が正しくありません",
                                            "2026-03-31 の形式で入力してください"),
    "pydantic.string_pattern_mismatch": ("{label}：使用できない文字が含まれています", "英数字と - _ . / のみ使えます"),
    "money_required": ("{label}：金額を入力してください", "元単位で入力してください（例：12,345.67 または 50万）"),
    "money_not_a_number": ("{label}：「{text}」は金額として読めません",
                           "元単位で入力してください（例：12,345.67、50万、1.2亿）"),
    "money_sub_fen": ("{label}：「{text}」は 1 分より細かい値です", "金額は分（0.01 元）単位までです"),
    "money_negative": ("{label}：「{text}」は負の値です", "0 より大きい金額を入力してください"),
    "money_zero": ("{label}：金額は 0 より大きくしてください", "0 より大きい金額を入力してください"),
    "not_a_time": ("時刻「{text}」を読み取れません", "例：2026-12-07 10:40 の形式で入力してください"),
    "money_too_large": ("{label}：「{text}」は大きすぎます", "金額の上限は 10 兆元です"),
}
for _key, _ja_text in _JA.items():
    CATALOG[_key]["ja"] = _ja_text


#: roles by the names people use (never the code ``office_admin``)
ROLE_NAMES: dict[str, dict[str, str]] = {
    "office_admin": {"zh": "算力券办公室管理员", "en": "programme office administrator", "ja": "事務局管理者"},
    "office_reviewer": {"zh": "审核员", "en": "reviewer", "ja": "審査担当"},
    "member": {"zh": "单位用户", "en": "unit member", "ja": "組織メンバー"},
    "provider": {"zh": "服务商操作员", "en": "provider operator", "ja": "事業者オペレーター"},
}


def role_name(role: Any, lang: str) -> str:
    """``office_admin`` → 算力券办公室管理员 (zh) / programme office administrator (en)."""
    key = str(getattr(role, "value", role))
    names = ROLE_NAMES.get(key, {})
    return names.get(lang) or names.get("en") or key


@dataclass(frozen=True)
class Said:
    """An error as the page shows it."""

    message: str
    label: str | None
    fix: str | None


def field_label(field: str | None, lang: str) -> str | None:
    """``planned_spend`` → 计划支出 (zh) / Planned spend (en); an unknown field keeps its name."""
    if not field:
        return None
    base = field.split(".")[-1]
    key = FIELD_LABELS.get(base)
    return i18n.translate(key, lang) if key else field


def _lang(lang: str) -> str:
    return lang if lang in ("en", "zh", "ja") else "en"


def _text(entry: dict[str, tuple[str, str]], lang: str) -> tuple[str, str]:
    """The entry in ``lang``; ja without its own text reads the Chinese (not the developer English)."""
    lang = _lang(lang)
    return entry.get(lang) or (entry.get("zh") if lang == "ja" else None) or entry["en"]


def _param(name: str, value: Any, lang: str) -> Any:
    if name.endswith("_fen") and isinstance(value, int):
        return yuan(value)
    if name == "binding":
        labels = BINDING_LABELS.get(str(value), {})
        return labels.get(_lang(lang)) or labels.get("zh") or str(value)
    if name == "status":  # a workflow state by its word on the page (submitted → 已提交)
        return i18n.translate(str(getattr(value, "value", value)), lang)
    if isinstance(value, datetime):  # stored UTC, read in the display zone to the minute
        shown, zone = local_time(value), zone_label(lang)
        return f"{shown} ({zone})" if lang == "en" else f"{shown}（{zone}）"
    if isinstance(value, date):
        return value.isoformat()
    return value


def say(exc: Any, lang: str) -> Said:
    """The error ``exc`` (a DomainError) in ``lang``, for a person."""
    label = field_label(getattr(exc, "field", None), lang)
    key = getattr(exc, "key", None)
    entry = CATALOG.get(key or "", {})
    if entry:
        msg, fix_tpl = _text(entry, lang)
        params = {k: _param(k, v, lang) for k, v in (getattr(exc, "params", None) or {}).items()}
        params.setdefault("label", label or "")
        try:
            return Said(msg.format(**params), None if "{label}" in msg else label, fix_tpl.format(**params))
        except (KeyError, IndexError, ValueError):
            pass
    english = str(getattr(exc, "message", exc))
    message = i18n.translate(english, lang)
    fix_text = getattr(exc, "fix", None)
    fix: str | None = i18n.translate(fix_text, lang) if fix_text else None
    if lang in _TITLES and message == english:
        # not in the catalog yet: a heading by kind in the page's language, the English detail below it
        titles, detail = _TITLES[lang]
        title = titles.get(int(getattr(exc, "status_code", 400) or 400), titles[0])
        return Said(title, label, f"{detail}{english}" + (f"（{fix}）" if fix and fix != fix_text else
                                                         f" — {fix}" if fix else ""))
    return Said(message, label, fix)


#: headings for errors whose text is not yet in the catalog, by HTTP status
_ZH_TITLES = {0: "操作未完成", 400: "请求有误", 401: "请先登录", 403: "无权执行此操作", 404: "未找到该记录",
              409: "与现有记录冲突", 422: "输入有误，未作任何更改", 429: "操作过于频繁，请稍后再试"}
_JA_TITLES = {0: "操作を完了できませんでした", 400: "リクエストが正しくありません", 401: "ログインしてください",
              403: "この操作の権限がありません", 404: "記録が見つかりません", 409: "既存の記録と矛盾します",
              422: "入力に誤りがあります（何も変更していません）",
              429: "操作が多すぎます。しばらくしてから再試行してください"}
#: page language → (headings by HTTP status, the detail line's prefix)
_TITLES = {"zh": (_ZH_TITLES, "详情："), "ja": (_JA_TITLES, "詳細：")}
