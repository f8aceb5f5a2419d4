"""The four papers' figures and tables (one module per paper) and the questions beyond them.

Each module holds a paper's items, ``ITEM(*, scale, seed, out, **options) -> Reproduction``, listed in
:mod:`neuroworm.papers.registry`; :mod:`neuroworm.papers.reproduce` runs one and writes its files, and
:mod:`neuroworm.papers.verdict` computes the verdict rule of ``REPRODUCTION.md``. What an item reuses
(pipelines, training loops, run folders) lives in :mod:`neuroworm.pipelines`.
"""
