"""The LSTM ablations of Greff et al. (2015), "LSTM: A Search Space Odyssey".

Each removes one part of the LSTM of ``lstm.py`` (``hx = [h_{t-1}; x_t]``):

========  ==========================  =====================================================
name      removed                     what changes
========  ==========================  =====================================================
``nfg``   no forget gate              f ≡ 1: ``C = C_prev + i⊙C̃`` (the 1997 LSTM); no Wf, bf
``nig``   no input gate               i ≡ 1: ``C = f⊙C_prev + C̃``; no Wi, bi
``nog``   no output gate              o ≡ 1: ``h = tanh(C)``; no Wo, bo
``niaf``  no input activation         ``C̃ = WC·hx + bC`` (linear)
``noaf``  no output activation        ``h = o⊙C``
========  ==========================  =====================================================

Greff et al. found that removing the forget gate or the output activation hurts most, and that
the others cost little. Parameters are those of the LSTM minus the removed gate's ``W*``/``b*``.

All five are :class:`~lstm_reference.lstm_family.LSTMVariant` flags on one shared implementation.
Use :data:`ABLATIONS` (name → bound functions), e.g.::

    nfg = ABLATIONS["nfg"]
    p = nfg.init(D, H, rng)
    hs, (h_T, C_T), cache = nfg.forward(X, h0, C0, p)
    dX, (dh0, dC0), grads = nfg.backward(dhs, cache)
"""

from __future__ import annotations

from lstm_reference.lstm_family import LSTMVariant, VariantFunctions, bind

VARIANTS: dict[str, LSTMVariant] = {
    v.name: v
    for v in (
        LSTMVariant("nfg", forget_gate=False),
        LSTMVariant("nig", input_gate=False),
        LSTMVariant("nog", output_gate=False),
        LSTMVariant("niaf", input_activation=False),
        LSTMVariant("noaf", output_activation=False),
    )
}

ABLATIONS: dict[str, VariantFunctions] = {name: bind(v) for name, v in VARIANTS.items()}
