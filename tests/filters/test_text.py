import random
import unicodedata

import numpy as np
import pyarrow as pa
import pytest

from xlm_core.filters.text import ALPHA, CHAR_WORD, SPACE, FlatText, class_table, first_seen

from . import reference

ALL = np.arange(0x110000)


@pytest.fixture(scope="module")
def table():
    return class_table(0x110000)


def test_space_is_what_str_split_splits_on(table):
    """Every code point, surrogates included: str.split() separates on it <=> SPACE."""
    splits = np.fromiter((len(("a" + chr(c) + "b").split()) == 2 for c in range(0x110000)), bool, 0x110000)
    assert np.array_equal(splits, (table & SPACE) != 0)
    assert np.flatnonzero(splits).tolist() == [c for c in range(0x110000) if chr(c).isspace()]


def test_alpha_and_char_words_are_pythons(table):
    alpha = np.fromiter((chr(c).isalpha() for c in range(0x110000)), bool, 0x110000)
    assert np.array_equal(alpha, (table & ALPHA) != 0)
    word = np.fromiter((not chr(c).isspace() and unicodedata.category(chr(c))[0] in "LNM"
                        for c in range(0x110000)), bool, 0x110000)
    assert np.array_equal(word, (table & CHAR_WORD) != 0)
    # The batch rules reduce a word's letters over the word and the gap after it: gaps (spaces,
    # or for char-based text anything but a word char) never hold a letter.
    assert not (alpha & ((table & SPACE) != 0)).any() and not (alpha & ~word).any()


TEXTS = ["", "  ", "one", " lead and trail ", "a\u00a0b\u2003c\u3000d\u200be\u0085f\u2028g\x1ch",
         "北京 是\u3000首都。", "\n\nx\n\n\ny \n z\n\n", "\ud800lone\udc80", "😀 emoji 😀😀"]


@pytest.mark.parametrize("char_based", [False, True])
def test_words_equal_the_per_document_definition(char_based):
    flat = FlatText(TEXTS)
    words = flat.words(char_based)
    for d, text in enumerate(TEXTS):
        a, b = words.bounds[d], words.bounds[d + 1]
        got = [flat.buf[4 * s:4 * e].decode("utf-32-le", "surrogatepass")
               for s, e in zip(words.start[a:b].tolist(), words.end[a:b].tolist())]
        assert got == reference.words(text, char_based)


@pytest.mark.parametrize("kind", ["lines", "paragraphs"])
def test_lines_and_paragraphs_equal_the_per_document_definition(kind):
    flat = FlatText(TEXTS)
    seg = getattr(flat, kind)
    for d, text in enumerate(TEXTS):
        idx = np.arange(seg.bounds[d], seg.bounds[d + 1])
        assert flat.strings(seg, idx) == getattr(reference, kind)(text)


def test_first_seen_numbers_like_a_dict_per_document():
    rng = random.Random(0)
    sizes = [rng.choice([0, 1, 3, 50]) for _ in range(40)]
    keys = np.array([rng.randrange(8) for _ in range(sum(sizes))], np.int64)
    bounds = np.concatenate([[0], np.cumsum(sizes)])
    ids, first = first_seen(pa.array(keys), bounds)
    for d in range(len(sizes)):
        seen: dict[int, int] = {}
        want = [seen.setdefault(k, len(seen)) for k in keys[bounds[d]:bounds[d + 1]].tolist()]
        assert ids[bounds[d]:bounds[d + 1]].tolist() == want
    repeated = [k in keys[bounds[d]:i].tolist() for d in range(len(sizes)) for i, k in
                zip(range(bounds[d], bounds[d + 1]), keys[bounds[d]:bounds[d + 1]].tolist())]
    assert (~first).tolist() == repeated


def test_keys_are_exact_string_identity():
    flat = FlatText(["a ab ba a", "ab a 字 字字 😀 😀"])
    tok = flat.tokens
    strings = flat.strings(tok, np.arange(len(tok.start)))
    keys = flat.keys(tok).tolist()
    assert all((keys[i] == keys[j]) == (strings[i] == strings[j])
               for i in range(len(keys)) for j in range(len(keys)))
