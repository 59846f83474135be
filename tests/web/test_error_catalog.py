"""Every error raised with a catalog key reads in zh and en with the values it carries (issue 15).

The scan walks the source, so a new ``key=`` without a catalog entry, or a message that names a value the
raise site does not pass, fails here instead of showing English (or a KeyError fallback) on a zh page.
"""

from __future__ import annotations

import ast
import io
import re
import string
from datetime import UTC, datetime
from pathlib import Path

import pytest

from yuzhi.errors import InvalidInput, NotFound
from yuzhi.web.messages import CATALOG, say

SRC = Path(__file__).resolve().parents[2] / "src" / "yuzhi"


def _keyed_raises() -> list[tuple[str, str, set[str] | None]]:
    """(where, key, param names or None when params is not a literal dict) for each keyed raise."""
    found = []
    for path in SRC.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            kw = {k.arg: k.value for k in node.keywords if k.arg}
            key = kw.get("key")
            if not (isinstance(key, ast.Constant) and isinstance(key.value, str)) or "params" not in kw:
                continue
            params = kw["params"]
            names = ({k.value for k in params.keys if isinstance(k, ast.Constant)}
                     if isinstance(params, ast.Dict) and all(k is not None for k in params.keys) else None)
            found.append((f"{path.relative_to(SRC)}:{node.lineno}", key.value, names))
    return found


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def test_every_keyed_raise_has_both_languages_and_its_values() -> None:
    raises = _keyed_raises()
    assert len(raises) > 60  # the scan sees the raise sites (not an empty pass)
    problems = []
    for where, key, names in raises:
        entry = CATALOG.get(key)
        if entry is None or not {"en", "zh"} <= set(entry):
            problems.append(f"{where}: {key} lacks an en/zh entry")
            continue
        if names is None:
            continue
        for lang in ("en", "zh"):
            needed = set().union(*(_fields(t) for t in entry[lang])) - {"label"}
            if needed - names:
                problems.append(f"{where}: {key}/{lang} needs {sorted(needed - names)}")
    assert not problems, problems


def test_zh_catalog_text_has_no_fen_or_developer_words() -> None:
    for key, entry in CATALOG.items():
        msg, fix = (re.sub(r"\{[^}]*\}", "", t) for t in entry["zh"])  # placeholders become yuan when shown
        assert not re.search(r"\bfen\b|GET /api", msg + fix), key
        assert re.search(r"[\u4e00-\u9fff]", msg), key  # Chinese, not English left in place


def test_settlement_and_objection_not_found_in_chinese() -> None:
    from yuzhi.errors import Conflict

    exc = NotFound("settlement 7 not found", field="settlement_id", key="settlement_not_found", params={"id": 7})
    assert say(exc, "zh").message == "结算批次 7 不存在或无权查看"
    assert say(exc, "en").message == "settlement 7 not found"
    assert exc.to_dict() == {"code": "not_found", "message": "settlement 7 not found", "field": "settlement_id",
                             "fix": None}
    paid = Conflict("settlement 7 is already paid (B1)", key="settlement_already_paid", params={"id": 7, "ref": "B1"})
    assert say(paid, "zh").message == "结算批次 7 已付款（B1）"
    obj = NotFound("objection 3 not found", key="objection_not_found", params={"id": 3})
    assert say(obj, "zh").message.startswith("异议 3 ")


def test_status_and_time_params_read_as_words_in_beijing_time() -> None:
    from yuzhi.errors import Conflict

    until = datetime(2026, 12, 9, 2, 53, 7, tzinfo=UTC)
    exc = Conflict("x", key="award_on_disclosure", params={"id": 4, "until": until})
    assert say(exc, "zh").message == "奖励申请 4 公示至 2026-12-09 10:53（北京时间）"
    st = Conflict("x", key="application_not_reviewable", params={"id": 4, "status": "effective"})
    assert "已生效" in say(st, "zh").message and "effective" not in say(st, "zh").message


def test_uscc_already_registered_reads_in_chinese(session) -> None:  # type: ignore[no-untyped-def]
    from tests.factories import code
    from yuzhi.accounts import service as accounts
    from yuzhi.accounts.actor import SYSTEM
    from yuzhi.accounts.models import OrgKind
    from yuzhi.accounts.schemas import OrgCreate
    from yuzhi.errors import Conflict

    org_in = OrgCreate(uscc=code(15), name="豫智示范企业", kind=OrgKind.ENTERPRISE)
    accounts.register_org(session, actor=SYSTEM, org_in=org_in)
    session.flush()
    with pytest.raises(Conflict) as caught:
        accounts.register_org(session, actor=SYSTEM, org_in=org_in.model_copy(update={"name": "另一家"}))
    assert say(caught.value, "zh").message == f"统一社会信用代码为 {code(15)} 的机构已登记"
    assert caught.value.to_dict()["field"] == "uscc" and "already registered" in caught.value.message


def _workbook(rows: list[list[object]]) -> bytes:
    from openpyxl import Workbook

    from yuzhi.kpi import excel

    wb = Workbook()
    ws = wb.active
    ws.title = excel.SHEET
    ws.append([c[1] for c in excel.COLUMNS])
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_kpi_workbook_cell_errors_in_chinese() -> None:
    from tests.factories import code as make_code
    from yuzhi.kpi import excel

    code = make_code(16)
    with pytest.raises(InvalidInput) as caught:
        excel.parse(_workbook([[code, 2026, 1, "约50万", 1, 1, 1]]))
    zh = say(caught.value, "zh")
    assert zh.message == f"单元格 {excel.SHEET}!D2：人工智能营业收入(元)“约50万”不是数字", zh
    assert "not a number" in caught.value.message and caught.value.field == f"{excel.SHEET}!D2"
    with pytest.raises(InvalidInput) as caught:
        excel.parse(_workbook([[code, 2026, 5, 1, 1, 1, 1]]))
    assert "季度应为 1 至 4" in say(caught.value, "zh").message
    with pytest.raises(InvalidInput) as caught:
        excel.parse(_workbook([[code, 2026, 1, 1, 1, 1, 1], [code, 2026, 1, 2, 2, 2, 2]]))
    assert "第 2 行和第 3 行都填报了" in say(caught.value, "zh").message


def test_compute_resource_limit_in_chinese() -> None:
    from types import SimpleNamespace

    from yuzhi.compute.service import _fit_problem

    cap = SimpleNamespace(nodes=1, max_cpus_per_job=8, max_gpus_per_job=1, max_mem_mb_per_job=64_000,
                          max_time_limit_s=3600)
    job = SimpleNamespace(nodes=1, total_cpus=4, total_gpus=4, total_mem_mb=1000, time_limit_s=60)
    text, key, params = _fit_problem(cap, job)  # type: ignore[arg-type, misc]
    exc = InvalidInput(f"provider 甲 {text}", key=key, params={"name": "甲", **params})
    assert say(exc, "zh").message == "算力服务商 甲 每个作业最多允许 1 块 GPU（申请了 4）"
    assert say(exc, "en").message == "provider 甲 allows at most 1 GPUs per job (4 requested)"


def test_ja_pages_read_japanese_or_chinese_never_developer_english() -> None:
    """ja: the catalog's Japanese where written, else the Chinese text; an unkeyed error gets a ja heading."""
    from yuzhi.errors import Conflict

    exc = NotFound("application 9 not found", key="application_not_found", params={"id": 9})
    assert say(exc, "ja").message == "申請 9 が見つからないか、閲覧権限がありません"
    paid = Conflict("settlement 7 is already paid (B1)", key="settlement_already_paid", params={"id": 7, "ref": "B1"})
    assert "ja" not in CATALOG["settlement_already_paid"]
    assert say(paid, "ja").message == say(paid, "zh").message == "结算批次 7 已付款（B1）"
    over = InvalidInput("x", key="approve_over_max",
                        params={"amount_fen": 99_999_900, "cap_fen": 10_000_000, "binding": "rate_of_planned_spend"})
    assert say(over, "ja").message == ("承認額 ¥999,999.00 が現在の承認上限 ¥100,000.00 を超えています"
                                       "（計画支出 × 補助率による制限）")
    plain = InvalidInput("something only in English")
    ja = say(plain, "ja")
    assert ja.message == "入力に誤りがあります（何も変更していません）" and ja.fix == "詳細：something only in English"
    for key, entry in CATALOG.items():  # Japanese text names the same values as the Chinese
        if "ja" in entry:
            assert [_fields(t) for t in entry["ja"]] == [_fields(t) for t in entry["zh"]], key


def test_upload_and_file_errors_read_in_chinese(tmp_path) -> None:
    """The inspection and knowledge-base file errors a page shows (issue 15 round 2)."""
    from yuzhi.assist.parsing import parse_file
    from yuzhi.inspect.images import image_from_bytes

    with pytest.raises(InvalidInput) as caught:
        image_from_bytes(b"", name="零件.png")
    assert say(caught.value, "zh").message == "零件.png 是空文件"
    with pytest.raises(InvalidInput) as caught:
        image_from_bytes(b"not an image", name="a.jpg")
    assert say(caught.value, "zh").message == "a.jpg 不是可读取的图片" and "readable" in caught.value.message
    fake = tmp_path / "规程.pdf"
    fake.write_bytes(b"hello")
    with pytest.raises(InvalidInput) as caught:
        parse_file(fake)
    assert say(caught.value, "zh").message == "规程.pdf 不是 PDF 文件（缺少 %PDF 文件头）"
    odd = tmp_path / "x.exe"
    odd.write_bytes(b"MZ")
    with pytest.raises(InvalidInput) as caught:
        parse_file(odd)
    assert say(caught.value, "zh").message == "x.exe：不支持的文件类型“.exe”"
