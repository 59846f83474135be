"""Documents → citable passages.

A citation is only as good as the unit it points to, so parsing is structure-aware: a Chinese
law or regulation is split into articles (``第二十一条``) with all their paragraphs and items
kept together; an SOP into numbered clauses (``3.2.1``); other Markdown into sections; a
spreadsheet into rows. Every passage carries the file name (``source``) and the article or
clause id (``article``) so an answer can name exactly where it comes from.

Example
-------
>>> text = "# 示例法\\n\\n<!-- INFO END -->\\n\\n## 第一章 总则\\n\\n第一条 为了安全，制定本法。\\n"
>>> [(p.article, p.chapter, p.text) for p in parse_text(text, source="示例法.md")]
[('第一条', '第一章 总则', '第一条 为了安全，制定本法。')]

Supported formats: Markdown/plain text (``.md``, ``.markdown``, ``.txt``), PDF text layer
(``.pdf``, via pypdf; encrypted files are refused with a clear error), Word (``.docx``,
paragraphs *and* tables in document order) and Excel (``.xlsx``, one passage per row, headed
by the column names). Nothing here touches a database or the network.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from yuzhi.errors import InvalidInput

#: File suffixes the parser reads.
SUFFIXES: tuple[str, ...] = (".md", ".markdown", ".txt", ".pdf", ".docx", ".xlsx")

_CN_NUM = "零〇一二三四五六七八九十百千两"
ARTICLE_RE = re.compile(rf"^\s*(第[{_CN_NUM}0-9]+条(?:之[{_CN_NUM}]+)?)(?:[\s\u3000]+|$)")
CHAPTER_RE = re.compile(rf"^\s*(?:#+\s*)?(第[{_CN_NUM}0-9]+[章编])(?:[\s\u3000]+(.*))?$")
SECTION_RE = re.compile(rf"^\s*(?:#+\s*)?(第[{_CN_NUM}0-9]+节)(?:[\s\u3000]+(.*))?$")
#: Numbered SOP / standard clauses: ``1``, ``3.2``, ``4.1.2`` followed by a space or ``、``/``．``.
CLAUSE_RE = re.compile(r"^\s*(\d{1,2}(?:\.\d{1,2}){0,4})(?:[\s\u3000、．]+|\.\s+)(\S.*)$")
HEADING_RE = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
INFO_END = "<!-- INFO END -->"


@dataclass(frozen=True)
class Passage:
    """One citable unit of a document.

    Attributes
    ----------
    source : str
        File name shown in citations (e.g. ``安全生产法(2021-06-10).md``).
    article : str
        Article / clause / section / row id within the source (e.g. ``第二十一条``, ``3.2.1``).
    text : str
        The unit's full text, paragraphs joined by newlines; quotes are substrings of it.
    title : str
        Document title (first ``#`` heading or the file stem).
    chapter : str
        Enclosing chapter/section heading, if any.
    path : str
        Path of the file relative to the indexed source root.
    """

    source: str
    article: str
    text: str
    title: str = ""
    chapter: str = ""
    path: str = ""
    page: int = 0  # 1-based PDF page where the passage starts; 0 for other formats

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass
class _Unit:
    article: str
    chapter: str
    lines: list[str] = field(default_factory=list)


def parse_file(path: str | Path, *, source: str | None = None, rel_path: str | None = None) -> list[Passage]:
    """Parse one file into passages.

    Parameters
    ----------
    path : str or Path
        The file. Its suffix picks the reader (see :data:`SUFFIXES`).
    source : str, optional
        Name used in citations; defaults to the file name.
    rel_path : str, optional
        Path recorded in each passage; defaults to the file name.

    Returns
    -------
    list of Passage

    Raises
    ------
    InvalidInput
        Unsupported suffix, empty file, binary content, encrypted or text-less PDF, unreadable
        Word/Excel file — each with the file name and what to do.
    """
    p = Path(path)
    name = source or p.name
    rel = rel_path or p.name
    if not p.is_file():
        raise InvalidInput(f"{p} is not a file.", field="sources", fix="Pass existing files or folders.",
                           key="path_not_a_file", params={"path": str(p)})
    suffix = p.suffix.lower()
    if suffix not in SUFFIXES:
        raise InvalidInput(
            f"{p.name}: unsupported file type {suffix or '(none)'!r}.",
            field="sources",
            fix=f"Convert it to one of {', '.join(SUFFIXES)}.",
            key="kb_unsupported_type",
            params={"name": p.name, "suffix": suffix or "(none)", "allowed": ", ".join(SUFFIXES)},
        )
    data = p.read_bytes()
    if not data.strip():
        raise InvalidInput(f"{p.name} is empty.", field="sources", fix="Remove the file or add its content.",
                           key="kb_file_empty", params={"name": p.name})
    if suffix == ".pdf":
        pages = _pdf_pages(p, data)
        passages = _with_pages(parse_text("\n".join(pages), source=name, rel_path=rel, default_title=p.stem), pages)
        if not passages:
            raise InvalidInput(f"{p.name} has no text to index.", field="sources", fix="Check the file's content.",
                               key="kb_no_text", params={"name": p.name})
        return passages
    elif suffix == ".docx":
        text = _docx_text(p)
    elif suffix == ".xlsx":
        passages = _xlsx_passages(p, source=name, rel_path=rel)
        if not passages:
            raise InvalidInput(f"{p.name}: the workbook has no non-empty rows.", field="sources",
                               key="kb_workbook_empty", params={"name": p.name})
        return passages
    else:
        text = _decode_text(p.name, data)
    passages = parse_text(text, source=name, rel_path=rel, default_title=p.stem)
    if not passages:
        raise InvalidInput(f"{p.name} has no text to index.", field="sources", fix="Check the file's content.",
                           key="kb_no_text", params={"name": p.name})
    return passages


def _decode_text(name: str, data: bytes) -> str:
    """Decode a text file, refusing binary content instead of indexing garbage."""
    if b"\x00" in data[:8192]:
        raise InvalidInput(
            f"{name} looks like a binary file, not text.",
            field="sources",
            fix="Index only Markdown, text, PDF, .docx or .xlsx files.",
            key="kb_binary",
            params={"name": name},
        )
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise InvalidInput(
        f"{name} is neither UTF-8 nor GB18030 text.", field="sources", fix="Save it as UTF-8.",
        key="kb_encoding", params={"name": name},
    )


def _with_pages(passages: list[Passage], pages: list[str]) -> list[Passage]:
    """Record the PDF page on which each passage starts (found by its first line, in order)."""
    import bisect

    text = "\n".join(pages)
    starts, pos = [], 0
    for pg in pages:
        starts.append(pos)
        pos += len(pg) + 1
    out, cursor = [], 0
    for ps in passages:
        first = ps.text.split("\n", 1)[0].strip()
        at = text.find(first, cursor) if first else -1
        if at < 0:
            at = text.find(first) if first else -1
        if at >= 0:
            cursor = at
        page = bisect.bisect_right(starts, max(at, cursor)) if at >= 0 else 0
        out.append(replace(ps, page=page))
    return out


def _pdf_pages(p: Path, data: bytes) -> list[str]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    if not data.startswith(b"%PDF"):
        raise InvalidInput(f"{p.name} is not a PDF file (no %PDF header).", field="sources", key="kb_not_pdf",
                           params={"name": p.name})
    try:
        reader = PdfReader(p)
    except (PdfReadError, ValueError, OSError) as exc:
        raise InvalidInput(f"{p.name}: cannot read the PDF ({exc}).", field="sources", key="kb_pdf_unreadable",
                           params={"name": p.name}) from exc
    if reader.is_encrypted:
        raise InvalidInput(
            f"{p.name} is an encrypted (password-protected) PDF.",
            field="sources",
            fix="Save an unencrypted copy (e.g. `qpdf --decrypt in.pdf out.pdf`) and index that.",
            key="kb_pdf_encrypted",
            params={"name": p.name},
        )
    pages = []
    for page in reader.pages:
        pages.append(page.extract_text() or "")
    if not "".join(pages).strip():
        raise InvalidInput(
            f"{p.name} has no text layer (a scanned PDF?).",
            field="sources",
            fix="Run OCR first (e.g. ocrmypdf) so the PDF carries text.",
            key="kb_pdf_no_text",
            params={"name": p.name},
        )
    return pages


def _docx_text(p: Path) -> str:
    """Word document → lines, paragraphs and table rows in document order.

    Headings become Markdown headings so sections survive; each table row becomes one line
    ``cell | cell | cell`` so tables are searchable and quoted with the clause they belong to.
    """
    import zipfile

    from docx import Document
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        doc = Document(str(p))
    except (zipfile.BadZipFile, PackageNotFoundError, KeyError, ValueError) as exc:
        raise InvalidInput(f"{p.name} is not a valid .docx file ({exc}).", field="sources", key="kb_docx_invalid",
                           params={"name": p.name}) from exc
    lines: list[str] = []
    for block in doc.element.body.iterchildren():
        tag = block.tag.rsplit("}", 1)[-1]
        if tag == "p":
            para = Paragraph(block, doc)
            text = para.text.strip()
            if not text:
                continue
            style = (para.style.name if para.style is not None else "") or ""
            level = _heading_level(style)
            lines.append(("#" * level + " " + text) if level else text)
        elif tag == "tbl":
            table = Table(block, doc)
            for row in table.rows:
                cells: list[str] = []
                for cell in row.cells:
                    t = " ".join(cell.text.split())
                    if not cells or cells[-1] != t:  # merged cells repeat their text
                        cells.append(t)
                if any(cells):
                    lines.append(" | ".join(cells))
    return "\n".join(lines)


def _heading_level(style: str) -> int:
    s = style.lower()
    if s == "title":
        return 1
    m = re.match(r"(?:heading|标题)\s*(\d)", s)
    return int(m.group(1)) + 1 if m else 0


def _xlsx_passages(p: Path, *, source: str, rel_path: str) -> list[Passage]:
    """One passage per non-empty row: ``header: value；header: value``; article ``Sheet!行N``."""
    import zipfile

    from openpyxl import load_workbook

    try:
        wb = load_workbook(p, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise InvalidInput(f"{p.name} is not a valid .xlsx workbook ({exc}).", field="sources", key="kb_xlsx_invalid",
                           params={"name": p.name}) from exc
    out: list[Passage] = []
    try:
        for ws in wb.worksheets:
            header: list[str] | None = None
            for r, row in enumerate(ws.iter_rows(values_only=True), start=1):
                vals = ["" if v is None else str(v).strip() for v in row]
                if not any(vals):
                    continue
                if header is None:
                    header = vals
                    continue
                parts = []
                for i, v in enumerate(vals):
                    if not v:
                        continue
                    h = header[i] if i < len(header) and header[i] else f"列{i + 1}"
                    parts.append(f"{h}: {v}")
                out.append(
                    Passage(
                        source=source,
                        article=f"{ws.title}!行{r}",
                        text="；".join(parts),
                        title=p.stem,
                        chapter=ws.title,
                        path=rel_path,
                    )
                )
    finally:
        wb.close()
    return out


def parse_text(
    text: str, *, source: str, rel_path: str | None = None, default_title: str | None = None
) -> list[Passage]:
    """Split document text into passages by its structure.

    The structure is detected, in order of preference: Chinese legal articles (``第X条`` at the
    start of a line), numbered clauses (``1.2.3 text``), Markdown headings, then blank-line
    paragraphs (merged up to ~400 characters). Chapters (``第X章``) and sections (``第X节``) are
    recorded in ``chapter`` but do not start a passage of their own.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    title = default_title or Path(source).stem
    # Title: first level-1 heading.
    for ln in lines:
        m = HEADING_RE.match(ln.strip())
        if m and len(m.group(1)) == 1:
            title = m.group(2).strip()
            break
    # Drop the metadata header (title, amendment history) of the law corpus format.
    if any(ln.strip() == INFO_END for ln in lines):
        idx = next(i for i, ln in enumerate(lines) if ln.strip() == INFO_END)
        lines = lines[idx + 1 :]
    rel = rel_path or source
    body = [ln.rstrip() for ln in lines]
    if sum(1 for ln in body if ARTICLE_RE.match(ln)) >= 1:
        units = _split_articles(body)
    elif sum(1 for ln in body if CLAUSE_RE.match(ln) and not HEADING_RE.match(ln.strip())) >= 2:
        units = _split_clauses(body, title)
    elif any(HEADING_RE.match(ln.strip()) for ln in body):
        units = _split_headings(body, title)
    else:
        units = _split_paragraphs(body)
    out = []
    for u in units:
        paras = [ln.strip() for ln in u.lines if ln.strip()]
        if not paras:
            continue
        out.append(
            Passage(source=source, article=u.article, text="\n".join(paras), title=title,
                    chapter=u.chapter, path=rel)
        )
    return out


def _chapter_update(line: str, chapter: str, section_base: str) -> tuple[str, str] | None:
    """Return (chapter, section_base) if ``line`` is a chapter/section heading, else None."""
    s = line.strip()
    m = CHAPTER_RE.match(s)
    if m:
        ch = " ".join(x for x in (m.group(1), (m.group(2) or "").strip()) if x)
        return ch, ch
    m = SECTION_RE.match(s)
    if m:
        sec = " ".join(x for x in (m.group(1), (m.group(2) or "").strip()) if x)
        return (f"{section_base} / {sec}" if section_base else sec), section_base
    return None


def _split_articles(lines: list[str]) -> list[_Unit]:
    units: list[_Unit] = []
    chapter = section_base = ""
    cur: _Unit | None = None
    pre = _Unit(article="序言", chapter="")
    for ln in lines:
        upd = _chapter_update(ln, chapter, section_base)
        if upd is not None:
            chapter, section_base = upd
            cur = None
            continue
        m = ARTICLE_RE.match(ln)
        if m:
            cur = _Unit(article=m.group(1), chapter=chapter, lines=[ln.strip()])
            units.append(cur)
            continue
        if HEADING_RE.match(ln.strip()) and cur is None:
            continue  # a title or other heading outside any article
        (cur or pre).lines.append(ln)
    return ([pre] if any(x.strip() for x in pre.lines) else []) + units


def _split_clauses(lines: list[str], title: str) -> list[_Unit]:
    units: list[_Unit] = []
    heading = ""
    cur: _Unit | None = None
    pre = _Unit(article="前言", chapter="")
    for ln in lines:
        s = ln.strip()
        hm = HEADING_RE.match(s)
        if hm:
            inner = hm.group(2).strip()
            cm = CLAUSE_RE.match(inner)
            if cm:
                cur = _Unit(article=cm.group(1), chapter=heading, lines=[inner])
                units.append(cur)
                if "." not in cm.group(1):
                    heading = inner
            elif not (len(hm.group(1)) == 1 and inner == title):
                heading = inner
                cur = None
            continue
        cm = CLAUSE_RE.match(s)
        if cm:
            cur = _Unit(article=cm.group(1), chapter=heading, lines=[s])
            units.append(cur)
            continue
        (cur or pre).lines.append(ln)
    units = _fold_heading_clauses(units)
    return ([pre] if any(x.strip() for x in pre.lines) else []) + units


def _fold_heading_clauses(units: list[_Unit]) -> list[_Unit]:
    """A clause that is only a heading ("2 泄漏处置") followed by its sub-clauses is context, not
    content: it becomes the ``chapter`` of those sub-clauses instead of a passage of its own."""
    out: list[_Unit] = []
    for i, u in enumerate(units):
        body = [ln for ln in u.lines if ln.strip()]
        nxt = units[i + 1] if i + 1 < len(units) else None
        is_heading = len(body) == 1 and len(body[0].strip()) <= 40 and not re.search(r"[。；;：:！？!?]", body[0])
        if is_heading and nxt is not None and nxt.article.startswith(u.article + "."):
            title = body[0].strip()
            for child in units[i + 1 :]:
                if not child.article.startswith(u.article + "."):
                    break
                child.chapter = " / ".join(x for x in (u.chapter, title) if x)
            continue
        out.append(u)
    return out


def _split_headings(lines: list[str], title: str) -> list[_Unit]:
    units: list[_Unit] = []
    cur = _Unit(article="", chapter="")
    units.append(cur)
    stack: list[str] = []
    for ln in lines:
        m = HEADING_RE.match(ln.strip())
        if m:
            level = len(m.group(1))
            name = m.group(2).strip()
            stack = [*stack[: level - 1], name]
            if level == 1 and name == title:
                continue
            cur = _Unit(article=name, chapter=" / ".join(stack[:-1]), lines=[])
            units.append(cur)
            continue
        cur.lines.append(ln)
    if units and units[0].article == "":
        units[0].article = "正文"
    return units


def _split_paragraphs(lines: list[str], max_chars: int = 400) -> list[_Unit]:
    paras: list[str] = []
    buf: list[str] = []
    for ln in [*lines, ""]:
        if ln.strip():
            buf.append(ln.strip())
        elif buf:
            paras.append("\n".join(buf))
            buf = []
    units: list[_Unit] = []
    cur: list[str] = []
    size = 0
    for p in paras:
        if cur and size + len(p) > max_chars:
            units.append(_Unit(article=f"第{len(units) + 1}段", chapter="", lines=cur))
            cur, size = [], 0
        cur.append(p)
        size += len(p)
    if cur:
        units.append(_Unit(article=f"第{len(units) + 1}段", chapter="", lines=cur))
    return units


def iter_source_files(sources: Iterable[str | Path]) -> list[tuple[Path, str]]:
    """Expand files and folders into ``(file, relative path)`` pairs, sorted, supported types only.

    Raises
    ------
    InvalidInput
        A source that does not exist, or no supported file at all.
    """
    out: list[tuple[Path, str]] = []
    seen: set[Path] = set()
    for s in sources:
        p = Path(s)
        if not p.exists():
            raise InvalidInput(f"{s} does not exist.", field="sources", fix="Check the path.",
                               key="path_missing", params={"path": str(s)})
        if p.is_dir():
            files = sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in SUFFIXES
                           and not any(part.startswith(".") for part in f.relative_to(p).parts))
            pairs = [(f, f.relative_to(p).as_posix()) for f in files]
        else:
            pairs = [(p, p.name)]
        for f, rel in pairs:
            rp = f.resolve()
            if rp not in seen:
                seen.add(rp)
                out.append((f, rel))
    if not out:
        raise InvalidInput(
            "no supported files found in the sources.",
            field="sources",
            fix=f"Pass files or folders containing {', '.join(SUFFIXES)}.",
        )
    return out
