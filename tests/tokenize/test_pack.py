import numpy as np
import pytest

from xlm_core.tokenize.pack import pack_spans


def test_whole_documents_are_packed_back_to_back():
    # documents of 3, 2, 2, 4 tokens (each incl. its </s>); 5 tokens fit after <s>
    spans = pack_spans(np.array([0, 3, 5, 7, 11]), seq_len=6)
    assert spans.tolist() == [[0, 5], [5, 7], [7, 11]]


def test_long_document_is_cut_and_its_tail_opens_the_next_sample():
    spans = pack_spans(np.array([0, 2, 14, 15]), seq_len=6)
    assert spans.tolist() == [[0, 2], [2, 7], [7, 12], [12, 15]]


@pytest.mark.parametrize("seq_len", [2, 8, 64, 512])
def test_spans_tile_the_stream_and_fit(seq_len):
    rng = np.random.default_rng(seq_len)
    offsets = np.concatenate([[0], np.cumsum(rng.integers(1, 900, size=500))])
    spans = pack_spans(offsets, seq_len)
    assert spans[0, 0] == 0 and spans[-1, 1] == offsets[-1]
    assert np.all(spans[1:, 0] == spans[:-1, 1])  # contiguous, nothing lost or repeated
    assert np.all(spans[:, 1] - spans[:, 0] <= seq_len - 1) and np.all(spans[:, 1] > spans[:, 0])
    # a sample starts inside a document only when that document could not fit in one sample
    inside = ~np.isin(spans[:, 0], offsets)
    doc = np.searchsorted(offsets, spans[inside, 0], side="right") - 1
    assert np.all(offsets[doc + 1] - offsets[doc] > seq_len - 1)


def test_empty_stream_has_no_samples():
    assert pack_spans(np.array([0]), 512).shape == (0, 2)
