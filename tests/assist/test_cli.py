"""The `yuzhi assist` command line, run as a user would (a real subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.assist.conftest import write_corpus


def yuzhi(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "YUZHI_HOME": str(home), "YUZHI_ASSIST_LLM_URL": "", "YUZHI_ASSIST_GGUF": ""}
    env.pop("YUZHI_DATABASE_URL", None)
    return subprocess.run([sys.executable, "-c", "from yuzhi.cli import main; main()", *args],
                          capture_output=True, text=True, env=env, timeout=300)


def test_index_search_ask_eval(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "docs")
    out = tmp_path / "ix"
    r = yuzhi("assist", "index", str(corpus), "--out", str(out), "--json", home=tmp_path)
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert (report["n_files"], report["n_passages"], len(report["added"])) == (2, 9, 2)
    r = yuzhi("assist", "search", str(out), "特种作业人员要持证上岗吗", "-k", "2", "--json", home=tmp_path)
    hits = json.loads(r.stdout)
    assert len(hits) == 2 and set(hits[0]) >= {"source", "article", "text", "score"}
    assert (hits[0]["source"], hits[0]["article"]) == ("示例安全生产法(2024-01-01).md", "第二条")
    r = yuzhi("assist", "ask", str(out), "Within how many hours must an accident be reported?", "--json", home=tmp_path)
    ans = json.loads(r.stdout)
    assert ans["mode"] == "extractive" and ans["covered"] and ans["model"] is None
    assert ("示例安全生产法(2024-01-01).md", "第四条") in [(c["source"], c["article"]) for c in ans["citations"]]
    gold = tmp_path / "gold.jsonl"
    answer = {"source": "示例安全生产法(2024-01-01).md", "article": "第三条"}
    row = {"question": "劳保用品谁来发？", "answers": [answer]}
    gold.write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    r = yuzhi("assist", "eval", str(out), str(gold), "--json", home=tmp_path)
    assert json.loads(r.stdout)["recall@5"] == 1.0


def test_errors_are_clean(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "docs")
    r = yuzhi("assist", "ask", str(tmp_path / "nope"), "问题", home=tmp_path)
    assert r.returncode == 2 and "no assist index" in r.stderr and "Traceback" not in r.stderr
    (corpus / "bad.txt").write_bytes(b"\x00\x00")
    r = yuzhi("assist", "index", str(corpus), "--out", str(tmp_path / "ix"), home=tmp_path)
    assert r.returncode == 2 and "bad.txt looks like a binary file" in r.stderr
    assert not (tmp_path / "ix").exists()


def test_platform_knowledge_base_commands(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "docs")
    assert yuzhi("db", "upgrade", home=tmp_path).returncode == 0
    r = yuzhi("assist", "kb-create", "安全生产法规", home=tmp_path)
    assert r.returncode == 0 and r.stdout.startswith("knowledge base 1: 安全生产法规 (public)")
    r = yuzhi("assist", "kb-add", "1", str(corpus), home=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "2 documents added to 安全生产法规: 9 passages indexed" in r.stdout
    assert (tmp_path / "assist" / "kb-1" / "index" / "manifest.json").is_file()
    # by name, as kb-list shows it; an unknown name lists the known ones and changes nothing
    r = yuzhi("assist", "kb-add", "安全生产法规", str(corpus), home=tmp_path)
    assert r.returncode == 0 and "added to 安全生产法规" in r.stdout, r.stderr
    r = yuzhi("assist", "kb-add", "没有这个库", str(corpus), home=tmp_path)
    assert r.returncode == 2 and "no knowledge base '没有这个库'" in r.stderr and "1 安全生产法规" in r.stderr
    assert "Traceback" not in r.stderr
