"""The coupled input-forget gate LSTM (CIFG): one gate decides what to forget and what to write.

With ``hx = [h_{t-1}; x_t]``::

    f  = σ(Wf·hx + bf)
    i  = 1 − f                       no Wi, bi: new content replaces exactly what was forgotten
    C̃  = tanh(WC·hx + bC)
    C  = f⊙C_prev + (1 − f)⊙C̃       a per-unit running average of the candidates
    o  = σ(Wo·hx + bo)
    h  = o⊙tanh(C)

Since 1 − σ(a) = σ(−a), this is the LSTM with ``Wi = −Wf`` and ``bi = −bf``. It has 3/4 of the
LSTM's gate parameters (the GRU makes the same coupling). The functions share their
implementation with the other variants (``lstm_family.py``).
"""

from __future__ import annotations

from lstm_reference.lstm_family import LSTMVariant, VariantCache, bind

CIFG = LSTMVariant("cifg", coupled=True)
PARAM_NAMES = CIFG.param_names

init_cifg_params, cifg_step_forward, cifg_step_backward, cifg_forward, cifg_backward = bind(CIFG)

__all__ = [
    "CIFG",
    "PARAM_NAMES",
    "VariantCache",
    "cifg_backward",
    "cifg_forward",
    "cifg_step_backward",
    "cifg_step_forward",
    "init_cifg_params",
]
