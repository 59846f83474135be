"""Interface languages: Chinese (default), English, Japanese.

Templates write English keys, ``{{ _("Dashboard") }}``; this table gives the Chinese and Japanese.
A key missing from a table falls back to English, so a new page is never blank. Domains may add
their own entries with :func:`register`.
"""

from __future__ import annotations

LANGS = ("zh", "en", "ja")
DEFAULT = "zh"

_TABLE: dict[str, dict[str, str]] = {"zh": {}, "ja": {}}


def register(lang: str, entries: dict[str, str]) -> None:
    _TABLE.setdefault(lang, {}).update(entries)


def translate(key: str, lang: str) -> str:
    if lang == "en":
        return key
    return _TABLE.get(lang, {}).get(key, key)


register("zh", {
    "Dashboard": "总览", "Log in": "登录", "Log out": "退出", "Username": "用户名", "Password": "密码",
    "Vouchers": "算力券", "Applications": "申请", "Disclosure": "公示", "Bills": "账单", "Settlement": "结算",
    "Statement": "对账单", "Organisations": "机构", "Providers": "算力服务商", "Audit": "审计",
    "Programme": "年度计划", "Pool": "资金池", "Committed": "已承诺", "Used": "已使用", "Remaining": "剩余",
    "Apply": "申请", "Approve": "批准", "Reject": "驳回", "Reason": "理由", "Amount": "金额",
    "Status": "状态", "Provider": "服务商", "Unit": "单位", "Contract": "合同号", "Planned spend": "计划支出",
    "Approved": "批准额度", "Subsidy": "补贴", "Owed": "应付", "Invoice": "发票号", "Period": "使用期间",
    "Monthly subsidy": "月度补贴", "By city": "按城市", "By industry": "按行业", "By kind": "按机构类型",
    "Top units": "前十单位", "Alerts": "提醒", "Export": "导出", "Review": "审核", "Objection": "异议",
    "Lodge objection": "提出异议", "Mark paid": "标记已付", "Create batch": "生成结算批次",
    "Close year": "年度结算关闭", "Quota": "额度", "Remaining quota": "剩余额度", "Eligible": "可补贴金额",
    "Kind": "类型", "City": "城市", "Industry": "行业", "Name": "名称", "Province": "省级", "City fund": "市级",
    "Units near cap": "接近上限的单位", "Pool nearly exhausted": "资金池即将用尽", "Language": "语言",
    "Nothing here yet.": "暂无数据。", "Welcome": "欢迎", "Submit": "提交", "Actions": "操作",
    "Register organisation": "机构注册", "Whitelist": "白名单", "Suspend": "暂停", "Criterion": "资质",
    "Valid": "有效期", "API tokens": "接口令牌", "New token": "新建令牌", "Total": "合计", "Paid": "已支付",
    "Payable": "待结算", "Payee": "收款方", "Year": "年度", "Rate": "比例", "Cap per unit": "单位上限",
    "Mode": "结算方式", "discount": "购买时抵扣", "reimbursement": "事后报销", "Ledger": "账本",
    "Inspection": "缺陷检测", "Scheduling": "生产排程", "Monitoring": "安全监测", "Assistant": "法规助手",
    "Compute": "算力网络", "Awards": "奖补", "Targets": "目标进度",
    "submitted": "已提交", "disclosure": "公示中", "objected": "异议复审", "effective": "已生效",
    "rejected": "已驳回", "expired": "已过期", "approved": "已批准", "pending": "待审核",
    "enterprise": "企业", "university": "高校", "research_institute": "科研院所",
    "draft": "草稿", "exported": "已导出", "paid": "已支付", "open": "进行中", "closed": "已关闭",
    "active": "有效", "suspended": "已暂停",
})
register("ja", {
    "Dashboard": "ダッシュボード", "Log in": "ログイン", "Log out": "ログアウト", "Username": "ユーザー名",
    "Password": "パスワード", "Vouchers": "計算力クーポン", "Applications": "申請", "Disclosure": "公示",
    "Bills": "請求書", "Settlement": "精算", "Statement": "明細", "Organisations": "組織",
    "Providers": "計算資源事業者", "Subsidy": "補助金", "Language": "言語",
})
