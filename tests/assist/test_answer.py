"""Answers: extractive with verifiable quotes, grounded LLM answers via a real local HTTP server."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from yuzhi.assist.answer import ask, best_quote, highlight
from yuzhi.assist.llm import AssistSettings, OpenAICompatibleLLM, from_settings
from yuzhi.errors import InvalidInput


def test_no_model_gives_extractive_answer_with_exact_quotes(tiny_index) -> None:
    _, ix = tiny_index
    ans = ask(ix, "特种作业人员需要持证上岗吗？")
    assert ans.mode == "extractive" and ans.covered and ans.model is None
    first = ans.citations[0]
    assert (first.source, first.article) == ("示例安全生产法(2024-01-01).md", "第二条")
    article = next(p for p in ix.passages if (p.source, p.article) == (first.source, first.article))
    assert first.text in article.text
    assert "【特种作业人员】" in first.highlighted
    # a short answer in Chinese: the governing sentence, article cited, every line numbered
    assert ans.answer.startswith("《示例安全生产法》第二条（义务）：生产经营单位的特种作业人员必须")
    assert ans.answer.splitlines()[0].endswith("[1]")
    assert ans.points and all(1 <= p.citation <= len(ans.citations) for p in ans.points)
    assert ans.language == "zh" and "第二条 " not in ans.answer
    d = ans.to_dict()
    assert set(d["citations"][0]) >= {"source", "article", "text", "highlighted", "score"}


def test_language_of_answer_follows_question(tiny_index) -> None:
    _, ix = tiny_index
    en = ask(ix, "Must the employer provide protective equipment to workers?")
    assert en.answer.startswith("《示例安全生产法》 Article 3 ") and en.language == "en"
    off = ask(ix, "How do I bake sourdough bread?")
    assert not off.covered and off.citations == []
    assert off.answer == "The indexed sources contain no provision that answers this question."
    with pytest.raises(InvalidInput, match="empty"):
        ask(ix, "  ")


def test_best_quote_and_highlight() -> None:
    text = "第九条 甲应当报告。乙应当在1小时内向监督管理部门报告。丙不得瞒报。" + "丁" * 300
    q = best_quote(text, ["小时", "报告"], max_chars=60)
    assert q == "乙应当在1小时内向监督管理部门报告。"
    assert q in text
    assert highlight("1小时内报告", ["小时", "报告"]) == "1【小时】内【报告】"
    assert highlight("安全生产", ["安全", "全生"]) == "【安全生】产"


class _FakeLLM(BaseHTTPRequestHandler):
    """Stands in for vLLM/Ollama (no model can run here): replies from the request's content."""

    requests: ClassVar[list[dict]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _FakeLLM.requests.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
        question = body["messages"][-1]["content"].rsplit("Question:", 1)[-1]
        if "500" in question:
            self.send_response(500)
            self.end_headers()
            self.wfile.write(b"boom")
            return
        if "bread" in question:
            reply = "NOT_COVERED"
        elif "uncited" in question:
            reply = "特种作业人员须经培训取得资格方可上岗 [1]。安全帽一律免费发放。"
        elif "invent" in question:
            reply = "Workers must wear helmets [9]."
        else:
            # cite the passage that mentions 资格 if it is listed, like a grounded model would
            passages = re.findall(r"\[(\d+)\] [^\n]*\n([^\n]*)", body["messages"][-1]["content"])
            n = next((num for num, text in passages if "资格" in text), "1")
            reply = f"特种作业人员须经培训取得资格方可上岗 [{n}]，另见 [7]。"
        payload = {"choices": [{"message": {"role": "assistant", "content": reply}}]}
        data = json.dumps(payload, ensure_ascii=False).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def llm_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeLLM)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()


def test_llm_answer_cites_only_retrieved_passages(tiny_index, llm_server) -> None:
    _, ix = tiny_index
    llm = OpenAICompatibleLLM(llm_server, "qwen-test", api_key="k123", timeout=10)
    ans = ask(ix, "特种作业人员需要持证上岗吗？", k=3, llm=llm)
    assert ans.mode == "llm" and ans.covered and ans.model == "openai-compatible:qwen-test"
    assert [(c.source, c.article) for c in ans.citations] == [("示例安全生产法(2024-01-01).md", "第二条")]
    assert "[7]" not in ans.answer  # a citation outside the 3 passages is removed…
    assert ans.warnings == ["the model cited [7], which is not one of the 3 passages; dropped"]
    req = _FakeLLM.requests[-1]
    assert req["path"] == "/v1/chat/completions" and req["auth"] == "Bearer k123"
    assert req["body"]["model"] == "qwen-test" and req["body"]["temperature"] == 0.0
    assert "《示例安全生产法》第二条" in req["body"]["messages"][1]["content"]
    assert [p.citation for p in ans.points] == [1]


def test_llm_sentence_without_citation_is_dropped(tiny_index, llm_server) -> None:
    _, ix = tiny_index
    llm = OpenAICompatibleLLM(llm_server, "m", timeout=10)
    ans = ask(ix, "uncited 特种作业人员需要持证上岗吗？", k=3, llm=llm)
    assert ans.covered and "免费" not in ans.answer and "取得资格" in ans.answer
    assert any("cites no retrieved passage" in w and "安全帽" in w for w in ans.warnings)


def test_llm_not_covered_and_ungrounded(tiny_index, llm_server) -> None:
    _, ix = tiny_index
    llm = OpenAICompatibleLLM(llm_server, "m", timeout=10)
    out = ask(ix, "How do I bake bread?", llm=llm)
    assert not out.covered and out.citations == [] and out.mode == "llm"
    made_up = ask(ix, "Do workers need to invent rules?", llm=llm)
    assert not made_up.covered and made_up.citations == []
    assert "cites no retrieved passage" in made_up.warnings[-1]


def test_llm_unreachable_or_failing_falls_back_to_extractive(tiny_index, llm_server) -> None:
    _, ix = tiny_index
    failing = ask(ix, "特种作业人员 500", llm=OpenAICompatibleLLM(llm_server, "m", timeout=10))
    assert failing.mode == "extractive" and "HTTP 500" in failing.warnings[0]
    down = OpenAICompatibleLLM("http://127.0.0.1:9/v1", "m", timeout=2)
    ans = ask(ix, "特种作业人员需要持证吗", llm=down)
    assert ans.mode == "extractive" and ans.covered and "cannot reach" in ans.warnings[0]


def test_model_configuration() -> None:
    assert from_settings(settings=AssistSettings()) is None
    llm = from_settings(llm_url="http://h:1/v1", llm_model="qwen", settings=AssistSettings())
    assert isinstance(llm, OpenAICompatibleLLM) and llm.model == "qwen"
    with pytest.raises(InvalidInput, match="without a model name"):
        from_settings(llm_url="http://h:1/v1", settings=AssistSettings())
    with pytest.raises(InvalidInput, match=r"llama-cpp-python|not found"):
        from_settings(gguf="/nonexistent/model.gguf", settings=AssistSettings())


def _raw_article(path, article: str) -> str:
    """The article's text read straight from the Markdown file, independently of the parser."""
    raw = path.read_text(encoding="utf-8")
    m = re.search(rf"^{article}[ \u3000](.*?)(?=^第[零〇一二三四五六七八九十百千]+条[ \u3000]|^## |\Z)", raw,
                  flags=re.S | re.M)
    assert m, f"{article} not in {path.name}"
    return re.sub(r"\s+", "", article + m.group(1))


@pytest.mark.slow
def test_citations_are_real_on_the_law_corpus(law_corpus, tmp_path) -> None:
    """Every quote is really in the article it cites, read back from the source file."""
    from yuzhi.assist.index import KnowledgeIndex, build_index

    files = [law_corpus / "regulations" / "生产安全事故报告和调查处理条例(2007-04-09).md",
             law_corpus / "regulations" / "安全生产许可证条例(2014-07-29).md"]
    build_index(files, tmp_path / "ix")
    ix = KnowledgeIndex(tmp_path / "ix")
    by_name = {f.name: f for f in files}
    questions = ["事故发生后单位负责人多长时间内要上报？", "安全生产许可证有效期几年？",
                 "What must an accident report include?", "事故調査報告書は何日以内に提出しなければなりませんか？",
                 "事故调查报告要在多少天内提交？", "没有安全生产许可证擅自生产怎么处罚？"]
    checked = 0
    for q in questions:
        ans = ask(ix, q)
        assert ans.covered, q
        for c in ans.citations:
            assert re.sub(r"\s+", "", c.text) in _raw_article(by_name[c.source], c.article), (q, c.article)
            checked += 1
    assert checked >= len(questions)
    top = ask(ix, "事故发生后单位负责人多长时间内要上报？").citations
    assert ("生产安全事故报告和调查处理条例(2007-04-09).md", "第九条") in [(c.source, c.article) for c in top]
