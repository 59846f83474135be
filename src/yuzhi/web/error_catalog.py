"""Errors that carry values, as people read them (merged into :data:`yuzhi.web.messages.CATALOG`).

Kept apart from ``messages.py`` so that the rendering rules stay short to read. Each entry is
``key → language → (message, fix)``; the raise site passes ``key=`` and ``params=`` and keeps its
English ``message`` for the API body and logs (``code`` and ``field`` never change). Params ending in
``_fen`` are shown in yuan, ``status`` by its word on the page, date-times in the display zone.
"""

from __future__ import annotations

E = dict[str, tuple[str, str]]

_NOT_FOUND: dict[str, E] = {
    "settlement_not_found": {
        "en": ("settlement {id} not found", "open it from the settlements list"),
        "zh": ("结算批次 {id} 不存在或无权查看", "请从结算列表中打开"),
    },
    "objection_not_found": {
        "en": ("objection {id} not found or already decided", "open it from the objections list"),
        "zh": ("异议 {id} 不存在或已处理", "请从异议列表中打开"),
    },
    "attachment_not_found": {
        "en": ("attachment {id} not found", "open it from the application's case file"),
        "zh": ("附件 {id} 不存在或无权查看", "请从申请的案卷页打开"),
    },
    "token_not_found": {
        "en": ("token {id} not found", "pick the token from your token list"),
        "zh": ("令牌 {id} 不存在", "请从令牌列表中选择"),
    },
    "report_not_found": {
        "en": ("report {id} not found", "open it from the reports list"),
        "zh": ("报表 {id} 不存在或无权查看", "请从报表列表中打开"),
    },
    "robot_not_found": {
        "en": ("robot deployment {id} not found", "open it from the robot deployments list"),
        "zh": ("机器人部署记录 {id} 不存在", "请从机器人部署列表中打开"),
    },
    "job_not_found": {
        "en": ("job {id} not found", "open it from the jobs list"),
        "zh": ("作业 {id} 不存在或无权查看", "请从作业列表中打开"),
    },
    "model_not_found": {
        "en": ("model {id} not found", "open it from the models list"),
        "zh": ("模型 {id} 不存在或无权查看", "请从模型列表中打开"),
    },
    "award_not_found": {
        "en": ("award application {id} not found", "open it from the award applications list"),
        "zh": ("奖励申请 {id} 不存在或无权查看", "请从奖励申请列表中打开"),
    },
    "sensor_not_found": {
        "en": ("sensor {id} not found", "pick a sensor from the list"),
        "zh": ("传感器 {id} 不存在", "请从传感器列表中选择"),
    },
    "alarm_not_found": {
        "en": ("alarm {id} not found", "open it from the alarms list"),
        "zh": ("告警 {id} 不存在或无权查看", "请从告警列表中打开"),
    },
    "plan_not_found": {
        "en": ("plan {id} not found", "open it from the plans list"),
        "zh": ("排产计划 {id} 不存在或无权查看", "请从排产计划列表中打开"),
    },
    "no_programme": {
        "en": ("there is no {year} programme", "open the programme year first"),
        "zh": ("{year} 年度算力券计划尚未设立", "请先设立该年度计划"),
    },
    "no_award_programme": {
        "en": ("there is no {year} award programme", "use a year the office has opened"),
        "zh": ("{year} 年度模型奖励计划尚未设立", "请选择办公室已开放的年度"),
    },
}

_VOUCHERS: dict[str, E] = {
    "programme_exists": {
        "en": ("the {year} programme already exists", "each year has one programme; open the next year instead"),
        "zh": ("{year} 年度计划已存在", "每年只有一个计划；如需新计划请设立下一年度"),
    },
    "programme_closed": {
        "en": ("the {year} programme is closed", "apply to an open year"),
        "zh": ("{year} 年度计划已关闭", "请选择仍在受理的年度"),
    },
    "programme_already_closed": {
        "en": ("the {year} programme is already closed", "nothing to do; it stays closed"),
        "zh": ("{year} 年度计划已经关闭", "无需再次操作"),
    },
    "org_not_approved": {
        "en": ("organisation {name} is {status}, not approved",
               "wait for the programme office to approve the registration"),
        "zh": ("机构 {name} 当前状态为“{status}”，尚未通过审核", "请等待办公室审核通过机构登记"),
    },
    "provider_not_whitelisted_year": {
        "en": ("provider {name} is suspended or not whitelisted in {year}", "choose an active whitelisted provider"),
        "zh": ("算力服务商 {name} 在 {year} 年度已暂停或不在白名单内", "请选择白名单内正常服务的算力服务商"),
    },
    "contract_has_application": {
        "en": ("contract {contract} with {name} already has an application; a contract is subsidised once",
               "check the contract number; each contract is subsidised once"),
        "zh": ("与 {name} 签订的合同 {contract} 已有申请；同一合同只补贴一次",
               "请核对合同编号；每份合同只能申请一次"),
    },
    "application_not_reviewable": {
        "en": ("application {id} is {status}; only submitted or objected applications are reviewed",
               "refresh the list; someone may have decided it already"),
        "zh": ("申请 {id} 当前状态为“{status}”；只有已提交或异议复审的申请可以审核", "请刷新列表，可能已有人处理"),
    },
    "application_not_on_disclosure": {
        "en": ("application {id} is not on public disclosure",
               "objections are accepted only during the disclosure period"),
        "zh": ("申请 {id} 不在公示期内", "异议只在公示期内受理"),
    },
    "repay_over_owed": {
        "en": ("{payee} owes {owed_fen} to the {year} pool, less than {amount_fen}", "record at most {owed_fen}"),
        "zh": ("{payee} 应退回 {year} 年度资金池 {owed_fen}，少于填写的 {amount_fen}", "最多登记 {owed_fen}"),
    },
    "settlement_already_paid": {
        "en": ("settlement {id} is already paid ({ref})", "nothing to do; the payment is recorded"),
        "zh": ("结算批次 {id} 已付款（{ref}）", "无需再次登记，付款已记录"),
    },
    "attachment_kind": {
        "en": ("'{kind}' is not a kind of paper", "choose contract, invoice or other"),
        "zh": ("“{kind}”不是可选的材料类型", "请选择合同、发票或其他"),
    },
    "attachment_too_large": {
        "en": ("the file is {size_mib} MiB; at most {max_mib} MiB",
               "scan at a lower resolution or split the document"),
        "zh": ("文件大小为 {size_mib} MiB，上限为 {max_mib} MiB", "请降低扫描分辨率或拆分文件"),
    },
    "virus_scan_failed": {
        "en": ("the virus scanner could not check the file ({error})",
               "try again later; the platform operator should check YUZHI_VIRUS_SCAN_CMD"),
        "zh": ("病毒扫描未能检查该文件（{error}）", "请稍后重试；平台运维人员应检查 YUZHI_VIRUS_SCAN_CMD"),
    },
}

_ACCOUNTS: dict[str, E] = {
    "uscc_registered": {
        "en": ("an organisation with USCC {uscc} is already registered",
               "log in with that organisation's account, or ask the office to add you as a member"),
        "zh": ("统一社会信用代码为 {uscc} 的机构已登记", "请使用该机构的账号登录，或请办公室把您加为该机构成员"),
    },
    "username_taken": {
        "en": ("username '{username}' is taken", "choose another"),
        "zh": ("用户名“{username}”已被占用", "请换一个用户名"),
    },
    "token_too_long": {
        "en": ("an API token may live at most {days} days (set by the programme office)",
               "ask for 1 to {days} days and issue a new token before it expires"),
        "zh": ("API 令牌有效期最长 {days} 天（由办公室设定）", "请填写 1 至 {days} 天，到期前再签发新令牌"),
    },
    "login_throttled": {
        "en": ("too many failed logins: {failures} in {minutes} minutes",
               "wait {minutes} minutes, or ask an office administrator to reset your password"),
        "zh": ("登录失败次数过多：{minutes} 分钟内 {failures} 次", "请等待 {minutes} 分钟，或请办公室管理员重置密码"),
    },
}

_KPI: dict[str, E] = {
    "kpi_not_xlsx": {
        "en": ("the file is not an Excel .xlsx workbook ({error})",
               "save the report as .xlsx from the downloaded template"),
        "zh": ("文件不是 Excel .xlsx 工作簿（{error}）", "请用下载的模板另存为 .xlsx 后上传"),
    },
    "kpi_no_sheet": {
        "en": ("sheet '{sheet}' not found; the workbook has sheets {sheets}",
               "put the figures on a sheet named '{sheet}' (use the downloaded template)"),
        "zh": ("找不到工作表“{sheet}”；工作簿中的工作表为 {sheets}",
               "请把数据填在名为“{sheet}”的工作表中（使用下载的模板）"),
    },
    "kpi_sheet_empty": {
        "en": ("sheet '{sheet}' is empty", "fill in the template's header row"),
        "zh": ("工作表“{sheet}”为空", "请保留模板的表头行并填写数据"),
    },
    "kpi_no_column": {
        "en": ("sheet '{sheet}' row 1 has no column '{column}'", "keep the template's header row unchanged"),
        "zh": ("工作表“{sheet}”第 1 行缺少“{column}”列", "请不要修改模板的表头行"),
    },
    "kpi_duplicate_row": {
        "en": ("sheet '{sheet}' rows {first} and {row} both report {year} Q{quarter} for {uscc}",
               "keep one row per organisation and quarter"),
        "zh": ("工作表“{sheet}”第 {first} 行和第 {row} 行都填报了 {uscc} 的 {year} 年第 {quarter} 季度",
               "每个机构每个季度只保留一行"),
    },
    "kpi_no_rows": {
        "en": ("sheet '{sheet}' has a header but no data rows", "add one row per quarter below the header"),
        "zh": ("工作表“{sheet}”只有表头，没有数据行", "请在表头下每个季度填一行"),
    },
    "kpi_cell_uscc_empty": {
        "en": ("cell {cell}: {header} is empty", "fill in the organisation's 18-character USCC"),
        "zh": ("单元格 {cell}：{header}为空", "请填写机构的 18 位统一社会信用代码"),
    },
    "kpi_cell_empty": {
        "en": ("cell {cell}: {header} is empty", "fill in a number (0 if none)"),
        "zh": ("单元格 {cell}：{header}为空", "请填写数字（没有则填 0）"),
    },
    "kpi_cell_not_number": {
        "en": ("cell {cell}: {header} is '{text}', which is not a number",
               "type digits only (no units or text such as 万 or 约)"),
        "zh": ("单元格 {cell}：{header}“{text}”不是数字", "请只填写数字（不要带“万”“约”等单位或文字）"),
    },
    "kpi_cell_negative": {
        "en": ("cell {cell}: {header} is negative ({text})", "report zero or a positive figure"),
        "zh": ("单元格 {cell}：{header}为负数（{text}）", "请填写 0 或正数"),
    },
    "kpi_cell_sub_fen": {
        "en": ("cell {cell}: {header} {text} has more than two decimals", "give the amount in yuan, to the fen"),
        "zh": ("单元格 {cell}：{header} {text} 超过两位小数", "金额以元为单位，精确到分"),
    },
    "kpi_cell_too_large": {
        "en": ("cell {cell}: {header} {text} is above the largest amount accepted ({max_fen})",
               "check the unit: amounts are in yuan (元), not fen or 万元"),
        "zh": ("单元格 {cell}：{header} {text} 超过可接受的最大金额（{max_fen}）",
               "请检查单位：金额以元填写，不是分或万元"),
    },
    "kpi_cell_not_whole": {
        "en": ("cell {cell}: {header} {text} is not a whole number", "type a whole number"),
        "zh": ("单元格 {cell}：{header} {text} 不是整数", "请填写整数"),
    },
    "kpi_cell_quarter": {
        "en": ("cell {cell}: {header} is {text}; a quarter is 1 to 4", "type 1, 2, 3 or 4"),
        "zh": ("单元格 {cell}：{header}为 {text}；季度应为 1 至 4", "请填写 1、2、3 或 4"),
    },
    "kpi_cell_year": {
        "en": ("cell {cell}: {header} {text} is not a year", "type a four-digit year such as 2026"),
        "zh": ("单元格 {cell}：{header} {text} 不是有效年度", "请填写四位年份，例如 2026"),
    },
    "kpi_cell_count_too_large": {
        "en": ("cell {cell}: {header} is {text}, above the largest figure accepted ({most})",
               "check the figure: it is a count, not an amount"),
        "zh": ("单元格 {cell}：{header}为 {text}，超过可接受的最大值（{most}）", "请检查数字：此列是数量，不是金额"),
    },
    "kpi_not_key_enterprise": {
        "en": ("{name} is not a designated key AI enterprise",
               "ask the programme office to designate the enterprise before it reports"),
        "zh": ("{name} 不是认定的人工智能重点企业", "请先由办公室认定为重点企业，再填报"),
    },
    "kpi_quarter_not_started": {
        "en": ("{year} Q{quarter} has not started yet",
               "report a quarter that has begun (usually the one just ended)"),
        "zh": ("{year} 年第 {quarter} 季度尚未开始", "请填报已开始的季度（通常是刚结束的季度）"),
    },
    "report_not_reviewable": {
        "en": ("report {id} is {status}; only submitted reports are confirmed or returned",
               "refresh the list; someone may have decided it already"),
        "zh": ("报表 {id} 当前状态为“{status}”；只有已提交的报表可以确认或退回", "请刷新列表，可能已有人处理"),
    },
    "robot_future": {
        "en": ("deployed on {date}, which is in the future",
               "register it as planned, or give the actual deployment date"),
        "zh": ("部署日期 {date} 晚于今天", "请按计划登记，或填写实际部署日期"),
    },
}

_COMPUTE: dict[str, E] = {
    "compute_too_many_cpus": {
        "en": ("{asked} CPUs requested but this machine has {most}", "request at most {most} CPUs"),
        "zh": ("申请 {asked} 个 CPU，但本机只有 {most} 个", "最多申请 {most} 个 CPU"),
    },
    "compute_too_many_gpus": {
        "en": ("{asked} GPUs requested but this machine has {most}", "request at most {most} GPUs"),
        "zh": ("申请 {asked} 块 GPU，但本机只有 {most} 块", "最多申请 {most} 块 GPU"),
    },
    "compute_at_least": {
        "en": ("{name} must be a whole number of at least {low}, got {value}", "set {name} to {low} or more"),
        "zh": ("{name} 须为不小于 {low} 的整数，实际为 {value}", "请把 {name} 设为 {low} 或更大"),
    },
    "compute_resource_limit": {
        "en": ("provider {name} allows at most {most} {what} per job ({asked} requested)",
               "request less, or choose a bigger provider"),
        "zh": ("算力服务商 {name} 每个作业最多允许 {most} {what_zh}（申请了 {asked}）",
               "请减少申请量，或选择规模更大的服务商"),
    },
    "compute_too_many_nodes": {
        "en": ("provider {name} has {most} node(s) ({asked} requested)",
               "request fewer nodes, or choose a bigger provider"),
        "zh": ("算力服务商 {name} 只有 {most} 个节点（申请了 {asked} 个）", "请减少节点数，或选择规模更大的服务商"),
    },
    "compute_no_capacity": {
        "en": ("provider {name} has not published its capacity", "choose another provider"),
        "zh": ("算力服务商 {name} 尚未公布可用资源", "请选择其他服务商"),
    },
    "compute_no_rate_card": {
        "en": ("provider {provider_id} has no rate card valid on {day}",
               "the provider must publish a rate card covering that date"),
        "zh": ("算力服务商 {provider_id} 在 {day} 没有有效的价目表", "请服务商发布覆盖该日期的价目表"),
    },
    "compute_budget_below": {
        "en": ("a budget of {budget_fen} is below the {floor_fen} already held or spent", "set at least {floor_fen}"),
        "zh": ("预算 {budget_fen} 低于已冻结或已花费的 {floor_fen}", "请设为不低于 {floor_fen}"),
    },
    "compute_provider_suspended": {
        "en": ("provider {name} is suspended ({reason})",
               "choose another provider, or leave it empty for the cheapest one"),
        "zh": ("算力服务商 {name} 已暂停服务（{reason}）", "请选择其他服务商，或留空由平台选择最便宜的"),
    },
    "compute_provider_not_whitelisted": {
        "en": ("provider {name} is not whitelisted on {day}", "choose a provider on the whitelist"),
        "zh": ("算力服务商 {name} 在 {day} 不在白名单内", "请选择白名单内的服务商"),
    },
    "compute_provider_no_backend": {
        "en": ("provider {name} has not connected a compute backend", "choose another provider"),
        "zh": ("算力服务商 {name} 尚未接入计算资源", "请选择其他服务商"),
    },
    "compute_over_budget": {
        "en": ("the quote of {quote_fen} exceeds the {free_fen} left in the compute budget "
               "({held_fen} held by running jobs, {spent_fen} spent)",
               "raise the budget, request less, shorten the time limit or wait for jobs to end"),
        "zh": ("报价 {quote_fen} 超过算力预算剩余的 {free_fen}（运行中作业冻结 {held_fen}，已花费 {spent_fen}）",
               "请提高预算、减少资源、缩短时限，或等待作业结束"),
    },
}

_AWARDS: dict[str, E] = {
    "filing_no_taken": {
        "en": ("filing number {filing_no} is already registered for another model",
               "check the number on the filing certificate; one filing covers one model"),
        "zh": ("备案号 {filing_no} 已登记在其他模型名下", "请核对备案证明上的编号；一个备案号对应一个模型"),
    },
    "model_name_taken": {
        "en": ("{org} already registered a model named {name}", "add deployment cases to the existing model instead"),
        "zh": ("{org} 已登记名为 {name} 的模型", "请在已有模型下添加应用案例"),
    },
    "award_programme_exists": {
        "en": ("the {year} award programme already exists", "each year has one award programme"),
        "zh": ("{year} 年度模型奖励计划已存在", "每年只有一个奖励计划"),
    },
    "award_programme_closed": {
        "en": ("the {year} award programme is closed", "apply to an open year"),
        "zh": ("{year} 年度模型奖励计划已关闭", "请选择仍在受理的年度"),
    },
    "award_over_cap": {
        "en": ("{requested_fen} is above the cap of {cap_fen} per model", "request at most {cap_fen}"),
        "zh": ("申请金额 {requested_fen} 超过每个模型 {cap_fen} 的上限", "最多申请 {cap_fen}"),
    },
    "award_pending": {
        "en": ("model {name} already has application {pending} under review",
               "wait for the decision on the pending application"),
        "zh": ("模型 {name} 已有申请 {pending} 正在审核", "请等待该申请的审核结果"),
    },
    "award_not_reviewable": {
        "en": ("award application {id} is {status}; only submitted applications are reviewed",
               "refresh the list; someone may have decided it already"),
        "zh": ("奖励申请 {id} 当前状态为“{status}”；只有已提交的申请可以审核", "请刷新列表，可能已有人处理"),
    },
    "award_not_revocable": {
        "en": ("award application {id} is {status}; only approved, unpaid awards are revoked", "refresh the list"),
        "zh": ("奖励申请 {id} 当前状态为“{status}”；只有已批准且未支付的奖励可以撤销", "请刷新列表"),
    },
    "award_not_payable": {
        "en": ("award application {id} is {status}; only approved awards are paid", "refresh the list"),
        "zh": ("奖励申请 {id} 当前状态为“{status}”；只有已批准的奖励可以支付", "请刷新列表"),
    },
    "award_on_disclosure": {
        "en": ("award application {id} is on public disclosure until {until}",
               "pay after the disclosure period ends"),
        "zh": ("奖励申请 {id} 公示至 {until}", "请在公示期结束后支付"),
    },
    "award_objection_open": {
        "en": ("objection {objection} against award application {id} is still open",
               "resolve the objection (uphold: the award is revoked; dismiss: it can be paid)"),
        "zh": ("针对奖励申请 {id} 的异议 {objection} 尚未处理", "请先处理异议（成立则撤销奖励；不成立则可以支付）"),
    },
    "award_not_on_disclosure": {
        "en": ("award {id} is not on the disclosure list", "object to an award shown on the disclosure page"),
        "zh": ("奖励 {id} 不在公示名单中", "请对公示页上列出的奖励提出异议"),
    },
    "award_disclosure_over": {
        "en": ("the disclosure period of award {id} is over",
               "objections are taken during the disclosure period only"),
        "zh": ("奖励 {id} 的公示期已结束", "异议只在公示期内受理"),
    },
    "objection_already": {
        "en": ("objection {id} is already {status}", "refresh the list; someone may have decided it already"),
        "zh": ("异议 {id} 已处理（{status}）", "请刷新列表，可能已有人处理"),
    },
    "award_below_pass": {
        "en": ("total score {total} is below the pass mark {pass_score}",
               "reject the application with the reason, or re-score"),
        "zh": ("总分 {total} 低于及格线 {pass_score}", "请填写理由驳回申请，或重新评分"),
    },
}

_MONITOR_SCHEDULE: dict[str, E] = {
    "sensor_exists": {
        "en": ("sensor '{key}' already exists", "choose another key"),
        "zh": ("传感器“{key}”已存在", "请换一个编号"),
    },
    "alarm_already": {
        "en": ("alarm {id} is already {status}", "refresh the list; someone may have handled it"),
        "zh": ("告警 {id} 已是“{status}”状态", "请刷新列表，可能已有人处理"),
    },
    "alarm_already_cleared": {
        "en": ("alarm {id} is already cleared", "nothing to do"),
        "zh": ("告警 {id} 已解除", "无需再次操作"),
    },
    "alarm_ack_first": {
        "en": ("alarm {id} must be acknowledged first", "acknowledge it with a comment"),
        "zh": ("告警 {id} 须先确认", "请填写说明并确认告警"),
    },
    "alarm_still_active": {
        "en": ("alarm {id}: the condition still holds ({level})", "clear it once the readings are back to normal"),
        "zh": ("告警 {id}：触发条件仍然存在（{level}）", "读数恢复正常后再解除"),
    },
    "contact_exists": {
        "en": ("{email} is already a contact of this organisation", "nothing to do"),
        "zh": ("{email} 已是本机构的联系人", "无需重复添加"),
    },
}

ERRORS: dict[str, E] = {**_NOT_FOUND, **_VOUCHERS, **_ACCOUNTS, **_KPI, **_COMPUTE, **_AWARDS, **_MONITOR_SCHEDULE}

ERRORS["solve_job_not_found"] = {
    "en": ("solve job {id} not found", "open it from the production plans list"),
    "zh": ("求解任务 {id} 不存在或无权查看", "请从生产计划列表中打开"),
}

_MORE: dict[str, E] = {  # bills, knowledge base, forms, awards (second pass)
    "bills_batch_too_large": {
        "en": ("{count} bills in one batch; at most {most} are accepted",
               "split the file into batches of {most} or fewer"),
        "zh": ("一次提交了 {count} 张账单，最多 {most} 张", "请拆分为每批不超过 {most} 张"),
    },
    "bill_original_not_found": {
        "en": ("original invoice {invoice} not found for this provider", "credit an invoice you sent earlier"),
        "zh": ("找不到本服务商的原发票 {invoice}", "红字发票只能冲减此前提交过的发票"),
    },
    "bill_credit_over_open": {
        "en": ("credit of {amount_fen} exceeds the {open_fen} still open on invoice {invoice}",
               "credit at most {open_fen}"),
        "zh": ("冲减金额 {amount_fen} 超过发票 {invoice} 尚未冲减的 {open_fen}", "最多冲减 {open_fen}"),
    },
    "bill_spans_years": {
        "en": ("usage period {start}..{end} spans two programme years",
               "split the invoice at {year}-12-31: one bill per year"),
        "zh": ("使用期 {start} 至 {end} 跨越两个计划年度", "请在 {year}-12-31 处拆分：每个年度一张账单"),
    },
    "bill_lines_sum": {
        "en": ("lines add up to {lines_fen} but the amount is {amount_fen}", "make the amount the sum of the lines"),
        "zh": ("明细合计 {lines_fen}，与账单金额 {amount_fen} 不一致", "账单金额应等于各明细之和"),
    },
    "bill_invoice_differs": {
        "en": ("invoice {invoice} was already recorded with different content",
               "send the original again to retry, or use a new invoice number (credit notes correct a bill)"),
        "zh": ("发票 {invoice} 已按不同内容登记", "重试请提交原内容，或使用新的发票号（更正请开红字发票）"),
    },
    "bill_customer_unknown": {
        "en": ("customer {uscc} is not registered on the platform", "the unit registers first"),
        "zh": ("客户 {uscc} 尚未在平台登记", "请客户单位先在平台登记"),
    },
    "bill_year_closed": {
        "en": ("the {year} programme year is closed; no more bills for its usage",
               "bills must arrive before the office closes the year"),
        "zh": ("{year} 年度已关闭，不再受理该年度的账单", "账单须在办公室关闭年度前提交"),
    },
    "kb_not_found": {
        "en": ("knowledge base {id} not found", "pick a knowledge base from the list"),
        "zh": ("知识库 {id} 不存在或无权查看", "请从知识库列表中选择"),
    },
    "kb_article_not_found": {
        "en": ("{source} {article} not found in knowledge base {id}", "check the document and article number"),
        "zh": ("知识库 {id} 中找不到《{source}》{article}", "请核对文件名和条款编号"),
    },
    "kb_document_not_found": {
        "en": ("document {id} not found", "open it from the knowledge base's document list"),
        "zh": ("文档 {id} 不存在或无权查看", "请从知识库的文档列表中打开"),
    },
    "kb_file_type": {
        "en": ("{name}: unsupported file type", "upload one of {types}"),
        "zh": ("{name}：不支持的文件类型", "请上传以下类型之一：{types}"),
    },
    "kb_file_too_large": {
        "en": ("{name} is larger than {max_mib} MiB", "split the document or upload a smaller file"),
        "zh": ("{name} 超过 {max_mib} MiB", "请拆分文档或上传更小的文件"),
    },
    "chat_not_found": {
        "en": ("chat entry {id} not found in your history", "open it from your question history"),
        "zh": ("问答记录 {id} 不在您的历史中", "请从您的提问历史中打开"),
    },
    "not_days": {
        "en": ("'{text}' is not a number of days", "type a whole number, e.g. 90"),
        "zh": ("“{text}”不是有效的天数", "请填写整数，例如 90"),
    },
    "filing_date_invalid": {
        "en": ("filing date '{text}' is not a date", "use the form's date picker (YYYY-MM-DD)"),
        "zh": ("备案日期“{text}”不是有效日期", "请用表单的日期选择器（年-月-日）"),
    },
    "score_not_whole": {
        "en": ("score '{text}' is not a whole number", "score each criterion with a whole number"),
        "zh": ("评分“{text}”不是整数", "每项评分请填写整数"),
    },
    "model_no_filing": {
        "en": ("model {name} has no filing number and date to verify",
               "the organisation adds its 备案 filing number and date, then the office verifies"),
        "zh": ("模型 {name} 尚无备案号和备案日期，无法核验", "请机构先补充备案号和日期，再由办公室核验"),
    },
    "cases_not_of_model": {
        "en": ("case(s) {cases} do not belong to model {id}", "list only this model's case ids"),
        "zh": ("案例 {cases} 不属于模型 {id}", "只能选择该模型的案例"),
    },
    "model_holds_award": {
        "en": ("model {name} holds an award; revoke the award before rejecting its filing", "revoke the award first"),
        "zh": ("模型 {name} 已获奖励；驳回备案前须先撤销奖励", "请先撤销奖励"),
    },
}
ERRORS.update(_MORE)

_THIRD: dict[str, E] = {  # compute, providers, monitor/schedule forms, simulation, accounts (third pass)
    "rate_card_changes_past_job": {
        "en": ("job {job} started on {day} and was priced under rate card {card}; a card from {new_from} would "
               "change the price of a finished job", "start the new card on {next_day} or later"),
        "zh": ("作业 {job} 于 {day} 开始，已按价目表 {card} 计价；自 {new_from} 起生效的新价目表会改变已完成作业的价格",
               "请让新价目表自 {next_day} 起生效"),
    },
    "rate_card_not_found": {
        "en": ("rate card {id} not found", "pick a rate card from the list"),
        "zh": ("价目表 {id} 不存在", "请从价目表列表中选择"),
    },
    "app_exists": {"en": ("an app named '{name}' exists", "choose another name"),
                   "zh": ("已有名为“{name}”的应用", "请换一个名称")},
    "app_not_found": {"en": ("no registered app '{name}'", "pick an app from the list"),
                      "zh": ("没有登记名为“{name}”的应用", "请从应用列表中选择")},
    "app_no_args": {"en": ("app '{name}' takes no extra arguments", "leave the arguments empty"),
                    "zh": ("应用“{name}”不接受额外参数", "请将参数留空")},
    "job_kind_unavailable": {"en": ("job kind '{kind}' is not available on this platform", "use one of: {have}"),
                             "zh": ("本平台不提供“{kind}”类作业", "可选：{have}")},
    "input_not_in_store": {
        "en": ("input '{name}' refers to file {sha}… which is not stored", "upload the file first"),
        "zh": ("输入“{name}”引用的文件 {sha}… 尚未上传", "请先上传该文件"),
    },
    "provider_no_engine": {"en": ("provider {id} has no engine connected", "the provider connects its cluster first"),
                           "zh": ("算力服务商 {id} 尚未接入计算资源", "请服务商先接入其计算集群")},
    "upload_too_large": {"en": ("upload of {size} bytes exceeds {most}", "put large data on the cluster's file system"),
                         "zh": ("上传 {size} 字节，超过上限 {most}", "大数据请放在集群文件系统中")},
    "artifact_not_found": {"en": ("file {sha}… not found", "open it from the job that used or produced it"),
                           "zh": ("文件 {sha}… 不存在或无权下载", "请从使用或生成它的作业中打开")},
    "inspect_model_not_found": {"en": ("inspection model '{name}' not found", "train it first on the inspection page"),
                                "zh": ("质检模型“{name}”不存在", "请先在质检页面训练该模型")},
    "not_a_time": {"en": ("cannot read time '{text}'", "write e.g. 2026-12-07 10:40"),
                   "zh": ("“{text}”不是有效时间", "请按 2026-12-07 10:40 的格式填写")},
    "provider_ref_unknown": {"en": ("no single provider is named '{ref}'", "give the provider's exact name or USCC"),
                             "zh": ("找不到唯一名为“{ref}”的算力服务商",
                                    "请填写服务商的准确名称或统一社会信用代码")},
    "provider_exists": {"en": ("a provider named '{name}' exists", "choose another name or edit that provider"),
                        "zh": ("已有名为“{name}”的算力服务商", "请换一个名称，或修改已有的服务商")},
    "too_many_rule_sets": {"en": ("{count} rule sets; at most 5 at once", "simulate fewer at once"),
                           "zh": ("一次上传了 {count} 套规则，最多 5 套", "请减少同时模拟的规则套数")},
    "not_a_year": {"en": ("'{text}' is not a year", "choose a programme year"),
                   "zh": ("“{text}”不是有效年度", "请选择计划年度")},
    "rules_file_too_large": {"en": ("{name} is too large for a rules file", "upload the TOML rules file itself"),
                             "zh": ("{name} 太大，不是规则文件", "请上传 TOML 规则文件本身")},
    "not_utf8": {"en": ("{name} is not UTF-8 text", "save the file as UTF-8"),
                 "zh": ("{name} 不是 UTF-8 文本", "请以 UTF-8 编码保存该文件")},
    "workbook_no_sheet": {"en": ("the workbook has no sheet '{sheet}'", "add a sheet '{sheet}' with columns {columns}"),
                          "zh": ("工作簿缺少工作表“{sheet}”", "请添加工作表“{sheet}”，列为 {columns}")},
    "workbook_no_column": {
        "en": ("sheet '{sheet}' has no column '{column}'", "row 1 of '{sheet}' names the columns: {columns}"),
        "zh": ("工作表“{sheet}”缺少“{column}”列", "“{sheet}”第 1 行应为列名：{columns}"),
    },
    "org_has_live_quota": {
        "en": ("{name} is approved and holds {count} live voucher quota(s) (applications {ids})",
               "resolve them first (uphold an objection and reject on re-review, or close the year)"),
        "zh": ("{name} 已通过审核，持有 {count} 笔有效算力券额度（申请 {ids}）",
               "请先处理这些额度（异议成立后复审驳回，或关闭年度），再驳回该机构"),
    },
    "unknown_role": {"en": ("unknown role '{role}'", "choose a role from the list"),
                     "zh": ("未知角色“{role}”", "请从列表中选择角色")},
}
ERRORS.update(_THIRD)

ERRORS.update({  # office forms and monitoring set-up (fourth pass)
    "token_days_range": {"en": ("'{text}' is not a validity of 1 to 730 days", "e.g. 365"),
                         "zh": ("“{text}”不是 1 至 730 天之间的有效期", "例如 365")},
    "provider_org_unknown": {
        "en": ("no organisation with USCC {uscc} is registered", "register the provider's legal entity first"),
        "zh": ("没有统一社会信用代码为 {uscc} 的机构", "请先登记该服务商的法人主体，再加入白名单"),
    },
    "close_confirm": {
        "en": ("type {year} to confirm closing the year",
               "closing expires all unused quota and refuses further bills; it cannot be undone"),
        "zh": ("请输入 {year} 以确认关闭年度", "关闭后未用额度全部失效、不再受理账单，且无法撤销"),
    },
    "not_a_percentage": {"en": ("'{text}' is not a percentage", "e.g. 20"),
                         "zh": ("“{text}”不是有效的百分比", "例如 20")},
    "sensors_unknown": {"en": ("unknown sensor(s): {keys}", "register them first"),
                        "zh": ("未登记的传感器：{keys}", "请先登记这些传感器")},
    "model_sensors_unregistered": {
        "en": ("the model's sensors are not registered: {keys}",
               "register them first, with the training columns' keys"),
        "zh": ("模型所用传感器尚未登记：{keys}", "请先按训练数据的列名登记这些传感器"),
    },
    "monitor_model_exists": {"en": ("a model named '{name}' already exists", "choose another name"),
                             "zh": ("已有名为“{name}”的模型", "请换一个名称")},
    "webhook_refused": {"en": ("webhook target refused: {problem}", "use your receiver's own address"),
                        "zh": ("回调地址被拒绝：{problem}", "请填写您自己的接收服务地址")},
    "after_min_negative": {"en": ("the delay must be 0 minutes or more, got {value}", "type 0 or more"),
                           "zh": ("延迟分钟数须不小于 0，实际为 {value}", "请填写 0 或更大的数")},
    "alarm_status_unknown": {"en": ("unknown status '{status}'", "raised, acknowledged or cleared"),
                             "zh": ("未知状态“{status}”", "可选：已报警、已确认、已解除")},
})

ERRORS.update({  # uploads, file paths and the rest reachable from pages (issue 15 round 2)
    "image_empty": {"en": ("{name} is empty.", "Upload a PNG/JPEG/BMP/TIFF image."),
                    "zh": ("{name} 是空文件", "请上传 PNG/JPEG/BMP/TIFF 图片")},
    "image_too_large": {"en": ("{name} is too large.", "Crop the image to the part."),
                        "zh": ("{name} 像素过多", "请把图片裁剪到零件所在部分")},
    "image_unreadable": {"en": ("{name} is not a readable image.", "Upload a PNG/JPEG/BMP/TIFF image."),
                         "zh": ("{name} 不是可读取的图片", "请上传 PNG/JPEG/BMP/TIFF 图片")},
    "image_too_small": {"en": ("{name} is smaller than {min_side} px.", "Upload the full image."),
                        "zh": ("{name} 的边长小于 {min_side} 像素", "请上传完整图片")},
    "inspect_model_name": {
        "en": ("model name '{name}' is invalid.", "Use letters, digits, '_', '.' or '-' (at most 64 characters)."),
        "zh": ("模型名称“{name}”不符合要求", "只能使用字母、数字、_、. 或 -（最多 64 个字符）"),
    },
    "inspect_folder_empty": {"en": ("{path} is empty.", "Put images in the folder."),
                             "zh": ("文件夹 {path} 中没有图片", "请把待检图片放入该文件夹")},
    "inspect_path_missing": {"en": ("{path} does not exist.", "Pass an image file or a folder of images."),
                             "zh": ("{path} 不存在", "请指定一个图片文件或图片文件夹")},
    "report_folder_is_file": {"en": ("{path} is a file.", "Choose a folder for the report."),
                              "zh": ("{path} 是文件，不是文件夹", "请为检测报告选择一个文件夹")},
    "not_an_image_file": {"en": ("{name} is not an image file (suffix {suffix}).", "Use PNG, JPEG, BMP or TIFF files."),
                          "zh": ("{name} 不是图片文件（扩展名 {suffix}）", "请使用 PNG、JPEG、BMP 或 TIFF 文件")},
    "path_not_a_file": {"en": ("{path} is not a file.", "Pass existing files or folders."),
                        "zh": ("{path} 不是文件", "请指定已存在的文件或文件夹")},
    "path_missing": {"en": ("{path} does not exist.", "Check the path."),
                     "zh": ("{path} 不存在", "请检查路径")},
    "kb_file_empty": {"en": ("{name} is empty.", "Remove the file or add its content."),
                      "zh": ("{name} 是空文件", "请删除该文件或补充内容后重新上传")},
    "kb_no_text": {"en": ("{name} has no text to index.", "Check the file's content."),
                   "zh": ("{name} 中没有可索引的文字", "请检查文件内容（扫描件请先做文字识别）")},
    "kb_workbook_empty": {"en": ("{name}: the workbook has no non-empty rows.", "Check the workbook's content."),
                          "zh": ("{name}：工作簿中没有非空行", "请检查工作簿内容")},
    "kb_not_pdf": {"en": ("{name} is not a PDF file (no %PDF header).", "Upload the PDF file itself."),
                   "zh": ("{name} 不是 PDF 文件（缺少 %PDF 文件头）", "请上传 PDF 文件本身")},
    "kb_pdf_unreadable": {"en": ("{name}: cannot read the PDF.", "Save it again from a PDF reader and re-upload."),
                          "zh": ("{name}：无法读取该 PDF", "请用 PDF 阅读器另存后重新上传")},
    "kb_docx_invalid": {"en": ("{name} is not a valid .docx file.", "Save it as .docx in Word and re-upload."),
                        "zh": ("{name} 不是有效的 .docx 文件", "请在 Word 中另存为 .docx 后重新上传")},
    "kb_xlsx_invalid": {"en": ("{name} is not a valid .xlsx workbook.", "Save it as .xlsx in Excel and re-upload."),
                        "zh": ("{name} 不是有效的 .xlsx 工作簿", "请在 Excel 中另存为 .xlsx 后重新上传")},
    "kb_index_mode": {"en": ("unknown index mode '{mode}'", "Use now, background or lazy."),
                      "zh": ("未知的索引方式“{mode}”", "可选 now（立即）、background（后台）或 lazy（首次提问时）")},
    "compute_config_admin_keys": {
        "en": ("config keys {keys} are set by an office administrator", "use only {allowed}"),
        "zh": ("配置项 {keys} 只能由办公室管理员设置", "请只填写 {allowed}"),
    },
    "compute_config_bad": {"en": ("bad {kind} configuration: {problem}",
                                  "see docs/compute.md for the keys each backend takes"),
                           "zh": ("{kind} 配置有误：{problem}", "各类型可用的配置项见 docs/compute.md")},
    "job_args_unbalanced": {"en": ("arguments: {problem}", "balance the quotes"),
                            "zh": ("作业参数有误：{problem}", "请检查引号是否成对")},
    "override_shape": {"en": ("override for '{level}' must be [on] or [on, off]", "e.g. [80] or [80, 75]"),
                       "zh": ("级别“{level}”的阈值覆盖应为 [报警值] 或 [报警值, 解除值]", "例如 [80] 或 [80, 75]")},
    "reading_not_finite": {"en": ("sensor {sensor} at {ts}: value must be finite", "remove NaN/infinite readings"),
                           "zh": ("传感器 {sensor} 在 {ts} 的读数不是有限数值", "请删除 NaN 或无穷大的读数后重新上传")},
    "table_unreadable": {
        "en": ("{name} is not a readable CSV or Parquet table",
               "upload a header line with a timestamp column and one column per sensor key, then one row per time"),
        "zh": ("{name} 不是可读取的 CSV 或 Parquet 表格", "首行为表头（时间列和每个传感器一列），之后每个时刻一行"),
    },
    "programme_not_found": {"en": ("programme {id} not found", "open it from the programme years list"),
                            "zh": ("年度计划 {id} 不存在", "请从年度计划列表中打开")},
    "nothing_to_settle": {
        "en": ("nothing to settle for {year}", "settlement runs after bills with subsidy have been recorded"),
        "zh": ("{year} 年度没有待结算的补贴", "有补贴的账单入账后才能结算（收款方的应收款先行抵扣）"),
    },
    "nothing_to_settle_payee": {
        "en": ("nothing to settle for {year} payee {payee_id}",
               "settlement runs after bills with subsidy have been recorded"),
        "zh": ("{year} 年度收款方 {payee_id} 没有待结算的补贴", "有补贴的账单入账后才能结算（收款方的应收款先行抵扣）"),
    },
    "award_model_not_eligible": {
        "en": ("model {name} is not eligible: {problems}",
               "a model receives one award only; otherwise get the filing and cases verified first"),
        "zh": ("模型“{name}”不符合奖补条件：{problems}", "每个模型只奖补一次；否则请先完成备案和应用案例核验"),
    },
    "award_model_not_eligible_review": {
        "en": ("model {name} is not eligible: {problems}", "reject the application with this reason"),
        "zh": ("模型“{name}”不符合奖补条件：{problems}", "请以此为理由驳回该申请"),
    },
    "demand_not_xlsx": {"en": ("{name} is not an .xlsx workbook",
                               "save the demand workbook as .xlsx with sheets {sheets}"),
                        "zh": ("{name} 不是 .xlsx 工作簿", "请将需求工作簿另存为 .xlsx，包含工作表 {sheets}")},
})

ERRORS.update({  # knowledge-base files (issue 15 round 2)
    "kb_unsupported_type": {"en": ("{name}: unsupported file type '{suffix}'.", "Convert it to one of {allowed}."),
                            "zh": ("{name}：不支持的文件类型“{suffix}”", "请转换为以下格式之一：{allowed}")},
    "kb_binary": {"en": ("{name} looks like a binary file, not text.",
                         "Index only Markdown, text, PDF, .docx or .xlsx files."),
                  "zh": ("{name} 看起来是二进制文件，不是文本", "只能索引 Markdown、文本、PDF、.docx 或 .xlsx 文件")},
    "kb_encoding": {"en": ("{name} is neither UTF-8 nor GB18030 text.", "Save it as UTF-8."),
                    "zh": ("{name} 既不是 UTF-8 也不是 GB18030 编码的文本", "请以 UTF-8 编码保存")},
    "kb_pdf_encrypted": {"en": ("{name} is an encrypted (password-protected) PDF.",
                                "Save an unencrypted copy and index that."),
                         "zh": ("{name} 是加密（有密码保护）的 PDF", "请另存一份未加密的副本后再上传")},
    "kb_pdf_no_text": {"en": ("{name} has no text layer (a scanned PDF?).",
                              "Run OCR first so the PDF carries text."),
                       "zh": ("{name} 没有文字层（可能是扫描件）", "请先做文字识别（OCR），使 PDF 含有文字")},
})
