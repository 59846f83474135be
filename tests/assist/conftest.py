"""Fixtures: a tiny real corpus indexed once per module (real parser, real BM25, real e5 embeddings)."""

from __future__ import annotations

from pathlib import Path

import pytest

from yuzhi.assist.index import KnowledgeIndex, build_index
from yuzhi.config import shared_data_dir

LAW = """# 示例安全生产法

<!-- INFO END -->

## 第一章 总则

第一条 为了加强安全生产工作，制定本法。

第二条 生产经营单位的特种作业人员必须按照国家有关规定经专门的安全作业培训，取得相应资格，方可上岗作业。

第三条 生产经营单位必须为从业人员提供符合国家标准的劳动防护用品，并监督、教育从业人员按照使用规则佩戴、使用。

## 第二章 事故报告

第四条 事故发生后，现场有关人员应当立即向本单位负责人报告；单位负责人应当于1小时内向安全生产监督管理部门报告。

第五条 任何单位和个人不得迟报、漏报、谎报或者瞒报事故。
"""

SOP = """# 受限空间作业规程

1 范围
本规程适用于储罐、地坑等受限空间作业。

2 作业前
2.1 作业前必须进行气体检测，氧含量应在19.5%至23.5%之间。
2.2 必须办理受限空间作业票，并设专人监护。

3 应急
3.1 发生中毒窒息时，监护人不得盲目施救，应立即报警。
"""


def write_corpus(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "示例安全生产法(2024-01-01).md").write_text(LAW, encoding="utf-8")
    (root / "受限空间作业规程.md").write_text(SOP, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def tiny_index(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, KnowledgeIndex]:
    base = tmp_path_factory.mktemp("assist")
    corpus = write_corpus(base / "docs")
    build_index([corpus], base / "index")
    return corpus, KnowledgeIndex(base / "index")


@pytest.fixture(scope="session")
def law_corpus() -> Path:
    path = shared_data_dir() / "assist" / "cn-safety-law"
    if not path.is_dir():
        pytest.skip("shared data ../shared/data/assist/cn-safety-law is absent (fresh clone)")
    return path
