"""Operations: first start, schema upgrades, backups, health, metrics, logs and leader election.

Everything an IT department runs around the domains, kept out of them: pure cores
(:mod:`~yuzhi.ops.passwords`, :mod:`~yuzhi.ops.manifest`) plus thin database/HTTP/CLI layers.
"""
