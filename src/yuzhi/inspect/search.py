"""Nearest-neighbour distance from patch features to the memory bank: exact or inverted lists.

Scoring a 256 x 256 image asks ~1,200 queries against a bank of ~14,000 patches of 152 floats. The
exact search (one matrix product per chunk) spends most of its time writing and scanning the
query x bank distance matrix: on the 2-core machine it was 45 ms of a 75 ms image. So large banks
get an inverted-file index (IVF, as in faiss ``IndexIVFFlat``), built with matrix products only:

1. The bank is split into ``n_lists`` clusters by k-means (Lloyd's iterations), started from the
   first ``n_lists`` bank rows. The bank is stored in greedy-coreset order, so these are the
   k-center picks: well spread, and deterministic (no random restarts).
2. A query is compared with every centroid and searched exactly in its ``n_probe`` nearest lists.
   Queries are grouped by list so each list is one matrix product.

The result is an upper bound on the exact distance (the true nearest patch may sit in a list that
was not probed); on magnetic-tile test patches, 64 lists with 8 probed gave the exact distance for
98.8% of patches and a mean relative excess of 0.06%, at 4.5x the speed. Banks smaller than
``exact_below`` are searched exactly (the index would not pay for itself).

Pure core: torch only, no I/O.
"""

from __future__ import annotations

import math

import torch


def _chunks(queries: torch.Tensor, bank: torch.Tensor, bank_sq: torch.Tensor, chunk_elems: int):
    """``(slice, |b|^2 - 2 q.b)`` per chunk of query rows: squared distances less ``|q|^2``.

    Chunked so that the (rows x bank) matrix stays near ``chunk_elems`` elements.
    """
    step = max(1, chunk_elems // max(1, bank.shape[0]))
    for s in range(0, queries.shape[0], step):
        sl = slice(s, s + step)
        yield sl, torch.addmm(bank_sq.unsqueeze(0), queries[sl], bank.T, alpha=-2.0)


def exact_distance(
    queries: torch.Tensor, bank: torch.Tensor, bank_sq: torch.Tensor | None = None, *,
    chunk_elems: int = 1 << 24,
) -> torch.Tensor:
    """Euclidean distance from each query row to its nearest bank row (exact, chunked GEMM)."""
    if bank_sq is None:
        bank_sq = (bank * bank).sum(1)
    out = torch.empty(queries.shape[0], device=queries.device)
    for sl, d2 in _chunks(queries, bank, bank_sq, chunk_elems):
        out[sl] = d2.amin(1)
    out += (queries * queries).sum(1)
    return out.clamp_min_(0).sqrt_()


def kth_neighbour_distance(x: torch.Tensor, pool: torch.Tensor, *, k: int = 3,
                           chunk_elems: int = 1 << 24) -> torch.Tensor:
    """Distance from each row of ``x`` to its k-th nearest *other* row of ``pool`` (x is in pool)."""
    out = torch.empty(x.shape[0], device=x.device)
    for sl, d2 in _chunks(x, pool, (pool * pool).sum(1), chunk_elems):
        # the row itself is at distance 0, so the (k+1)-th smallest is the k-th other neighbour
        out[sl] = torch.topk(d2, k + 1, dim=1, largest=False).values[:, k]
    out += (x * x).sum(1)
    return out.clamp_min_(0).sqrt_()


def kmeans(x: torch.Tensor, n_clusters: int, *, iterations: int = 10) -> tuple[torch.Tensor, torch.Tensor]:
    """Lloyd's k-means started from the first ``n_clusters`` rows; (centroids, assignment).

    An emptied cluster keeps its previous centroid (it cannot happen on the first pass, where
    each starting row is its own nearest centroid).
    """
    c = x[:n_clusters].clone()
    x_sq = (x * x).sum(1, keepdim=True)
    for _ in range(iterations + 1):
        d2 = torch.addmm(x_sq, x, c.T, alpha=-2.0).add_((c * c).sum(1))
        assign = d2.argmin(1)
        if _ == iterations:
            break
        counts = torch.bincount(assign, minlength=n_clusters).to(x.dtype)
        sums = torch.zeros_like(c).index_add_(0, assign, x)
        filled = counts > 0
        c[filled] = sums[filled] / counts[filled].unsqueeze(1)
    return c, assign


class BankIndex:
    """Nearest-neighbour distances to a fixed memory bank (scikit-learn style ``fit``).

    Parameters
    ----------
    n_lists : int, optional
        Number of inverted lists; default ``round(sqrt(bank size) / 2)`` (64 for 16,000 patches).
    n_probe : int
        Lists searched per query; 0 searches the whole bank exactly.
    exact_below : int
        Banks with fewer rows are searched exactly.
    """

    def __init__(self, *, n_lists: int | None = None, n_probe: int = 6, exact_below: int = 4096) -> None:
        self.n_lists = n_lists
        self.n_probe = n_probe
        self.exact_below = exact_below

    def fit(self, bank: torch.Tensor) -> BankIndex:
        """Build the index of ``bank`` (rows in greedy-coreset order, see the module notes)."""
        n = bank.shape[0]
        k = self.n_lists or max(1, round(math.sqrt(n) / 2))
        self.exact_ = self.n_probe <= 0 or n < self.exact_below or k < 2 or self.n_probe >= k
        if self.exact_:
            self.bank_ = bank.contiguous()
            self.bank_sq_ = (bank * bank).sum(1)
            return self
        centroids, assign = kmeans(bank, k)
        order = torch.argsort(assign, stable=True)
        self.centroids_ = centroids
        self.centroid_sq_ = (centroids * centroids).sum(1)
        self.bank_ = bank[order].contiguous()
        self.bank_sq_ = (self.bank_ * self.bank_).sum(1)
        counts = torch.bincount(assign, minlength=k)
        self.offsets_ = [0, *torch.cumsum(counts, 0).tolist()]
        return self

    def distance(self, queries: torch.Tensor) -> torch.Tensor:
        """Distance from each query row to its nearest bank row (exact for small banks)."""
        if self.exact_:
            return exact_distance(queries, self.bank_, self.bank_sq_)
        nq = queries.shape[0]
        q_sq = (queries * queries).sum(1)
        to_centroids = torch.addmm(self.centroid_sq_.unsqueeze(0), queries, self.centroids_.T, alpha=-2.0)
        probe = torch.topk(to_centroids, self.n_probe, dim=1, largest=False).indices.flatten()
        # (query, list) pairs sorted by list: each list's queries are one contiguous run
        order = torch.argsort(probe, stable=True)
        lists = probe[order]
        qidx = order // self.n_probe
        bounds = torch.searchsorted(lists, torch.arange(len(self.offsets_), device=lists.device)).tolist()
        best = torch.full((nq,), float("inf"), device=queries.device)
        for j in range(len(self.offsets_) - 1):
            a, b = bounds[j], bounds[j + 1]
            lo, hi = self.offsets_[j], self.offsets_[j + 1]
            if a == b or lo == hi:
                continue
            qi = qidx[a:b]
            d2 = torch.addmm(self.bank_sq_[lo:hi].unsqueeze(0), queries[qi], self.bank_[lo:hi].T, alpha=-2.0)
            best.scatter_reduce_(0, qi, d2.amin(1), reduce="amin")
        return (best + q_sq).clamp_min_(0).sqrt_()
