"""Fixtures shared by the vocab, tokenize and parallel tests."""

from tests.tokenize.helpers import built_vocab, tatoeba_dataset  # noqa: F401
