"""The peephole LSTM of Gers & Schmidhuber (2000): the gates look at the cell state.

With ``hx = [h_{t-1}; x_t]`` and diagonal peephole weights ``pf, pi, po`` (H, 1)::

    f  = σ(Wf·hx + bf + pf⊙C_prev)
    i  = σ(Wi·hx + bi + pi⊙C_prev)
    C̃  = tanh(WC·hx + bC)
    C  = f⊙C_prev + i⊙C̃
    o  = σ(Wo·hx + bo + po⊙C)        the output gate sees the new cell state
    h  = o⊙tanh(C)

"Diagonal" means each unit's gate sees only its own cell: ``pf⊙C`` is ``diag(pf)·C``. Parameters
are those of the LSTM plus ``pf, pi, po``, initialised to 0 (so the untrained cell is the plain
LSTM). The functions share their implementation with the other variants (``lstm_family.py``).
"""

from __future__ import annotations

from lstm_reference.lstm_family import LSTMVariant, VariantCache, bind

PEEPHOLE = LSTMVariant("peephole", peephole=True)
PARAM_NAMES = PEEPHOLE.param_names

(
    init_peephole_params,
    peephole_step_forward,
    peephole_step_backward,
    peephole_forward,
    peephole_backward,
) = bind(PEEPHOLE)

__all__ = [
    "PARAM_NAMES",
    "PEEPHOLE",
    "VariantCache",
    "init_peephole_params",
    "peephole_backward",
    "peephole_forward",
    "peephole_step_backward",
    "peephole_step_forward",
]
