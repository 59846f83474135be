"""``yuzhi assist``: index documents, search them, ask questions with citations.

    yuzhi assist index ../shared/data/assist/cn-safety-law --out var/law-index
    yuzhi assist search var/law-index "特种作业人员要持证上岗吗" -k 5 --json
    yuzhi assist ask var/law-index "Who must report an accident, and within how long?" --json
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

app = typer.Typer(help="Knowledge assistant: regulations, SOPs and manuals with citations.", no_args_is_help=True)


def _echo_json(obj: object) -> None:
    typer.echo(json.dumps(obj, ensure_ascii=False, indent=2))


@app.command("index")
def index_cmd(
    sources: list[Path] = typer.Argument(..., help="Files or folders (.md .txt .pdf .docx .xlsx)."),
    out: Path = typer.Option(..., "--out", "-o", help="Index folder (created or updated in place)."),
    skip_bad: bool = typer.Option(False, "--skip-bad", help="Skip unreadable files instead of failing."),
    force: bool = typer.Option(False, "--force", help="Re-parse and re-embed every file."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Index SOURCES into OUT; unchanged files (same SHA-256) are reused, not re-embedded."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

    from yuzhi.assist.index import build_index

    console = Console(stderr=True)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=as_json) as bar:
        tasks: dict[str, TaskID] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                label = {"parse": "parsing files", "cached": "embeddings reused (content hash)",
                         "embed": "embedding passages (batches of 32)"}.get(stage, stage)
                tasks[stage] = bar.add_task(label, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        report = build_index(sources, out, progress=progress, skip_bad=skip_bad, force=force,
                             embed_cache=not force)
    if as_json:
        _echo_json(report.to_dict())
        return
    typer.echo(
        f"indexed {report.n_files} files, {report.n_passages} passages into {out} in {report.seconds:.1f} s "
        f"(added {len(report.added)}, updated {len(report.updated)}, unchanged {len(report.unchanged)}, "
        f"removed {len(report.removed)}, skipped {len(report.skipped)}; "
        f"embedded {report.embedded} vectors, {report.cached} from the embedding cache)"
    )
    for s in report.skipped:
        typer.echo(f"  skipped {s['path']}: {s['error']}")


@app.command("search")
def search_cmd(
    index: Path = typer.Argument(..., help="Index folder built by `yuzhi assist index`."),
    query: str = typer.Argument(..., help="Question or keywords (Chinese, English or Japanese)."),
    k: int = typer.Option(5, "-k", help="Number of passages."),
    mode: str = typer.Option("hybrid", help="hybrid, bm25 or dense."),
    as_json: bool = typer.Option(False, "--json", help="JSON list of {source, article, text, score, …}."),
) -> None:
    """Rank passages for QUERY."""
    from yuzhi.assist.index import KnowledgeIndex

    hits = KnowledgeIndex(index).search(query, k=k, mode=mode)
    if as_json:
        _echo_json([h.to_dict() for h in hits])
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(show_lines=True)
    for col in ("#", "source", "article", "score", "text"):
        table.add_column(col)
    for h in hits:
        text = h.text if len(h.text) <= 160 else h.text[:160] + "…"
        table.add_row(str(h.rank), h.source, h.article, f"{h.score:.3f}", text)
    Console().print(table)


@app.command("ask")
def ask_cmd(
    index: Path = typer.Argument(..., help="Index folder built by `yuzhi assist index`."),
    question: str = typer.Argument(..., help="The question."),
    k: int = typer.Option(5, "-k", help="Passages retrieved as evidence."),
    llm_url: str = typer.Option(None, help="OpenAI-compatible base URL, e.g. http://host:8000/v1 "
                                           "(default YUZHI_ASSIST_LLM_URL; none = extractive)."),
    llm_model: str = typer.Option(None, help="Model name (default YUZHI_ASSIST_LLM_MODEL)."),
    llm_api_key: str = typer.Option(None, help="API key (default YUZHI_ASSIST_LLM_API_KEY)."),
    gguf: str = typer.Option(None, help="Local GGUF model via llama-cpp-python (default YUZHI_ASSIST_GGUF)."),
    as_json: bool = typer.Option(False, "--json", help="JSON: answer, covered, citations[{source, article, text}]."),
) -> None:
    """Answer QUESTION with citations (extractive unless a model is configured)."""
    from yuzhi.assist.answer import ask
    from yuzhi.assist.index import KnowledgeIndex
    from yuzhi.assist.llm import from_settings

    ix = KnowledgeIndex(index)
    llm = from_settings(llm_url=llm_url, llm_model=llm_model, llm_api_key=llm_api_key, gguf=gguf)
    ans = ask(ix, question, k=k, llm=llm)
    if as_json:
        _echo_json(ans.to_dict())
        return
    # plain echo, not Rich: quotes must not be re-wrapped, so they can be copied verbatim
    typer.echo(ans.answer)
    for i, c in enumerate(ans.citations, start=1):
        typer.echo(f"[{i}] {c.source} {c.article}" + (f" p. {c.page}" if c.page else ""))
    for w in ans.warnings:
        typer.echo(f"warning: {w}", err=True)


@app.command("eval")
def eval_cmd(
    index: Path = typer.Argument(..., help="Index folder."),
    gold: Path = typer.Argument(..., help="Gold JSONL: {question, answers: [{source, article}]} per line."),
    mode: str = typer.Option("hybrid", help="hybrid, bm25 or dense."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """recall@1, recall@5 and MRR of INDEX on a gold question set."""
    from yuzhi.assist.evaluate import load_gold, retrieval_metrics
    from yuzhi.assist.index import KnowledgeIndex

    ix = KnowledgeIndex(index)
    rows = load_gold(gold)
    ranked = [[(h.source, h.article) for h in ix.search(r["question"], k=10, mode=mode)] for r in rows]
    m = retrieval_metrics(ranked, [{(a["source"], a["article"]) for a in r["answers"]} for r in rows])
    if as_json:
        _echo_json(m)
    else:
        typer.echo(f"{int(m['n'])} questions  recall@1 {m['recall@1']:.3f}  recall@5 {m['recall@5']:.3f}  "
                   f"MRR {m['mrr']:.3f}")


@app.command("kb-create")
def kb_create_cmd(
    name: str = typer.Argument(..., help="Knowledge base name, e.g. 安全生产法规."),
    org: int = typer.Option(None, "--org", help="Owning organisation id (default: a public knowledge base)."),
    description: str = typer.Option("", help="Free text."),
) -> None:
    """Create a platform knowledge base (public regulations, or one organisation's SOPs)."""
    from yuzhi.accounts.actor import SYSTEM
    from yuzhi.assist import service
    from yuzhi.assist.schemas import KnowledgeBaseCreate
    from yuzhi.db import import_all_models, transaction

    import_all_models()
    with transaction() as session:
        kb = service.create_kb(session, actor=SYSTEM, kb_in=KnowledgeBaseCreate(
            name=name, description=description, scope="org" if org else "public", org_id=org))
        typer.echo(f"knowledge base {kb.id}: {kb.name} ({kb.scope}{f', org {kb.org_id}' if kb.org_id else ''})")


def _resolve_kb(session, ref: str) -> int:
    """A knowledge base by its id or its exact name: people know names, `kb-list` shows both."""
    from yuzhi.accounts.actor import SYSTEM
    from yuzhi.assist import service

    kbs = service.get_all_kbs(session, actor=SYSTEM)
    by_name = [kb for kb in kbs if kb.name == ref.strip()]
    if len(by_name) == 1:
        return by_name[0].id
    if len(by_name) > 1:
        ids = ", ".join(str(kb.id) for kb in by_name)
        raise typer.BadParameter(f"several knowledge bases are named {ref!r} (ids {ids}): give the id", param_hint="KB")
    if ref.strip().isdigit() and any(kb.id == int(ref) for kb in kbs):
        return int(ref)
    known = ", ".join(f"{kb.id} {kb.name}" for kb in kbs) or "none yet (yuzhi assist kb-create NAME)"
    raise typer.BadParameter(f"no knowledge base {ref!r}; known: {known}", param_hint="KB")


@app.command("kb-add")
def kb_add_cmd(
    kb: str = typer.Argument(..., metavar="KB", help="Knowledge base, by name (as kb-list shows it) or id."),
    sources: list[Path] = typer.Argument(..., help="Files or folders to add (replaces files of the same name)."),
) -> None:
    """Add documents to a platform knowledge base and re-index it."""
    from yuzhi.accounts.actor import SYSTEM
    from yuzhi.assist import service
    from yuzhi.assist.parsing import iter_source_files
    from yuzhi.db import import_all_models, transaction

    files = [(p.name, p.read_bytes()) for p, _ in iter_source_files(sources)]
    import_all_models()
    with transaction() as session:
        kb_id = _resolve_kb(session, kb)
        docs = service.add_documents(session, actor=SYSTEM, kb_id=kb_id, files=files)
        row = service.get_kb(session, actor=SYSTEM, kb_id=kb_id)
        typer.echo(f"{len(docs)} documents added to {row.name}: {row.n_passages} passages indexed")


@app.command("kb-list")
def kb_list_cmd() -> None:
    """List the platform's knowledge bases."""
    from yuzhi.accounts.actor import SYSTEM
    from yuzhi.assist import service
    from yuzhi.db import import_all_models, transaction

    import_all_models()
    with transaction() as session:
        for kb in service.get_all_kbs(session, actor=SYSTEM):
            owner = "public" if kb.scope == "public" else f"org {kb.org_id}"
            typer.echo(f"{kb.id}\t{kb.name}\t{owner}\t{kb.n_passages} passages")
