"""Import directions between domains (docs/architecture.md), checked on the source with ``ast``.

Every ``import yuzhi.X…`` / ``from yuzhi.X… import`` in ``src/yuzhi`` — also those inside
functions, which hide dependencies from a reader — must point to a lower layer, to the
foundation, or (only from a domain's *edge* modules: api, pages, cli, worker, demo) to the web
layer, ops or the cross-domain workflows. The exceptions are listed with their reason; a new
one fails here until it is added (and justified) in both places.
"""

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "yuzhi"

#: Modules any layer may use (no domain logic); ``__init__`` stands for ``yuzhi.DOMAINS`` / ``__version__``.
FOUNDATION = {"db", "errors", "types", "config", "pagination", "fmt", "cli_help", "__init__"}
#: Domain packages by layer, lowest first; a module may import its own package and lower layers.
LAYERS: list[set[str]] = [
    {"audit", "accounts"},  # identity and the audit trail (accounts.actor is used everywhere)
    {"ledger", "providers", "programmes"},
    {"compute"},
    {"vouchers", "awards"},
    {"kpi", "inspect", "schedule", "monitor", "assist"},
    {"workflows"},
]
#: What a domain's edge modules (HTTP, pages, CLI, worker, demo data) may use besides lower layers.
EDGE_EXTRA = {"web", "ops", "workflows"}
#: Top-level composition (the app, the CLI, demo data, migrations): may import anything.
TOP = {"web", "ops", "cli", "demo", "demo_awards", "migrations"}
#: Known exceptions: (importing module, imported package) → why.
EXCEPTIONS = {
    ("audit.service", "ledger"): "audit verify checks the ledger digests it keeps (ledger.core.txn_digest)",
}
#: Within a layer, these directions only (no cycles between packages of one layer).
SAME_LAYER = {("accounts", "audit"), ("audit", "accounts"), ("providers", "ledger"), ("programmes", "ledger")}


def _is_edge(module: str) -> bool:
    leaf = module.rsplit(".", 1)[-1]
    return leaf in {"api", "pages", "cli", "worker", "demo"} or leaf.endswith(("_pages", "_api"))


def _layer(pkg: str) -> int | None:
    return next((i for i, layer in enumerate(LAYERS) if pkg in layer), None)


def _imports(path: Path) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module == "yuzhi" and node.level == 0:
            out.update(f"yuzhi.{a.name}" for a in node.names)  # from yuzhi import types, DOMAINS …
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return {n for n in out if n.startswith("yuzhi.")}


def test_every_package_has_a_layer():
    packages = {p.name for p in SRC.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    placed = set().union(*LAYERS) | TOP
    assert packages <= placed, f"place these packages in tests/test_imports.py and docs/architecture.md: " \
                               f"{sorted(packages - placed)}"


def test_imports_point_down():
    wrong = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).with_suffix("").parts
        pkg, module = rel[0], ".".join(rel)
        if pkg in TOP or pkg in FOUNDATION:
            continue
        mine = _layer(pkg)
        assert mine is not None, pkg
        for name in _imports(path):
            target = name.split(".")[1]
            target = "__init__" if target in {"DOMAINS", "__version__"} else target
            if target == pkg or target in FOUNDATION or name == "yuzhi.accounts.actor":
                continue
            if (module, target) in EXCEPTIONS:
                continue
            theirs = _layer(target)
            ok = (theirs is not None and theirs < mine) or (pkg, target) in SAME_LAYER \
                or (_is_edge(module) and target in EDGE_EXTRA)
            if not ok:
                wrong.append(f"{module} imports {name}")
    assert not wrong, "imports against the layering of docs/architecture.md:\n" + "\n".join(wrong)


def test_the_ledger_imports_no_domain():
    for path in (SRC / "ledger").rglob("*.py"):
        for name in _imports(path):
            target = name.split(".")[1]
            allowed = {"ledger", "db", "audit", "errors", "DOMAINS"}  # DOMAINS: books are discovered by name
            assert target in allowed, f"{path.name} imports {name}"


def test_accounts_live_quota_statuses_are_the_voucher_holding_statuses():
    from yuzhi.accounts.service import LIVE_QUOTA_STATUSES
    from yuzhi.vouchers.books import HOLDING

    assert sorted(LIVE_QUOTA_STATUSES) == sorted(s.value for s in HOLDING)
