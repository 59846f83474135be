"""豫智 yuzhi: the platform behind Henan's AI-empowered new industrialization.

Domains live in sub-packages of the same shape (``models``, ``schemas``, ``service``, ``api``,
``cli``, plus pure cores); see ``docs/architecture.md``.
"""

__version__ = "0.1.0"

#: Every domain package, lowest layer first. The CLI, the web app and the model registry
#: discover a domain's ``cli``, ``api``, ``pages`` and ``models`` modules from this list.
DOMAINS: tuple[str, ...] = (
    "audit",
    "accounts",
    "providers",
    "ledger",
    "compute",
    "vouchers",
    "awards",
    "kpi",
    "inspect",
    "schedule",
    "monitor",
    "assist",
)
