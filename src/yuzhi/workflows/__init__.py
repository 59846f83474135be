"""Cross-domain workflows: the one place where one domain's event becomes another domain's record.

Each workflow calls the domains' public services (``vouchers.service.record_bill``,
``vouchers.service.subsidy_outlook`` …) and is handed to the domain that raises the event by the
edges that compose the platform (API, pages, CLI, worker), so no domain imports another's
internals and no rule is implemented twice. See ``docs/architecture.md``.
"""
