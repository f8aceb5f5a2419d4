"""Drawing distinct node pairs uniformly: the sampler the random graph models share.

Used by :mod:`neuroworm.connectome.null_models` (random wiring) and
:mod:`neuroworm.connectome.statistics` (random references for the
small-world coefficient); it lives on its own so that neither imports the
other.
"""

import numpy as np

from ..errors import ConnectomeError

__all__ = ["sample_pairs"]


def sample_pairs(n, count, rng, *, directed, pre_pool=None, taken=None):
    """Draw ``count`` distinct node pairs uniformly, without self pairs.

    Pairs are returned as integer codes ``i * n + j``: directed pairs have
    ``i`` in ``pre_pool`` (default: every node) and ``j != i``; undirected
    pairs have ``i < j``. Codes in ``taken`` are never drawn. Sparse requests
    use rejection sampling in batches; dense ones enumerate the candidates.
    """
    pool = np.arange(n) if pre_pool is None else np.asarray(pre_pool, dtype=np.int64)
    taken = np.zeros(0, dtype=np.int64) if taken is None else np.asarray(taken, dtype=np.int64)
    if count == 0:
        return np.zeros(0, dtype=np.int64)
    if directed:
        capacity = len(pool) * (n - 1) - int(np.isin(taken // max(n, 1), pool).sum())
    else:
        capacity = n * (n - 1) // 2 - len(taken)
    if count > capacity:
        raise ConnectomeError(
            f"cannot draw {count} distinct {'directed' if directed else 'undirected'} pairs "
            f"among {n} cells: only {capacity} are free"
        )
    if count > 0.25 * capacity:  # dense: enumerate every free pair and choose
        if directed:
            codes = (pool[:, None] * n + np.arange(n)[None, :]).ravel()
            codes = codes[codes // n != codes % n]
        else:
            i, j = np.triu_indices(n, k=1)
            codes = i.astype(np.int64) * n + j
        codes = codes[~np.isin(codes, taken)]
        return rng.choice(codes, size=count, replace=False)
    chosen = np.zeros(0, dtype=np.int64)
    while len(chosen) < count:
        batch = int((count - len(chosen)) * 1.3) + 16
        if directed:
            first = pool[rng.integers(0, len(pool), size=batch)]
            second = rng.integers(0, n, size=batch)
        else:
            a = rng.integers(0, n, size=batch)
            b = rng.integers(0, n, size=batch)
            first, second = np.minimum(a, b), np.maximum(a, b)
        codes = first * n + second
        codes = codes[(first != second) & ~np.isin(codes, taken) & ~np.isin(codes, chosen)]
        _, first_seen = np.unique(codes, return_index=True)  # keep draw order: no bias to small codes
        chosen = np.concatenate([chosen, codes[np.sort(first_seen)]])
    return chosen[:count]
