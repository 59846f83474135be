"""Whitelisted compute providers: the registry the voucher programme, the compute network and the
accounts (provider operators) all depend on. Sits just above ``accounts`` (a provider is operated by
an organisation) and below every domain that uses providers; see ``docs/architecture.md``."""
