import numpy as np

from xlm_core.dedup.clusters import connected_components


def test_components_root_at_smallest_index():
    # 0-3-5 chain given in reverse, 1-2, 4 alone, 6-7-8 star on 8
    a = np.array([5, 3, 2, 8, 8])
    b = np.array([3, 0, 1, 6, 7])
    assert connected_components(a, b, 9).tolist() == [0, 1, 1, 0, 4, 0, 6, 6, 6]


def test_long_chain():
    n = 2000
    perm = np.random.default_rng(0).permutation(n)
    roots = connected_components(perm[:-1], perm[1:], n)
    assert (roots == 0).all()
