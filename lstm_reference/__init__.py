"""LSTM Lab's NumPy reference: the math every exercise is graded against.

Modules, from the cell up (see docs/library.md and docs/cells.md):

* ``lstm``, ``rnn``, ``gru``, ``peephole``, ``cifg``, ``ablations``, ``bidirectional``: cells,
  each a ``*_step_forward`` / ``*_step_backward`` pair and a fast ``*_forward`` /
  ``*_backward`` sequence pair; ``cells`` registers them by name (``get_cell("lstm")``);
* ``model`` (character LM, sequence classifier), ``optim``, ``checkpoint``, ``training``;
* ``data`` (the built-in corpus and the long-range tasks), ``analysis``, ``plots``;
* ``gradcheck`` (numerical gradients), ``bugs`` (known-bug variants used to explain failures).

Arrays are column-oriented (features × batch) and parameters are plain ``dict``s of arrays.
"""

from lstm_reference.cells import CELLS, get_cell, zero_state
from lstm_reference.gru import gru_backward, gru_forward, gru_step_backward, gru_step_forward
from lstm_reference.lstm import (
    init_lstm_params,
    lstm_backward,
    lstm_forward,
    lstm_step_backward,
    lstm_step_forward,
)
from lstm_reference.rnn import rnn_backward, rnn_forward, rnn_step_backward, rnn_step_forward

__all__ = [
    "CELLS",
    "get_cell",
    "gru_backward",
    "gru_forward",
    "gru_step_backward",
    "gru_step_forward",
    "init_lstm_params",
    "lstm_backward",
    "lstm_forward",
    "lstm_step_backward",
    "lstm_step_forward",
    "rnn_backward",
    "rnn_forward",
    "rnn_step_backward",
    "rnn_step_forward",
    "zero_state",
]
