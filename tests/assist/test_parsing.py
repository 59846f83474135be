"""Parsing: documents → citable passages (legal articles, SOP clauses, sections, tables, rows)."""

from __future__ import annotations

from pathlib import Path

import pytest

from yuzhi.assist.parsing import iter_source_files, parse_file, parse_text
from yuzhi.errors import InvalidInput

LAW = """# 示例安全法

2020年1月1日 通过

<!-- INFO END -->

## 第一章 总则

第一条 为了安全，制定本法。

第二条 生产经营单位应当履行下列义务：

（一）建立责任制；

（二）开展培训。

## 第二章 保障

### 第一节 一般规定

第三条 从业人员有权拒绝违章指挥。

第三条之一 特种作业人员应当持证上岗。
"""


def test_law_articles_keep_items_and_chapters() -> None:
    ps = parse_text(LAW, source="示例安全法(2020-01-01).md")
    assert [p.article for p in ps] == ["第一条", "第二条", "第三条", "第三条之一"]
    assert ps[1].text == "第二条 生产经营单位应当履行下列义务：\n（一）建立责任制；\n（二）开展培训。"
    assert ps[0].chapter == "第一章 总则"
    assert ps[2].chapter == "第二章 保障 / 第一节 一般规定"
    assert {p.title for p in ps} == {"示例安全法"}
    # the amendment history before INFO END is not a passage
    assert all("2020年" not in p.text for p in ps)


def test_sop_numbered_clauses() -> None:
    sop = "# 动火作业规程\n\n1 范围\n本规程适用于全厂。\n2 要求\n2.1 动火前办理动火证。\n2.1.1 监护人全程在场。\n"
    ps = parse_text(sop, source="sop.md")
    # "2 要求" has no text of its own: it becomes the chapter of 2.1 and 2.1.1
    assert [(p.article, p.chapter, p.text) for p in ps] == [
        ("1", "", "1 范围\n本规程适用于全厂。"),
        ("2.1", "2 要求", "2.1 动火前办理动火证。"),
        ("2.1.1", "2 要求", "2.1.1 监护人全程在场。"),
    ]


def test_markdown_sections_and_plain_paragraphs() -> None:
    md = "# Manual\n\n## Start-up\nOpen valve A.\n\n## Shutdown\nClose valve A.\n"
    ps = parse_text(md, source="manual.md")
    assert [(p.article, p.text) for p in ps] == [("Start-up", "Open valve A."), ("Shutdown", "Close valve A.")]
    plain = parse_text("first para\n\nsecond para\n", source="n.txt")
    assert [(p.article, p.text) for p in plain] == [("第1段", "first para\nsecond para")]


def test_docx_paragraphs_and_tables_in_order(tmp_path: Path) -> None:
    from docx import Document

    doc = Document()
    doc.add_heading("设备点检规程", level=1)
    doc.add_paragraph("1 点检项目")
    table = doc.add_table(rows=2, cols=3)
    for r, row in enumerate([["部位", "周期", "标准"], ["安全阀", "每月", "起跳压力1.05倍"]]):
        for c, val in enumerate(row):
            table.cell(r, c).text = val
    doc.add_paragraph("2 记录")
    doc.add_paragraph("点检结果填入台账。")
    path = tmp_path / "点检.docx"
    doc.save(path)
    ps = parse_file(path)
    assert [(p.article, p.text) for p in ps] == [
        ("1", "1 点检项目\n部位 | 周期 | 标准\n安全阀 | 每月 | 起跳压力1.05倍"),
        ("2", "2 记录\n点检结果填入台账。"),
    ]
    assert ps[0].source == "点检.docx"


def test_xlsx_rows_with_headers(tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "限值"
    ws.append(["气体", "报警浓度"])
    ws.append(["甲烷", "1.0%"])
    ws.append([None, None])
    ws.append(["一氧化碳", "24ppm"])
    path = tmp_path / "limits.xlsx"
    wb.save(path)
    ps = parse_file(path)
    assert [(p.article, p.text) for p in ps] == [
        ("限值!行2", "气体: 甲烷；报警浓度: 1.0%"),
        ("限值!行4", "气体: 一氧化碳；报警浓度: 24ppm"),
    ]


def _pdf_with_text(path: Path, text: str, *, password: str | None = None) -> None:
    """A one-page PDF whose text layer holds ``text`` (ASCII, Helvetica)."""
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    w = PdfWriter()
    page = w.add_blank_page(width=300, height=200)
    font = DictionaryObject({NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
                             NameObject("/BaseFont"): NameObject("/Helvetica")})
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): w._add_object(font)})}
    )
    lines = text.split("\n")
    ops = "BT /F1 10 Tf 20 180 Td 12 TL " + " ".join(f"({ln}) Tj T*" for ln in lines) + " ET"
    stream = DecodedStreamObject()
    stream.set_data(ops.encode())
    page[NameObject("/Contents")] = w._add_object(stream)
    if password:
        w.encrypt(password)
    with path.open("wb") as f:
        w.write(f)


def test_pdf_text_layer(tmp_path: Path) -> None:
    path = tmp_path / "lockout.pdf"
    _pdf_with_text(path, "1 Scope\nThis applies to all machines.\n2 Lockout\n2.1 Isolate energy before work.")
    ps = parse_file(path)
    assert [(p.article, p.chapter) for p in ps] == [("1", ""), ("2.1", "2 Lockout")]
    assert ps[1].text == "2.1 Isolate energy before work."


def test_pdf_citations_carry_the_page(tmp_path: Path) -> None:
    from pypdf import PdfReader, PdfWriter

    parts = []
    for i, text in enumerate(["1 Scope\nThis applies to all machines.", "2 Lockout\n2.1 Isolate energy before work.",
                              "2.2 Lock and tag every isolator.\n3 Records\n3.1 Keep the permit for a year."]):
        _pdf_with_text(tmp_path / f"p{i}.pdf", text)
        parts.append(tmp_path / f"p{i}.pdf")
    w = PdfWriter()
    for part in parts:
        w.add_page(PdfReader(part).pages[0])
    with (tmp_path / "loto.pdf").open("wb") as f:
        w.write(f)
    ps = parse_file(tmp_path / "loto.pdf")
    assert [(p.article, p.page) for p in ps] == [("1", 1), ("2.1", 2), ("2.2", 3), ("3.1", 3)]
    assert parse_file(tmp_path / "p0.pdf")[0].to_dict()["page"] == 1
    from yuzhi.assist.compose import compose_points

    pts = compose_points("en", [("LOTO", "2.2", "2.2 Lock and tag every isolator.")], [], pages=[3])
    assert pts[0].text.startswith("《LOTO》 2.2 (p. 3) ")


def test_encrypted_pdf_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "secret.pdf"
    _pdf_with_text(path, "1 Scope", password="pw")
    with pytest.raises(InvalidInput, match="encrypted") as exc:
        parse_file(path)
    assert "secret.pdf" in str(exc.value) and "decrypt" in str(exc.value)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.md", b"", "is empty"),
        ("blank.txt", b"  \n\n ", "is empty"),
        ("blob.txt", b"\x00\x01\x02binary\x00", "binary"),
        ("fake.pdf", b"not a pdf at all", "not a PDF"),
        ("broken.docx", b"PK\x03\x04garbage", "not a valid .docx"),
        ("image.png", b"\x89PNG....", "unsupported file type"),
    ],
)
def test_bad_files_have_clear_errors(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InvalidInput, match=message) as exc:
        parse_file(path)
    assert name in str(exc.value)


def test_iter_source_files(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.md").write_text("第一条 甲。", encoding="utf-8")
    (tmp_path / "a" / "skip.bin").write_bytes(b"\x00")
    (tmp_path / "a" / ".hidden").mkdir()
    (tmp_path / "a" / ".hidden" / "h.md").write_text("x", encoding="utf-8")
    files = iter_source_files([tmp_path / "a"])
    assert [rel for _, rel in files] == ["x.md"]
    with pytest.raises(InvalidInput, match="does not exist"):
        iter_source_files([tmp_path / "missing"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(InvalidInput, match="no supported files"):
        iter_source_files([tmp_path / "empty"])


def test_gold_set_points_at_real_articles(law_corpus) -> None:
    """Every (file, article) in bench/data/assist_gold.jsonl exists in the corpus as parsed."""
    from yuzhi.assist.evaluate import load_gold

    known = {(p.source, p.article) for f, rel in iter_source_files([law_corpus]) for p in parse_file(f, rel_path=rel)}
    assert len(known) == 1157
    gold = load_gold(Path(__file__).resolve().parents[2] / "bench" / "data" / "assist_gold.jsonl")
    assert len(gold) >= 100
    missing = [(r["id"], a) for r in gold for a in r["answers"] if (a["source"], a["article"]) not in known]
    assert missing == []
    assert {r["lang"] for r in gold} == {"zh", "en", "ja"}
