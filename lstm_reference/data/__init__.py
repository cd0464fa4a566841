"""Data that ships with the code: the built-in corpus and synthetic long-range tasks."""

from lstm_reference.data.corpus import (
    PAIRS,
    char_signals,
    colah_corpus,
    language_positions,
)
from lstm_reference.data.tasks import (
    TASKS,
    adding_problem,
    embedded_reber_stream,
    first_symbol,
    temporal_order,
)

__all__ = [
    "PAIRS",
    "TASKS",
    "adding_problem",
    "char_signals",
    "colah_corpus",
    "embedded_reber_stream",
    "first_symbol",
    "language_positions",
    "temporal_order",
]
