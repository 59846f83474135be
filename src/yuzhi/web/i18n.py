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
    "Units near cap": "接近上限的单位",
    "unit near cap: {name} holds {held} of {cap} yuan": "单位接近上限：{name} 已获配额 {held} 元（上限 {cap} 元）",
    "pool nearly exhausted: {left} yuan of {pool} left": "资金池即将用尽：{pool} 元中仅余 {left} 元",
    "Pool nearly exhausted": "资金池即将用尽", "Language": "语言",
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

# --- voucher pages (yuzhi.vouchers.pages) ---
register("zh", {
    "Compute voucher programme": "算力券", "yuan": "元", "By provider": "按服务商", "subsidy": "补贴",
    "applications": "条申请", "documents": "张单据", "All": "全部", "Show": "查看", "Objections": "异议",
    "Apply for vouchers": "申请算力券", "No programme year is open.": "当前没有开放的年度计划。",
    "Purpose": "用途", "Application": "申请", "Disclosure until": "公示截止", "Effective": "生效时间",
    "The office approves at most 20% of the planned spend, within the unit's yearly cap and the pool.":
        "批准额度不超过计划支出的 20%，且不超过单位年度上限和资金池余额。",
    "Maximum approvable now": "当前最高可批", "rate_of_planned_spend": "计划支出 × 补贴比例",
    "unit_cap_remaining": "单位年度上限剩余", "pool_remaining": "资金池剩余",
    "empty = the maximum": "留空即按最高额批准",
    "After approval the quota is on public disclosure for": "批准后额度须公示", "days": "天",
    "Submitted by": "提出人", "Text": "内容", "Resolution": "处理意见", "Uphold": "异议成立", "Dismiss": "驳回异议",
    "upheld": "成立", "dismissed": "不成立",
    "Public disclosure of compute voucher quotas": "算力券额度公示",
    "Approved quotas are published here before they take effect. Anyone may lodge an objection while a quota is "
    "on disclosure; the office re-reviews upheld objections.":
        "批准的额度在生效前于此公示。公示期内任何人均可提出异议；异议成立的由办公室重新审核。",
    "anonymous": "匿名",
    "Upholding sends the application back to review; its quota stays held until the re-review.":
        "异议成立后申请退回复审，额度在复审前保持占用。",
    "Bills arrive over the API: POST /api/vouchers/bills with your provider token (see /docs).":
        "账单通过接口推送：携带服务商令牌 POST /api/vouchers/bills（见 /docs）。",
    "Note": "备注", "bill": "账单", "credit": "红字冲销", "Credited": "已冲销", "Net subsidy": "净补贴",
    "Lines": "明细", "Resource": "资源", "Quantity": "数量", "Unit of measure": "计量单位",
    "Unit price (fen)": "单价（分）", "Payee id": "收款方编号", "all": "全部",
    "Settles every positive payable balance (provider in discount mode, unit in reimbursement mode).":
        "结算所有待付余额（抵扣模式付服务商，报销模式付单位）。",
    "Payment reference": "支付凭证号", "Choose a unit.": "请选择单位。", "Billed": "账单金额",
    "Reason (for a rejection)": "理由（驳回时必填）",
    "Enterprises, universities and research institutes registered in Henan may apply for compute vouchers. The "
    "18-character Unified Social Credit Code (统一社会信用代码) is checked (GB 32100-2015 check character, Henan "
    "region code 41xxxx); the programme office approves each registration.":
        "在河南登记的企业、高校和科研院所可申请算力券。系统校验 18 位统一社会信用代码（GB 32100-2015 校验码，"
        "河南行政区划代码 41xxxx），由算力券办公室审核注册。",
    "Provider whitelist": "算力服务商白名单", "Legal entity": "法人主体", "Evidence": "资质证明", "Resume": "恢复",
    "Only compute bought from whitelisted providers counts: the national supercomputing centre, AI computing "
    "centres of at least 100 PFLOPS, data centres of at least 1,000 standard racks.":
        "仅向白名单服务商购买的算力可获补贴：国家超算中心、100 PFLOPS 以上智算中心、1000 个标准机架以上数据中心。",
    "national_supercomputing": "国家超算中心", "ai_computing_100pf": "智算中心 ≥100 PFLOPS",
    "data_centre_1000_racks": "数据中心 ≥1000 标准机架",
    "Programme years": "年度计划", "Open a programme year": "开放新的年度",
    "Closing a year expires every unused quota back to the pool and refuses further bills for that year's usage; "
    "type the year to confirm.": "关闭年度后未使用额度全部退回资金池，且不再接受该年度用量的账单；请输入年份确认。",
    "Error": "错误", "Back": "返回", "Home": "首页", "bills": "账单",
})
register("ja", {
    "Compute voucher programme": "計算力クーポン事業", "Dashboard": "ダッシュボード", "Pool": "予算枠",
    "Committed": "配分済み", "Used": "使用済み", "Remaining": "残額", "Paid": "支払済み", "Alerts": "アラート",
    "unit near cap: {name} holds {held} of {cap} yuan": "上限に近い単位：{name} の配分 {held} 元（上限 {cap} 元）",
    "pool nearly exhausted: {left} yuan of {pool} left": "予算枠が残りわずか：{pool} 元のうち残り {left} 元",
    "Monthly subsidy": "月別補助額", "By city": "市別", "By industry": "業種別", "By kind": "組織種別",
    "By provider": "事業者別", "Top units": "上位の組織", "Quota": "配分額", "Unit": "組織", "Year": "年度",
    "Approve": "承認", "Reject": "却下", "Amount": "金額", "Reason": "理由", "Status": "状態", "Provider": "事業者",
    "Owed": "支払額", "Invoice": "請求番号", "Period": "利用期間", "Objections": "異議", "Show": "表示",
    "All": "すべて", "yuan": "元", "subsidy": "補助", "Remaining quota": "配分残額", "Billed": "請求額",
    "Maximum approvable now": "現在の承認上限", "Export": "出力", "Programme": "年度計画",
    "effective": "有効", "submitted": "申請中", "disclosure": "公示中", "rejected": "却下", "objected": "再審査",
    "expired": "失効", "Nothing here yet.": "データがありません。",
})
register("zh", {"Copy this token now; it is shown only once.": "请立即复制此令牌，它只显示这一次。"})
register("zh", {"Previous": "上一页", "Next": "下一页"})
register("zh", {  # flash messages of the voucher pages (templates filled after translation)
    "application {id} submitted ({contract})": "申请 {id} 已提交（合同 {contract}）",
    "application {id} approved: {amount_fen} ({status})": "申请 {id} 已批准：{amount_fen}（{status}）",
    "application {id} rejected": "申请 {id} 已驳回",
    "objection {oid} to application {id} recorded; the office will review it before the quota takes effect":
        "对申请 {id} 的异议（编号 {oid}）已登记；额度生效前办公室将予以核查",
    "objection {id}: {status}": "异议 {id}：{status}",
    "settlement batch {id} created: {n} payees, {total_fen}": "结算批次 {id} 已生成：{n} 个收款方，合计 {total_fen}",
    "settlement batch {id} marked paid ({ref})": "结算批次 {id} 已标记为已支付（{ref}）",
    "{name}: {status}": "{name}：{status}",
    "{name} ({uscc}, {city}) registered; the programme office will review it":
        "{name}（{uscc}，{city}）已提交注册，等待算力券办公室审核",
    "{name} whitelisted ({start} to {end})": "{name} 已列入白名单（{start} 至 {end}）",
    "{year} programme opened: pool {pool_fen}": "{year} 年度计划已开放：资金池 {pool_fen}",
    "{year} closed: {expired_fen} unused quota expired back to the pool":
        "{year} 年度已关闭：未使用额度 {expired_fen} 已退回资金池",
})
register("zh", {"payees": "个收款方", "Nothing is payable now.": "当前没有待结算金额。"})
register("zh", {"Registrations to review": "待审核注册"})
register("ja", {  # voucher pages
    "API tokens": "APIトークン",
    "Actions": "操作",
    "After approval the quota is on public disclosure for": "承認後、配分額は公示されます：",
    "Application": "申請",
    "Apply": "申請する",
    "Apply for vouchers": "クーポンを申請",
    "Approved": "承認額",
    "Approved quotas are published here before they take effect. Anyone may lodge an objection while a quota is o"
    "n disclosure; the office re-reviews upheld objections.":
        "承認された配分額は効力発生前にここで公示されます。公示期間中は誰でも異議を申し立てることができ、認められ"
        "た異議は事務局が再審査します。",
    "Back": "戻る",
    "Bills arrive over the API: POST /api/vouchers/bills with your provider token (see /docs).":
        "請求書はAPIで送信します：事業者トークンで POST /api/vouchers/bills（/docs 参照）。",
    "Cap per unit": "組織あたり上限",
    "Choose a unit.": "組織を選択してください。",
    "City": "市",
    "City fund": "市負担",
    "Close year": "年度を締める",
    "Closing a year expires every unused quota back to the pool and refuses further bills for that year's usage; "
    "type the year to confirm.":
        "年度を締めると未使用の配分額はすべて予算枠に戻り、その年度の利用分の請求は受け付けません。確認のため年度"
        "を入力してください。",
    "Contract": "契約番号",
    "Copy this token now; it is shown only once.": "このトークンを今すぐコピーしてください。表示は一度だけです。",
    "Create batch": "精算バッチを作成",
    "Credited": "取消済み",
    "Criterion": "認定基準",
    "Disclosure until": "公示期限",
    "Dismiss": "異議を退ける",
    "Effective": "発効",
    "Eligible": "対象額",
    "Enterprises, universities and research institutes registered in Henan may apply for compute vouchers. The 18"
    "-character Unified Social Credit Code (统一社会信用代码) is checked (GB 32100-2015 check character, Henan re"
    "gion code 41xxxx); the programme office approves each registration.":
        "河南省に登記された企業・大学・研究機関はクーポンを申請できます。18桁の統一社会信用コード（GB 32100-2015 "
        "のチェック文字、河南の行政区画コード 41xxxx）を検証し、事務局が登録を承認します。",
    "Error": "エラー",
    "Evidence": "証拠資料",
    "Home": "ホーム",
    "Industry": "業種",
    "Kind": "種別",
    "Legal entity": "法人",
    "Lines": "明細",
    "Lodge objection": "異議を申し立てる",
    "Mark paid": "支払済みにする",
    "Mode": "精算方式",
    "Name": "名称",
    "Net subsidy": "純補助額",
    "New token": "新しいトークン",
    "Next": "次へ",
    "No programme year is open.": "受付中の年度はありません。",
    "Note": "備考",
    "Nothing is payable now.": "現在、未払いはありません。",
    "Objection": "異議",
    "Only compute bought from whitelisted providers counts: the national supercomputing centre, AI computing cent"
    "res of at least 100 PFLOPS, data centres of at least 1,000 standard racks.":
        "対象はホワイトリスト事業者から購入した計算資源のみ：国家スーパーコンピューティングセンター、100 PFLOPS "
        "以上の AI 計算センター、標準ラック 1,000 以上のデータセンター。",
    "Open a programme year": "新しい年度を開始",
    "Payable": "未払い",
    "Payee": "支払先",
    "Payment reference": "支払番号",
    "Planned spend": "計画支出",
    "Previous": "前へ",
    "Programme years": "年度計画",
    "Provider whitelist": "事業者ホワイトリスト",
    "Province": "省負担",
    "Public disclosure of compute voucher quotas": "計算力クーポン配分額の公示",
    "Purpose": "用途",
    "Quantity": "数量",
    "Rate": "補助率",
    "Reason (for a rejection)": "理由（却下時は必須）",
    "Register organisation": "組織の登録",
    "Registrations to review": "審査待ちの登録",
    "Resolution": "処理内容",
    "Resource": "資源",
    "Resume": "再開",
    "Review": "審査",
    "Settles every positive payable balance (provider in discount mode, unit in reimbursement mode).":
        "未払い残高をすべて精算します（割引方式では事業者、償還方式では組織へ支払い）。",
    "Submit": "送信",
    "Submitted by": "申立人",
    "Suspend": "停止",
    "Text": "内容",
    "The office approves at most 20% of the planned spend, within the unit's yearly cap and the pool.":
        "承認額は計画支出の 20% 以内、かつ組織の年間上限と予算枠の範囲内です。",
    "Total": "合計",
    "Unit of measure": "単位",
    "Unit price (fen)": "単価（分）",
    "Uphold": "異議を認める",
    "Upholding sends the application back to review; its quota stays held until the re-review.":
        "異議を認めると申請は再審査に戻り、配分額は再審査まで確保されたままです。",
    "Valid": "有効期間",
    "Whitelist": "ホワイトリストに登録",
    "active": "有効",
    "all": "すべて",
    "anonymous": "匿名",
    "applications": "件の申請",
    "approved": "承認済み",
    "bill": "請求",
    "closed": "終了",
    "credit": "取消",
    "days": "日",
    "discount": "購入時割引",
    "dismissed": "不採用",
    "documents": "件",
    "draft": "下書き",
    "empty = the maximum": "空欄なら上限額",
    "enterprise": "企業",
    "exported": "出力済み",
    "open": "受付中",
    "paid": "支払済み",
    "payees": "件の支払先",
    "pending": "審査待ち",
    "reimbursement": "事後償還",
    "research_institute": "研究機関",
    "suspended": "停止中",
    "university": "大学",
    "upheld": "採用",
    "national_supercomputing": "国家スーパーコンピューティングセンター",
    "ai_computing_100pf": "AI計算センター ≥100 PFLOPS",
    "data_centre_1000_racks": "データセンター ≥1,000 ラック",
    "rate_of_planned_spend": "計画支出 × 補助率",
    "unit_cap_remaining": "組織上限の残り",
    "pool_remaining": "予算枠の残り",
})
register("zh", {
    "Related parties": "关联方", "Organisation": "机构", "Declare related parties": "登记关联关系",
    "No subsidy flows between declared related parties (a unit buying from an affiliated provider).":
        "已登记的关联方之间不产生补贴（单位向其关联服务商购买算力）。",
    "{a} and {b} declared related parties": "{a} 与 {b} 已登记为关联方",
})
register("ja", {
    "Related parties": "関連当事者", "Organisation": "組織", "Declare related parties": "関連当事者として登録",
    "No subsidy flows between declared related parties (a unit buying from an affiliated provider).":
        "登録された関連当事者間の取引には補助金が出ません。",
})
register("zh", {  # form labels named by errors (yuzhi.web.messages.FIELD_LABELS)
    "Requested amount": "申请金额", "AI revenue": "人工智能相关收入", "R&D spend": "研发投入",
    "Unified Social Credit Code": "统一社会信用代码", "Beijing time": "北京时间",
})
register("zh", {"Budget": "预算", "Cap per model": "单个模型上限", "Pass score": "通过分数"})
register("zh", {  # texts found by the zh page walk (tests/web/test_zh_pages.py), issue 15
    "One-off support for registered (备案) models with proven application results: at most 1,000,000 yuan per model, "
    "once per model.": "对已备案且应用成效经核验的模型给予一次性奖补：每个模型最高 100 万元，每个模型限一次。",
    "≥ 3 firms per cell, no firm above 85%": "每格至少 3 家企业，且单一企业占比不超过 85%",
    "shared": "共享", "own": "本单位", "good images": "张合格品图像",
    "related-party transaction (关联交易): the unit and the provider are declared affiliated":
        "关联交易：该单位与服务商已登记为关联方",
    "self-built, self-used compute (自建自用) is not subsidised: the provider is the unit itself":
        "自建自用算力不予补贴：服务商即该单位本身",
    "no effective voucher quota with this provider (apply and wait for 公示)":
        "该单位在此服务商处没有已生效的算力券额度（请先申请并等待公示期满）",
    "voucher quota with this provider is used up": "该服务商对应的算力券额度已用完",
    "programme year closed before review": "年度计划在审核前已关闭",
    "example": "示例", "Objective value": "目标值", "busy": "加工", "changeover": "换型", "idle": "空闲",
    "makespan": "最大完工时间", "total-tardiness": "总拖期", "weighted-tardiness": "加权总拖期",
    "max-tardiness": "最大拖期", "late-jobs": "拖期订单数", "weighted-late-jobs": "加权拖期订单数",
    "total-completion": "总完工时间", "weighted-completion": "加权总完工时间",
    "Prefix": "前缀", "browser": "浏览器",
})
register("zh", {"Site": "部署地点"})
register("zh", {  # who may do what: the Forbidden messages services raise (shown on the zh error page)
    "API tokens for pushing bills are issued to provider operators": "推送账单的接口令牌只发给服务商操作员",
    "This portal is for computing-centre operators.": "此门户供算力中心操作员使用。",
    "a provider pushes bills only for itself": "服务商只能推送本单位的账单",
    "objections are handled by the programme office": "异议由算力券办公室处理",
    "only a signed-in user has a chat history.": "登录后才有问答记录。",
    "only an office administrator (or a unit for its own members) creates users":
        "只有办公室管理员（或单位为本单位成员）可以创建用户",
    "only an office administrator closes a programme year": "只有办公室管理员可以关闭年度计划",
    "only an office administrator closes an award programme": "只有办公室管理员可以关闭奖补计划",
    "only an office administrator connects the platform's own machine (local)": "只有办公室管理员可以接入平台本机算力",
    "only an office administrator lists everyone's tokens": "只有办公室管理员可以查看所有用户的令牌",
    "only an office administrator marks settlements paid": "只有办公室管理员可以将结算标记为已支付",
    "only an office administrator opens a programme year": "只有办公室管理员可以开放年度计划",
    "only an office administrator opens an award programme": "只有办公室管理员可以开放奖补计划",
    "only an office administrator records award payments": "只有办公室管理员可以登记奖补支付",
    "only an office administrator records repayments": "只有办公室管理员可以登记退回款项",
    "only an office administrator registers apps": "只有办公室管理员可以登记应用",
    "only an office administrator runs settlement": "只有办公室管理员可以执行结算",
    "only an office administrator sets the token lifetime": "只有办公室管理员可以设置令牌有效期",
    "only an office administrator suspends or restores providers": "只有办公室管理员可以暂停或恢复服务商",
    "only an office administrator whitelists providers": "只有办公室管理员可以将服务商列入白名单",
    "only members of a key enterprise (or the office) file quarterly reports":
        "只有重点企业成员（或办公室）可以报送季度报表",
    "only members of a registered organisation (or the office) register models":
        "只有已注册机构的成员（或办公室）可以登记模型",
    "only members of a registered unit apply for vouchers": "只有已注册单位的成员可以申请算力券",
    "only members of an organisation submit compute jobs": "只有机构成员可以提交算力作业",
    "only members of an organisation train inspection models": "只有机构成员可以训练缺陷检测模型",
    "only members of the organisation that owns the model apply for its award":
        "只有模型所属机构的成员可以申请该模型的奖补",
    "only providers (or the office) record bills": "只有服务商（或办公室）可以登记账单",
    "only the applicant unit and the programme office add papers to a case file":
        "只有申请单位和算力券办公室可以向案卷添加材料",
    "only the model's own organisation adds deployment cases; the office verifies them":
        "只有模型所属机构可以添加应用案例，由办公室核验",
    "only the organisation that trained the model installs it": "只有训练该模型的机构可以安装它",
    "only the programme office approves organisations": "只有算力券办公室可以审核机构注册",
    "only the programme office confirms reports": "只有办公室可以确认报表",
    "only the programme office designates key enterprises": "只有办公室可以认定重点企业",
    "only the programme office may create public knowledge bases": "只有办公室可以创建公共知识库",
    "only the programme office records affiliations": "只有算力券办公室可以登记关联关系",
    "only the programme office records estimates": "只有办公室可以登记估算数",
    "only the programme office resolves objections": "只有算力券办公室可以处理异议",
    "only the programme office reviews applications": "只有算力券办公室可以审核申请",
    "only the programme office reviews award applications": "只有办公室可以审核奖补申请",
    "only the programme office revokes awards": "只有办公室可以撤销奖补",
    "only the programme office verifies model filings": "只有办公室可以核验模型备案",
    "only the provider's operators (or an office administrator) change its compute settings":
        "只有该服务商的操作员（或办公室管理员）可以修改其算力设置",
    "only the submitting organisation (or the office administrator) cancels a job":
        "只有提交作业的机构（或办公室管理员）可以取消作业",
    "public knowledge bases are managed by the programme office": "公共知识库由办公室管理",
    "settlement batches are managed by the programme office": "结算批次由算力券办公室管理",
    "the 2027-target dashboard is for the programme office; see the public summary":
        "2027 目标总览仅供办公室使用；请查看公开进展",
    "the programme dashboard is for the programme office": "算力券总览仅供算力券办公室使用",
    "this account cannot hold tokens": "此账户不能持有令牌",
    "this needs a programme-office account": "需要算力券办公室账户",
    "this needs an office administrator account": "需要办公室管理员账户",
    "this page is for the programme office": "此页面仅供算力券办公室使用",
    "this page needs an office administrator account": "此页面需要办公室管理员账户",
    "you can only create knowledge bases for your own organisation": "只能为本单位创建知识库",
    "your account belongs to no organisation": "您的账户不属于任何机构",
    "metrics need a programme-office token, or a request from this host": "指标接口需要办公室令牌，或从本机访问",
})
register("zh", {  # refusals services raise that a form user can meet (fallback for errors without a catalog key)
    "a credit note belongs to the year of the original usage period": "红字冲销须计入原使用期间所在年度",
    "a job of kind 'app' names a registered app": "“应用”类作业须指定已登记的应用",
    "a payment needs the treasury reference": "支付须填写国库支付凭证号",
    "a payment reference is required": "请填写支付凭证号",
    "a rejection needs a reason": "驳回须填写理由",
    "a repayment is a positive amount of fen": "退回金额须大于 0",
    "a repayment needs the bank transfer's reference": "退回款项须填写银行转账凭证号",
    "a resolution is required": "请填写处理意见",
    "a resolution needs a reason": "处理意见须填写理由",
    "a review needs a reason": "审核须填写理由",
    "a revocation needs a reason": "撤销须填写理由",
    "a token needs a name of 2 to 100 characters": "令牌名称须为 2 至 100 个字符",
    "an organisation cannot be affiliated with itself": "机构不能与自身登记为关联方",
    "choose a provider": "请选择服务商",
    "choose approve or reject": "请选择批准或驳回",
    "choose suspend or resume": "请选择暂停或恢复",
    "choose uphold or dismiss": "请选择异议成立或不成立",
    "closing a year cannot be undone": "年度关闭后不可撤销",
    "no provider can run this job": "没有服务商能运行此作业",
    "returning a report needs a reason": "退回报表须填写理由",
    "the batch holds no bills": "该批次没有账单",
    "the file is empty": "文件为空",
    "the file is not a PDF, PNG or JPEG (checked by its content, not its name)":
        "文件不是 PDF、PNG 或 JPEG（按文件内容而非文件名检查）",
    "the maximum token lifetime is 1 to 3650 days": "令牌最长有效期须为 1 至 3650 天",
    "the office name or contact line is too long": "办公室名称或联系方式过长",
    "the virus scanner refused this file": "病毒扫描拒绝了此文件",
    "the 初审 of this application is already recorded; it now needs the 复核": "此申请的初审已记录，现需复核",
    "the 初审 recommended rejection; the 复核 cannot approve": "初审建议驳回，复核不能批准",
    "the 复核 cannot approve more than the 初审 recommended": "复核批准额不能超过初审建议额",
    "these organisations are already declared affiliated": "这些机构已登记为关联方",
    "this programme year needs two reviewers: record the 初审 first": "本年度实行两级审核：请先完成初审",
    "this programme year reviews in one step": "本年度实行一级审核",
    "your organisation has no compute budget": "您的机构尚无算力预算",
    "wrong username or password": "用户名或密码错误",
    "correct this field and submit again": "请修改此项后重新提交",
    "reload and retry": "请刷新后重试",
    "retry in a moment": "请稍后重试",
})
register("zh", {  # flash messages of the awards and compute pages (filled after translation)
    "model {name} registered; the office will verify its filing": "模型 {name} 已登记，办公室将核验其备案",
    "case added": "案例已添加", "model {name}: {status}": "模型 {name}：{status}",
    "award application {id} submitted": "奖补申请 {id} 已提交",
    "award application {id}: {status}": "奖补申请 {id}：{status}",
    "award application {id} paid ({ref})": "奖补申请 {id} 已支付（{ref}）",
    "award application {id} revoked": "奖补申请 {id} 已撤销",
    "objection {id} recorded; the office will decide before any payment": "异议 {id} 已登记，办公室将在支付前作出决定",
    "job {id} queued; {quote_fen} held": "作业 {id} 已排队，已冻结 {quote_fen}",
    "job {id}: {status}": "作业 {id}：{status}",
    "job {id}: {status} (cancellation requested)": "作业 {id}：{status}（已请求取消）",
})
register("zh", {  # flash messages of the 2027-target pages
    "estimate recorded: {year} Q{quarter} {industry}": "估算数已登记：{year} 年第 {quarter} 季度 {industry}",
    "{year} Q{quarter} filed": "{year} Q{quarter} 已报送",
    "{year} Q{quarter} filed with {n} flag(s) for the office to check":
        "{year} Q{quarter} 已报送，有 {n} 项提示待办公室核查",
    "{n} quarter(s) filed from {file}": "已从 {file} 报送 {n} 个季度",
    "report {id} ({year} Q{quarter}): {status}": "报表 {id}（{year} Q{quarter}）：{status}",
    "{n} × {model} registered": "已登记 {n} 台 {model}",
})
