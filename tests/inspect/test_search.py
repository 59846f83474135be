"""The bank search (pure core): the inverted-file index against the exact search it replaces."""

from __future__ import annotations

import torch

from yuzhi.inspect.search import BankIndex, exact_distance, kmeans


def _clustered(n: int, d: int, centres: int, seed: int) -> torch.Tensor:
    """Points around ``centres`` random centres (patch features are clustered like this)."""
    g = torch.Generator().manual_seed(seed)
    c = torch.randn(centres, d, generator=g) * 4
    return c[torch.randint(centres, (n,), generator=g)] + torch.randn(n, d, generator=g)


def test_exact_distance_matches_brute_force() -> None:
    bank = _clustered(500, 16, 8, 0)
    q = _clustered(300, 16, 8, 1)
    expected = torch.cdist(q.double(), bank.double()).min(1).values.float()
    got = exact_distance(q, bank, chunk_elems=1000)  # many chunks
    assert torch.allclose(got, expected, atol=1e-3)


def test_index_upper_bounds_exact_and_is_mostly_exact() -> None:
    bank = _clustered(8000, 32, 40, 2)
    q = _clustered(2000, 32, 40, 3)
    exact = exact_distance(q, bank)
    index = BankIndex(n_probe=6).fit(bank)
    assert not index.exact_ and len(index.offsets_) - 1 == round(8000**0.5 / 2)
    approx = index.distance(q)
    # never below the true nearest distance (it is a distance to a real bank row) ...
    assert bool((approx >= exact - 1e-3).all())
    # ... and equal to it for nearly every query on clustered data
    assert float((approx - exact).abs().le(1e-3).float().mean()) > 0.95
    # probing every list is the exact search
    every = BankIndex(n_lists=20, n_probe=1).fit(bank)
    every.n_probe = 20
    assert torch.allclose(every.distance(q), exact, atol=1e-3)


def test_small_bank_and_zero_probes_are_exact() -> None:
    bank = _clustered(1000, 8, 5, 4)
    q = _clustered(100, 8, 5, 5)
    assert BankIndex().fit(bank).exact_  # below exact_below
    big = _clustered(5000, 8, 5, 6)
    index = BankIndex(n_probe=0).fit(big)
    assert index.exact_
    assert torch.equal(index.distance(q), exact_distance(q, big))


def test_kmeans_is_deterministic_and_assigns_to_nearest() -> None:
    x = _clustered(3000, 16, 12, 7)
    c1, a1 = kmeans(x, 12)
    c2, a2 = kmeans(x, 12)
    assert torch.equal(c1, c2) and torch.equal(a1, a2)
    assert torch.equal(a1, torch.cdist(x, c1).argmin(1))
