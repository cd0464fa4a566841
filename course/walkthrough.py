"""The walkthrough notebook ``docs/walkthrough.ipynb``: build, train and look inside an LSTM.

Not graded. ``python -m course.walkthrough`` writes it (executed, so it can be read on the web
with its figures); ``tests/test_walkthrough.py`` checks its cells match :func:`build` and runs it.
"""

from __future__ import annotations

import sys

import nbformat
from nbformat.notebooknode import NotebookNode

from course.build import ROOT, fix_cell_ids
from course.nb import code, markdown, notebook

PATH = ROOT / "docs" / "walkthrough.ipynb"


def build() -> NotebookNode:
    return fix_cell_ids(notebook([
        markdown("""
        # LSTM Lab walkthrough: build, train, look inside

        A guided tour of the reference library `lstm_reference` (pure NumPy). Nothing here is
        graded; the exercises ask you to write these pieces yourself. Everything uses the
        course's conventions: column layout (features × batch), gates reading `[h_prev; x]`,
        parameters in a plain dict.
        """),
        code("""
        import os

        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

        import io
        import time

        import matplotlib.pyplot as plt
        import numpy as np
        from IPython.display import Image, display

        from lstm_reference import lstm
        from lstm_reference.data import colah_corpus
        from lstm_reference.model import char_lm_loss, init_char_lm, sample
        from lstm_reference.optim import make_optimizer
        from lstm_reference.plots import gates_figure, gradient_flow_figure, loss_figure
        from lstm_reference.training import LMRun, train_char_lm
        from lstm_reference.vocab import Vocab


        def show(fig):
            \"\"\"Display a figure as a PNG and free it.\"\"\"
            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=72)
            plt.close(fig)
            display(Image(data=buf.getvalue(), format="png"))
        """),
        markdown("""
        ## 1. Build: one step of an LSTM

        Four gate matrices of shape `(H, H + D)`, four biases `(H, 1)`; the forget bias starts
        at 1 so the cell remembers by default. One step maps `(x, h_prev, C_prev)` to `(h, C)`
        for a whole batch of columns at once.
        """),
        code("""
        rng = np.random.default_rng(0)
        D, H, B = 5, 3, 4
        p = lstm.init_lstm_params(D, H, rng)
        print({k: v.shape for k, v in p.items()})
        x = rng.normal(size=(D, B))
        h, C = np.zeros((H, B)), np.zeros((H, B))
        for _ in range(3):  # carry BOTH states from step to step
            h, C, _ = lstm.lstm_step_forward(x, h, C, p)
        print("h after 3 steps:\\n", np.round(h, 3))
        """),
        markdown("""
        ## 2. Train: a character model on the built-in corpus

        The corpus is Colah's running example turned into little stories: each one starts with
        "I grew up in *country*", wanders through a few unrelated sentences, and ends with
        "I speak fluent *language*". Predicting the language needs a memory of the country.
        We train with truncated backpropagation through time: 16 parallel streams, 48-character
        chunks, the state carried from chunk to chunk, gradients clipped to [−5, 5], Adam.
        """),
        code("""
        text = colah_corpus(n_stories=300, seed=0)
        vocab = Vocab.from_text(text)
        ids = vocab.encode(text)
        print(text[:300])
        run = LMRun(params=init_char_lm(len(vocab), 64, "lstm", np.random.default_rng(0)),
                    optimizer=make_optimizer("adam", 1e-2), cell="lstm",
                    batch_size=16, seq_length=48)
        start = time.perf_counter()
        train_char_lm(run, ids, steps=150)
        print(f"{run.step} steps in {time.perf_counter() - start:.1f} s; "
              f"loss {run.losses[0]:.2f} -> {np.mean(run.losses[-20:]):.2f} nats/char")
        held_out = vocab.encode("".join(c for c in colah_corpus(20, seed=1) if c in vocab.chars))
        loss, _, _ = char_lm_loss(run.params, held_out[:-1], held_out[1:])
        print(f"held-out loss {loss:.2f} nats/char (uniform guessing: {np.log(len(vocab)):.2f})")
        show(loss_figure({"lstm": run.losses}))
        """),
        markdown("""
        Let it write. After a few seconds of training it has picked up frequent words,
        spaces and the shape of the stories; spelling every word right, and matching the
        language to the country, takes longer training (see `lstm-train --help`).
        """),
        code("""
        seed_text = "I grew up in "
        out = sample(run.params, vocab.encode(seed_text), 200, temperature=0.6,
                     rng=np.random.default_rng(1))
        print(seed_text + vocab.decode(out))
        """),
        markdown("""
        ## 3. Look inside: the gates at work

        Each row is a unit, each column a character of one story; colours are gate values
        between 0 (closed) and 1 (open). Look for units whose forget gate drops at a full stop
        or a space, and input gates that open at the start of a word.
        """),
        code("""
        story = colah_corpus(1, seed=7)[:120]
        show(gates_figure(run.params, vocab, story, n_units=12))
        """),
        markdown("""
        ## 4. Why the cell state matters: gradient flow

        How much of a learning signal at the last step reaches a step `k` steps earlier? For a
        plain RNN the gradient shrinks by a roughly constant factor per step; along the LSTM's
        cell state it is multiplied only by the forget gates, which start near 1.
        """),
        code("""
        show(gradient_flow_figure(("lstm", "rnn"), T=60, hidden=32))
        """),
        markdown("""
        ## Where next

        * `docs/paper_notes.md` — the ideas of Colah's post, gate by gate.
        * `docs/CHEATSHEET.md` — hyper-parameters and a debugging checklist.
        * `assignments/` — the five exercises, from an LSTM written from scratch to a GRU race.
        """),
    ]), "walkthrough")


def main() -> int:
    """Build and execute the walkthrough, then write it to docs/."""
    from nbclient import NotebookClient

    nb = build()
    NotebookClient(nb, timeout=300, kernel_name="python3", shutdown_kernel="immediate",
                   resources={"metadata": {"path": str(ROOT)}}).execute()
    for cell in nb.cells:  # keep the file stable across runs: no timing metadata
        cell.get("metadata", {}).pop("execution", None)
    PATH.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, PATH)
    print(PATH.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
