"""``/vouchers/simulate``: the office replays a year under other rules in the browser (read-only).

Same service as ``yuzhi vouchers simulate`` (``simulate_service``): the page writes nothing, so the
form answers directly (no post/redirect/get). Charts are server-rendered SVG (no script, works
offline and under a strict CSP); the same comparison downloads as the .xlsx workbook.
"""

from __future__ import annotations

from html import escape
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from yuzhi.errors import InvalidInput
from yuzhi.vouchers import service
from yuzhi.vouchers import simulate as sim
from yuzhi.vouchers import simulate_service as ss
from yuzhi.web import i18n
from yuzhi.web.deps import OptionalUser, SessionDep
from yuzhi.web.forms import html_errors
from yuzhi.web.forms import need as _need
from yuzhi.web.forms import on_error as _on_error
from yuzhi.web.forms import page as _page

router = APIRouter(include_in_schema=False)

COLORS = ("#667085", "#b3261e", "#175cd3", "#027a48", "#b54708", "#6941c6")
EXAMPLE_A = 'name = "15% rate, 500,000-yuan cap"\nrate_percent = 15\nunit_cap_yuan = 500000\n'
EXAMPLE_B = ('name = "binding to any provider"\nbill_binding = "unit"\n\n[eligibility]\n'
             'provider_criteria = ["national_supercomputing", "ai_computing_100pf", "data_centre_1000_racks"]\n')
MAX_RULES_BYTES = 20_000

def _register(lang: str, entries: dict[str, str]) -> None:
    """Add this page's labels without overriding a translation another page registered."""
    i18n.register(lang, {k: v for k, v in entries.items() if i18n.translate(k, lang) == k})


_register("zh", {
    "Policy simulator": "政策模拟",
    "Replay a programme year's recorded applications and bills under other rules. Nothing is written: "
    "the year is read in one read-only snapshot.":
        "在其他规则下重放某一年度已记录的申请和账单。不写入任何数据：整个年度在一次只读快照中读取。",
    "Rule set": "规则组", "Rules file (TOML)": "规则文件（TOML）", "or upload": "或上传",
    "Simulate": "模拟", "Download workbook (.xlsx)": "下载工作簿（.xlsx）",
    "Keys left out keep the rules in force that year.": "未写出的键沿用该年度现行规则。",
    "Comparison": "对比", "Pool left after use": "用后资金池余额", "Lorenz curve of subsidies": "补贴洛伦兹曲线",
    "Subsidy by city": "各市补贴", "Excluded": "被排除", "Gains and losses against the rules in force":
        "相对现行规则的增减", "gains most": "增加最多", "loses most": "减少最多", "Reason": "原因",
    "Applications affected": "涉及申请", "Units affected": "涉及单位", "Bills affected": "涉及账单",
    "Amount billed": "账单金额",
    "Outside the plan's limits": "超出方案上限", "rules in force": "现行规则",
    "rate": "补贴比例", "per-unit cap (yuan)": "单位上限（元）", "pool (yuan)": "资金池（元）",
    "province:city": "省:市", "settlement mode": "结算方式", "disclosure days": "公示天数",
    "bill binding": "账单绑定", "total subsidy (yuan)": "补贴总额（元）", "quota committed (yuan)": "已承诺额度（元）",
    "pool unused at year end (yuan)": "年末未使用资金（元）", "pool runs out on": "资金池耗尽日期",
    "units capped": "触及上限单位数", "units paid": "获补贴单位数", "units excluded": "被排除单位数",
    "top-10 share": "前十名占比", "Gini": "基尼系数", "province share (yuan)": "省级分担（元）",
    "city share (yuan)": "市级分担（元）", "change vs in force (yuan)": "较现行规则变化（元）",
    "outside the plan's limits": "超出方案上限", "share of units": "单位占比", "share of subsidy": "补贴占比",
    "month": "月份",
})
_register("ja", {
    "Policy simulator": "政策シミュレーター", "Simulate": "シミュレーション", "Comparison": "比較",
    "Download workbook (.xlsx)": "ワークブックをダウンロード（.xlsx）", "Excluded": "対象外",
    "Gains and losses against the rules in force": "現行ルールとの増減",
    "Keys left out keep the rules in force that year.": "省略したキーはその年度の現行ルールのままです。",
    "Lorenz curve of subsidies": "補助金のローレンツ曲線", "Outside the plan's limits": "計画の上限を超過",
    "Pool left after use": "使用後のプール残高",
    "Replay a programme year's recorded applications and bills under other rules. Nothing is written: "
    "the year is read in one read-only snapshot.":
        "記録済みの申請と請求を別のルールで再生します。書き込みは一切ありません（読み取り専用のスナップショット）。",
    "Rule set": "ルールセット", "Rules file (TOML)": "ルールファイル（TOML）", "or upload": "またはアップロード",
    "Subsidy by city": "市別の補助金", "Amount billed": "請求額", "Bills affected": "対象の請求",
    "Applications affected": "対象の申請", "Units affected": "対象の機関", "gains most": "最も増える",
    "loses most": "最も減る", "Reason": "理由", "rules in force": "現行ルール",
})


_register("zh", {
    "Forecast for the year": "年度预测", "Expected use by 31 December": "预计至 12 月 31 日使用",
    "Expected unused at year end": "预计年末未使用", "Pool runs dry (99% used)": "资金池用尽（已用 99%）",
    "Quota committed reaches the pool": "已承诺额度达到资金池", "not this year": "本年度内不会",
    "How this is computed": "计算方法", "As of": "截至", "Seasonality": "季节性", "previous year": "上一年度",
    "flat": "均匀", "used so far": "已使用", "committed": "已承诺",
    "Each unit is expected to keep demanding subsidy at its pace so far (blended with the programme's pace per "
    "yuan of quota until it has a few bills), following last year's monthly pattern, and to use at most the quota "
    "it holds. The range comes from the same method run on last year at every month end.":
        "假定每个单位按迄今的节奏继续产生补贴需求（账单较少时与全项目每元额度的节奏加权），按上一年度的月度规律分布，"
        "且使用不超过其持有的额度。区间来自在上一年度每个月末用同一方法所做的回测。",
    "Backtest on the previous year": "上一年度回测", "model error": "模型误差",
    "naive pace (used × 365 / days)": "朴素外推（已用 × 365 / 天数）", "month ends": "个月末",
    "No previous year to backtest on: the range is ±25% and the year is assumed flat.":
        "没有上一年度可供回测：区间取 ±25%，并假定全年均匀。",
})
_register("ja", {
    "Forecast for the year": "年度予測", "Expected use by 31 December": "12 月 31 日までの見込み使用額",
    "Expected unused at year end": "年度末の見込み未使用額", "Pool runs dry (99% used)": "プール枯渇（99% 使用）",
    "Quota committed reaches the pool": "承認済み枠がプールに到達", "not this year": "今年度はなし",
    "How this is computed": "計算方法", "As of": "基準日", "Seasonality": "季節性", "previous year": "前年度",
    "flat": "均等", "used so far": "使用済み", "committed": "承認済み",
    "Each unit is expected to keep demanding subsidy at its pace so far (blended with the programme's pace per "
    "yuan of quota until it has a few bills), following last year's monthly pattern, and to use at most the quota "
    "it holds. The range comes from the same method run on last year at every month end.":
        "各機関はこれまでのペースで補助を求め続け（請求が少ないうちは全体の枠あたりのペースと加重）、前年度の月別パターンに従い、"
        "保有する枠を超えては使わないと仮定します。幅は前年度の各月末で同じ方法を用いたバックテストによります。",
    "Backtest on the previous year": "前年度でのバックテスト", "model error": "モデル誤差",
    "naive pace (used × 365 / days)": "単純外挿（使用額 × 365 / 日数）", "month ends": "か月末",
    "No previous year to backtest on: the range is ±25% and the year is assumed flat.":
        "バックテストする前年度がありません：幅は ±25%、年間均等と仮定します。",
})


def forecast_of(session: Any, p: Any) -> Any:
    """The dashboard's forecast for an open programme year (None for a closed one)."""
    if p is None or p.status != "open":
        return None
    return ss.forecast_for(session.get_bind(), p.year, stale_ok=True)  # never waits on a busy year (issue 14)


def _texts(rules_a: str, rules_b: str, rules_c: str, uploads: list[bytes], names: list[str]) -> list[tuple[str, str]]:
    out = [(f"rule set {k}", t) for k, t in (("A", rules_a), ("B", rules_b), ("C", rules_c)) if t.strip()]
    for name, raw in zip(names, uploads, strict=True):
        if len(raw) > MAX_RULES_BYTES:
            raise InvalidInput(f"{name} is {len(raw):,} bytes; a rules file is at most {MAX_RULES_BYTES:,}",
                               field="files", fix="upload the TOML rules file itself",
                               key="rules_file_too_large", params={"name": name})
        try:
            out.append((name, raw.decode("utf-8-sig")))
        except UnicodeDecodeError:
            raise InvalidInput(f"{name} is not UTF-8 text", field="files", fix="save the rules file as UTF-8",
                               key="not_utf8", params={"name": name}) from None
    if not out:
        raise InvalidInput("no rule set given", field="rules_a", fix="write or upload at least one rules file")
    if len(out) > 5:
        raise InvalidInput(f"{len(out)} rule sets; at most 5 at once", field="files", fix="simulate fewer at once",
                           key="too_many_rule_sets", params={"count": len(out)})
    return out


def _run(request: Request, session: Any, year: int, texts: list[tuple[str, str]]) -> ss.Comparison:
    y = ss.snapshot(session.get_bind(), year)
    rules = []
    for source, body in texts:
        rules.append(sim.parse_rules(body, base=y.in_force, source=source))
    return ss.compare(y, rules)


def _ctx(session: Any, year: int | None, form: dict[str, str] | None = None) -> dict[str, Any]:
    years = [p.year for p in service.list_programmes(session)]
    return {"years": years, "year": year or (years[0] if years else None),
            "form": form or {"rules_a": EXAMPLE_A, "rules_b": EXAMPLE_B, "rules_c": ""}, "c": None}


@router.get("/vouchers/simulate", response_class=HTMLResponse)
@html_errors
def simulate_form(request: Request, session: SessionDep, actor: OptionalUser, year: int | None = None) -> Response:
    """The rules form, pre-filled with two example rule sets."""
    actor = _need(actor, office=True)
    return _page(request, "vouchers/simulate.html", _ctx(session, year), actor)


@router.post("/vouchers/simulate", response_class=HTMLResponse)
@html_errors
async def simulate(request: Request, session: SessionDep, actor: OptionalUser,
                   year: Annotated[str, Form()] = "", rules_a: Annotated[str, Form()] = "",
                   rules_b: Annotated[str, Form()] = "", rules_c: Annotated[str, Form()] = "",
                   fmt: Annotated[str, Form()] = "html",
                   files: Annotated[list[UploadFile] | None, File()] = None) -> Response:
    """Run the rule sets and show them side by side (``fmt=xlsx``: the workbook instead)."""
    actor = _need(actor, office=True)
    form = {"rules_a": rules_a, "rules_b": rules_b, "rules_c": rules_c}
    if not year.strip().isdigit():
        raise InvalidInput(f"year {year!r} is not a year", field="year", fix="choose a programme year",
                           key="not_a_year", params={"text": year})
    y = int(year)
    _on_error(request, "vouchers/simulate.html", lambda: _ctx(session, y, form))
    uploads = [f for f in files or [] if f.filename]
    raws = [await f.read(MAX_RULES_BYTES + 1) for f in uploads]
    c = _run(request, session, y, _texts(rules_a, rules_b, rules_c, raws, [f.filename or "upload" for f in uploads]))
    if fmt == "xlsx":
        return Response(ss.workbook(c), media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": f'attachment; filename="simulation-{y}.xlsx"'})
    ctx = _ctx(session, y, form)
    ctx.update(_results(request, c))
    return _page(request, "vouchers/simulate.html", ctx, actor)


def _results(request: Request, c: ss.Comparison) -> dict[str, Any]:
    from yuzhi.web.templating import lang_of

    lang = lang_of(request)
    tr = lambda s: i18n.translate(s, lang)  # noqa: E731
    runs = [c.base, *c.runs]
    names = [tr("rules in force") if r is c.base else r.rules.name for r in runs]
    cols, rows = ss.summary_rows(c)
    months = [d.strftime("%m") for d, _c, _u in c.base.burn]
    burn = line_chart(months, [[(r.rules.pool_fen - u) / 100 for _d, _c, u in r.burn] for r in runs], names,
                      title=tr("Pool left after use"))
    lor = [sim.lorenz(r) for r in runs]
    lorenz = xy_chart([(x, yv) for x, yv, _g in lor], [f"{n} (Gini {g:.3f})" for n, (_x, _y, g) in zip(names, lor,
                                                                                                         strict=True)],
                      xlab=tr("share of units"), ylab=tr("share of subsidy"), title=tr("Lorenz curve of subsidies"))
    cities = [sim.by_category(c.year, r, "unit_city") for r in runs]
    labels = list(cities[0])
    for extra in cities[1:]:
        labels += [k for k in extra if k not in labels]
    by_city = grouped_bars(labels, [[d.get(k, 0) / 100 for k in labels] for d in cities], names,
                           title=tr("Subsidy by city"))
    breakdowns = []
    for title, attr in (("By industry", "unit_industry"), ("By kind", "unit_kind")):
        per = [sim.by_category(c.year, r, attr) for r in runs]
        keys = list(per[0])
        for extra in per[1:]:
            keys += [k for k in extra if k not in keys]
        breakdowns.append((title, attr.removeprefix("unit_"), [(k, [d.get(k, 0) for d in per]) for k in keys]))
    movers = [(r.rules.name, *sim.movers(c.year, r, c.base)) for r in c.runs]
    excluded = [(name, sim.REASONS.get(k, k), v) for name, r in zip(names, runs, strict=True)
                for k, v in sorted(r.excluded.items())]
    return {"c": c, "names": names, "rows": [(tr(m), vals) for m, vals in rows], "burn_svg": burn,
            "lorenz_svg": lorenz, "city_svg": by_city, "movers": movers, "breakdowns": breakdowns, "excluded": excluded,
            "flags": [(r.rules.name, f) for r in c.runs for f in r.flags], "cols": cols}


# --- small SVG charts (several series; server-rendered, no script) ------------------------------------


def _svg_open(width: float, height: float, title: str) -> str:
    """Inline in the page, or saved as a file (the docs' pictures): namespace and font size given."""
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" font-size="11" '
            f'font-family="sans-serif" role="img" aria-label="{escape(title)}">')


def _legend(names: list[str], x: float, y: float) -> str:
    return "".join(f'<rect x="{x}" y="{y + i * 16 - 9}" width="10" height="10" fill="{COLORS[i % len(COLORS)]}"/>'
                   f'<text x="{x + 14}" y="{y + i * 16}">{escape(n)}</text>' for i, n in enumerate(names))


def line_chart(labels: list[str], series: list[list[float]], names: list[str], *, title: str, width: int = 560,
               height: int = 240) -> str:
    """Lines over shared x labels (e.g. the pool left month by month, one line per rule set)."""
    top = max([max(s, default=0) for s in series] + [1.0])
    low = min([min(s, default=0) for s in series] + [top])
    bottom = low - (top - low) * 0.1 if low > top / 2 else min(low, 0.0)  # zoom in (values are labelled)
    pl, pr, pt, pb = 64, 10, 12, 24 + 16 * len(names)
    w, h = width - pl - pr, height - pt - pb
    n = max(len(labels) - 1, 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        return pl + w * i / n, pt + h * (top - v) / (top - bottom or 1)

    parts = [_svg_open(width, height, title)]
    for frac in (0, 0.5, 1):
        v = bottom + (top - bottom) * frac
        _x, yy = xy(0, v)
        parts.append(f'<line x1="{pl}" x2="{pl + w}" y1="{yy:.1f}" y2="{yy:.1f}" stroke="#eaecf0"/>'
                     f'<text x="{pl - 4}" y="{yy + 4:.1f}" text-anchor="end">{v / 10000:,.0f}万</text>')
    for i, lab in enumerate(labels):
        x, _y = xy(i, bottom)
        parts.append(f'<text x="{x:.1f}" y="{pt + h + 14}" text-anchor="middle">{escape(lab)}</text>')
    for k, s in enumerate(series):
        pts = " ".join(f"{x:.1f},{yv:.1f}" for x, yv in (xy(i, v) for i, v in enumerate(s)))
        parts.append(f'<polyline points="{pts}" fill="none" stroke="{COLORS[k % len(COLORS)]}" stroke-width="2"/>')
    parts.append(_legend(names, pl, pt + h + 32))
    parts.append("</svg>")
    return "".join(parts)


def xy_chart(series: list[tuple[list[float], list[float]]], names: list[str], *, xlab: str, ylab: str, title: str,
             size: int = 300) -> str:
    """Curves on the unit square with the diagonal (a Lorenz curve)."""
    pl, pt, side = 40, 10, size - 60
    legend_h = 16 * len(names) + 30
    parts = [_svg_open(size + 200, size + legend_h - 40, title),
             f'<rect x="{pl}" y="{pt}" width="{side}" height="{side}" fill="none" stroke="#d0d5dd"/>',
             f'<line x1="{pl}" y1="{pt + side}" x2="{pl + side}" y2="{pt}" stroke="#d0d5dd" stroke-dasharray="4"/>',
             f'<text x="{pl + side / 2}" y="{pt + side + 16}" text-anchor="middle">{escape(xlab)}</text>',
             f'<text x="12" y="{pt + side / 2}" transform="rotate(-90 12 {pt + side / 2})" '
             f'text-anchor="middle">{escape(ylab)}</text>']
    for k, (xs, ys) in enumerate(series):
        pts = " ".join(f"{pl + side * x:.1f},{pt + side * (1 - yv):.1f}" for x, yv in zip(xs, ys, strict=True))
        parts.append(f'<polyline points="{pts}" fill="none" stroke="{COLORS[k % len(COLORS)]}" stroke-width="2"/>')
    parts.append(_legend(names, pl + side + 16, pt + 12))
    parts.append("</svg>")
    return "".join(parts)


def grouped_bars(labels: list[str], series: list[list[float]], names: list[str], *, title: str,
                 width: int = 560, row: int = 14) -> str:
    """Horizontal bars, one group per label, one bar per rule set (e.g. subsidy by city)."""
    top = max([max(s, default=0) for s in series] + [1.0])
    label_w, group = 90, row * len(series) + 8
    height = group * max(len(labels), 1) + 16 * len(names) + 10
    parts = [_svg_open(width, height, title)]
    for i, lab in enumerate(labels):
        y0 = i * group + 4
        parts.append(f'<text x="{label_w - 6}" y="{y0 + group / 2}" text-anchor="end">{escape(lab)[:10]}</text>')
        for k, s in enumerate(series):
            v = s[i]
            w = (width - label_w - 90) * v / top
            y = y0 + k * row
            parts.append(f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{row - 3}" '
                         f'fill="{COLORS[k % len(COLORS)]}"><title>{escape(names[k])}: {v:,.2f}</title></rect>'
                         f'<text x="{label_w + w + 4:.1f}" y="{y + row - 4}" font-size="10">{v:,.0f}</text>')
    parts.append(_legend(names, label_w, group * max(len(labels), 1) + 14))
    parts.append("</svg>")
    return "".join(parts)
