"""An RE2 pattern that matches every string a Python `re` pattern matches (and possibly more),
for pyarrow.compute's regex kernels: RE2 scans many strings in C++ in linear time, and only its
hits need Python's `re` for the exact answer. Python's backtracking engine costs ~0.5 us per
character on an alternation of case-insensitive phrases; most lines never come close to one.

The translation widens, never narrows: assertions (\\b, lookarounds) are dropped, character
sets and backreferences become "any character", and a literal under re.IGNORECASE becomes the
class of every code point Python's `re` matches it with (found by asking `re` itself)."""

from __future__ import annotations

import functools
import re

import numpy as np

try:  # the stdlib's own parser (private, stable since 3.11); without it: no prefilter
    from re import _constants as C
    from re import _parser
except ImportError:  # pragma: no cover
    _parser = None


class _Unsupported(Exception):
    pass


def _literals(items, out: set[int]) -> None:
    for op, av in items:
        if op is C.LITERAL:
            out.add(av)
        elif op is C.BRANCH:
            for alt in av[1]:
                _literals(alt, out)
        elif op is C.SUBPATTERN:
            _literals(av[3], out)
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
            _literals(av[2], out)
        elif op is C.ATOMIC_GROUP:
            _literals(av, out)


@functools.cache
def _all_code_points() -> str:
    cps = np.arange(0x110000, dtype=np.uint32)
    return cps[(cps < 0xD800) | (cps > 0xDFFF)].tobytes().decode("utf-32-le")  # RE2 sees UTF-8: no surrogates


def case_variants(literals: set[int]) -> dict[int, set[int]]:
    """Code points `re` matches each literal with under re.IGNORECASE. One scan of all code
    points with the union class finds the candidates, then each literal tests them."""
    if not literals:
        return {}
    union = "[" + "".join(re.escape(chr(c)) for c in sorted(literals)) + "]"
    found = {m.group() for m in re.finditer(union, _all_code_points(), re.IGNORECASE)}
    return {c: {ord(x) for x in found if re.fullmatch(re.escape(chr(c)), x, re.IGNORECASE)} | {c}
            for c in literals}


def _char(c: int) -> str:
    return re.escape(chr(c)) if chr(c).isalnum() and c < 128 else f"\\x{{{c:X}}}"


def _emit(items, variants: dict[int, set[int]] | None) -> str:
    out = []
    for op, av in items:
        if op is C.LITERAL:
            if variants is None or len(variants[av]) == 1:
                out.append(_char(av))
            else:
                out.append("[" + "".join(_char(x) for x in sorted(variants[av])) + "]")
        elif op in (C.NOT_LITERAL, C.ANY, C.IN):
            out.append(".")
        elif op in (C.AT, C.ASSERT, C.ASSERT_NOT):
            continue
        elif op is C.BRANCH:
            out.append("(?:" + "|".join(_emit(alt, variants) for alt in av[1]) + ")")
        elif op is C.SUBPATTERN:
            if (av[1] | av[2]) & re.IGNORECASE:
                raise _Unsupported("inline IGNORECASE flag")
            out.append("(?:" + _emit(av[3], variants) + ")")
        elif op is C.ATOMIC_GROUP:
            out.append("(?:" + _emit(av, variants) + ")")
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
            lo, hi, sub = av
            inner = "(?:" + _emit(sub, variants) + ")"
            if hi == C.MAXREPEAT or hi > 1000:
                out.append(inner + ("*" if lo > 1000 else f"{{{lo},}}"))
            else:
                out.append(inner + f"{{{lo},{hi}}}")
        elif op is C.GROUPREF:
            out.append(".*")
        else:
            raise _Unsupported(str(op))
    return "".join(out)


def re2_superset(pattern: re.Pattern) -> str | None:
    """RE2 syntax matching a superset of `pattern` (searched anywhere in a string), or None if
    the pattern uses a construct this does not translate (then no prefilter)."""
    if _parser is None:
        return None
    try:
        tree = _parser.parse(pattern.pattern, pattern.flags)
        variants = None
        if pattern.flags & re.IGNORECASE:
            literals: set[int] = set()
            _literals(tree, literals)
            variants = case_variants(literals)
        return "(?s)" + _emit(tree, variants)
    except _Unsupported:
        return None
