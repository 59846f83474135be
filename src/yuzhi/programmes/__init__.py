"""The funding-programme core shared by the voucher and award programmes: one implementation of
each rule both need (the province:city funding split, 公示 objections). Pure functions or
functions over a table the caller names; no programme's models. See ``docs/architecture.md``."""
