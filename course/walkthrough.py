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
        from lstm_reference.checkpoint import load_pretrained
        from lstm_reference.data import colah_corpus
        from lstm_reference.model import char_lm_loss, init_char_lm, sample
        from lstm_reference.optim import make_optimizer
        from lstm_reference.plots import (
            cells_figure,
            country_unit,
            default_story,
            gates_figure,
            gradient_flow_figure,
            loss_figure,
            text_activation,
            text_activation_figure,
        )
        from lstm_reference.training import LMRun, language_accuracy, train_char_lm
        from lstm_reference.vocab import Vocab


        def show(fig):
            \"\"\"Display a figure as a PNG and free it.\"\"\"
            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=150)
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
        ## 2. Train: how a character model learns

        The corpus is Colah's running example turned into little stories: each one starts with
        "I grew up in *country*", wanders through a few unrelated sentences, and ends with
        "I speak fluent *language*". Predicting the language needs a memory of the country.
        We train with truncated backpropagation through time: 16 parallel streams, 48-character
        chunks, the state carried from chunk to chunk, gradients clipped to [−5, 5], Adam.
        A few seconds of training show the loop at work — not yet the memory:
        """),
        code("""
        text = colah_corpus(n_stories=300, seed=0)
        vocab = Vocab.from_text(text)
        ids = vocab.encode(text)
        print(text[:200])
        run = LMRun(params=init_char_lm(len(vocab), 64, "lstm", np.random.default_rng(0)),
                    optimizer=make_optimizer("adam", 1e-2), cell="lstm",
                    batch_size=16, seq_length=48)
        start = time.perf_counter()
        train_char_lm(run, ids, steps=60)
        print(f"{run.step} steps in {time.perf_counter() - start:.1f} s; "
              f"loss {run.losses[0]:.2f} -> {np.mean(run.losses[-10:]):.2f} nats/char "
              f"(uniform guessing: {np.log(len(vocab)):.2f})")
        # Expected: the loss falls from about 3.9 to below 2.5 within these 60 steps.
        """),
        markdown("""
        Remembering the country across the filler sentences takes thousands of steps (about ten
        minutes on one core). The course ships a model trained that way — `lstm-train` with the
        command in `docs/library.md` — so from here on we look inside **it**: a character LSTM
        with 64 units, 5280 Adam steps on stories with 0 to 3 filler sentences.
        """),
        code("""
        ckpt = load_pretrained()
        P, vocab = ckpt.params, ckpt.vocab
        fresh = colah_corpus(200, seed=20_261_128, min_fillers=3, max_fillers=3, long_only=True)
        score = language_accuracy(P, vocab, fresh, "lstm")
        print(f"language after 'speak fluent ' with three long filler sentences in between: "
              f"{score['accuracy']:.0%} of {int(score['n'])} fresh stories (chance 10%)")
        held_out = vocab.encode(colah_corpus(20, seed=1))
        loss, _, _ = char_lm_loss(P, held_out[:-1], held_out[1:])
        print(f"held-out loss {loss:.2f} nats/char (uniform guessing: {np.log(len(vocab)):.2f})")
        show(loss_figure({"shipped LSTM": ckpt.losses}, smooth=100))
        # Expected: 98-100 % (chance 10 %), held-out loss about 0.13 nats/char.
        """),
        markdown("""
        Let it write. It has the shape of the stories, the spelling of their words, and —
        the point of the LSTM — the right language for the country it started with:
        """),
        code("""
        seed_text = "I grew up in Japan. "
        out = sample(P, vocab.encode(seed_text), 200, temperature=0.6,
                     rng=np.random.default_rng(1))
        print(seed_text + vocab.decode(out))
        """),
        markdown("""
        ## 3. Look inside: the gates at work

        Each row is a unit, each column a character of one story; colours are gate values
        between 0 (closed, dark) and 1 (open, yellow). Outlined: the country, an aside in
        brackets, a quotation and the language. The labelled row is the unit that remembers
        the country (found as in exercise 2): its **forget gate stays open** (yellow) from the
        country to the end of the story while its **input gate stays shut** (dark) — nothing
        new is written over what it holds. Most other units open and close every few
        characters.
        """),
        code("""
        story = default_story()
        country = country_unit(P, vocab)
        print("the country unit: {}[{}], correlation ratio η = {:.2f}".format(*country))
        show(gates_figure(P, vocab, story, n_units=12, country=country))
        """),
        markdown("""
        ## 4. The conveyor belt: the cell state

        The same story, now the cell state `C` itself. The thick red line is the country unit:
        it climbs while the country's name is read, then holds one level through the aside and
        the quotation — the belt carrying the country — and lets go once the language is
        near. The thin lines are the units that best follow quotes and brackets on this story
        (weak trackers in this small model: |r| about 0.4 over many stories) and two fast ones.
        """),
        code("""
        show(cells_figure(P, vocab, story, n_units=4, country=country))
        """),
        markdown("""
        Karpathy et al. (2015) showed single units by colouring the text with their value.
        The country unit over four stories: dark red while the country is held; it fades
        around "I speak fluent", when the country has done its job. (`lstm-plots text` writes
        this as PNG and HTML for any unit.)
        """),
        code("""
        stories = colah_corpus(4, seed=5, min_fillers=1, max_fillers=2)
        state, unit, eta = country
        values = text_activation(P, vocab, stories, state, unit)
        show(text_activation_figure(stories, values, f"tanh {state}[{unit}] over four stories"))
        """),
        markdown("""
        ## 5. Why the cell state matters: gradient flow

        How much does the input `k` steps before the end move the last output? For a plain RNN
        the gradient shrinks by a roughly constant factor per step; the LSTM's travels along
        the cell state, where the direct path is scaled only by the forget gates (σ(1) ≈ 0.73
        at initialisation, and much closer to 1 where the trained network wants to remember).
        Near the end the RNN's is *larger*: the plot explains the crossover.
        """),
        code("""
        show(gradient_flow_figure(("lstm", "rnn"), T=100, hidden=32))
        # Expected: the RNN ends near 1e-7, the LSTM near 1e-2, crossing about 18 steps back.
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
