"""Industrial knowledge assistant: answers from regulations, SOPs and manuals, with citations.

Pure cores (no database, no HTTP): :mod:`~yuzhi.assist.parsing` (documents → citable passages),
:mod:`~yuzhi.assist.tokenize`, :mod:`~yuzhi.assist.glossary` (query expansion),
:mod:`~yuzhi.assist.bm25`, :mod:`~yuzhi.assist.dense`, :mod:`~yuzhi.assist.hybrid`,
:mod:`~yuzhi.assist.index` (an on-disk index directory), :mod:`~yuzhi.assist.answer`
(extractive or LLM-grounded answers), :mod:`~yuzhi.assist.llm` and :mod:`~yuzhi.assist.evaluate`. The platform layer
(``models``, ``service``, ``api``, ``pages``) adds per-organisation knowledge bases.
"""
