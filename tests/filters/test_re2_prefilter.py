import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from xlm_core.filters.lines import BOILERPLATE
from xlm_core.filters.re2_prefilter import _all_code_points, _literals, case_variants, re2_superset

from .helpers import wet_docs


def test_case_variants_are_every_code_point_re_matches():
    """Exhaustive: for each literal of BOILERPLATE, scan all code points with that literal alone."""
    literals: set[int] = set()
    from re import _parser

    _literals(_parser.parse(BOILERPLATE.pattern, BOILERPLATE.flags), literals)
    variants = case_variants(literals)
    everything = _all_code_points()
    for c in literals:
        found = {ord(m.group()) for m in re.finditer(re.escape(chr(c)), everything, re.IGNORECASE)}
        assert variants[c] == found, chr(c)
    assert variants[ord("k")] == {ord("k"), ord("K"), 0x212A}  # Kelvin sign
    assert variants[ord("s")] == {ord("s"), ord("S"), 0x17F}  # long s


def test_superset_on_real_lines():
    lines = [ln for d in wet_docs() for ln in d.text.split("\n")]
    lines += ["ſubscribe", "cooKie", "İstanbul sign ın", "all rights\u00a0reserved", "©", "版权所有"]
    hit = pc.match_substring_regex(pa.array(lines), re2_superset(BOILERPLATE)).to_numpy(zero_copy_only=False)
    exact = np.array([BOILERPLATE.search(ln) is not None for ln in lines])
    assert not (exact & ~hit).any()  # never misses a match
    assert exact.sum() > 100 and hit.sum() < 2 * exact.sum()  # and lets little else through


@pytest.mark.parametrize("pattern", [r"a(?=b)c|\d+x", r"(?i)foo", r"(a)\1", r"x{2000}", r"[^a]b.c"])
def test_other_constructs_widen_or_give_up(pattern):
    rx = re.compile(pattern)
    got = re2_superset(rx)
    if got is None:
        return
    probes = ["abc", "12x", "foo", "FOO", "aa", "x" * 2000, "zbyc", "b c"]
    hit = pc.match_substring_regex(pa.array(probes), got).to_numpy(zero_copy_only=False)
    assert all(h for p, h in zip(probes, hit) if rx.search(p))
