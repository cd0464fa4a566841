"""Exercise 5: the GRU — implement it, count its parameters, and race it against the LSTM.

Checks live in :mod:`autograder.checks.ex5`.
"""

from __future__ import annotations

from nbformat.notebooknode import NotebookNode

from course.nb import answer, code, markdown, notebook, setup, test, written_answer

ASSIGNMENT = "ex5_gru"

RUBRIC = {
    "choice_discussion": """
- 1 point: reads the race correctly: the GRU is ahead on characters after 40 steps and both
  solve temporal order at T = 20; says this is a short-budget result, not a final ranking
  (Chung et al. 2014, Jozefowicz et al. 2015: no clear winner).
- 1 point: a justified choice for a concrete kind of task (e.g. GRU for a tight parameter or
  time budget, LSTM for long memory or counting, a Transformer when the whole sequence is
  available and data is plentiful), with one reason drawn from the course.
""",
}



def build() -> NotebookNode:
    return notebook([
        markdown("""
        # Exercise 5 — the GRU, and how it compares with the LSTM

        The gated recurrent unit (Cho et al. 2014, in the form of Chung et al. 2014 that Colah's
        post draws) keeps the LSTM's key trick — an update that *interpolates* between the old
        state and a proposal, so gradients can pass through untouched — with less machinery:

        * no separate cell state: `h` is the memory;
        * one **update gate** `z` plays both the forget gate (`1 − z`) and the input gate (`z`):
          whatever is written in pushes out the same amount of the old content;
        * a **reset gate** `r` decides how much of the old state the proposal may look at.

        ```
        z  = σ(Wz·[h_prev; x] + bz)            update gate
        r  = σ(Wr·[h_prev; x] + br)            reset gate
        h̃  = tanh(Wh·[r ⊙ h_prev; x] + bh)     candidate, built from the *reset* old state
        h  = (1 − z) ⊙ h_prev + z ⊙ h̃           keep (1 − z), write z
        ```

        Shapes as always: `x (D, B)`, `h (H, B)`, `Wz, Wr, Wh (H, H + D)` reading
        `[h_prev; x]` (hidden first), biases `(H, 1)`. Beware: Cho et al. and PyTorch write
        `h = z ⊙ h_prev + (1 − z) ⊙ h̃` — the same model with `z` flipped. Use the form above.

        *Time:* about 1.5 hours; the race takes a few seconds.
        """),
        setup("setup", """
        import os

        # The matrices here are small: one BLAS thread is faster than two fighting for a core.
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

        import time
        import warnings
        from types import SimpleNamespace

        import numpy as np

        from autograder.checks import ex5 as checks
        from lstm_reference.gru import init_gru_params
        from lstm_reference.gradcheck import numerical_gradient, rel_error
        from lstm_reference.lstm import init_lstm_params
        from lstm_reference.model import char_lm_loss, init_char_lm, sequence_forward
        from lstm_reference.optim import make_optimizer
        from lstm_reference.training import LMRun, train_char_lm, train_classifier

        warnings.filterwarnings("ignore")


        def sigmoid(z):
            return 0.5 * (1.0 + np.tanh(0.5 * z))
        """),
        markdown("""
        ## 1. One step forward

        Return `h` and a cache of your choice. Things that will bite you: the reset gate
        multiplies `h_prev` **before** the matmul (only the hidden rows of the candidate's
        input are reset, never `x`), and it is `(1 − z)` that keeps the old state.
        """),
        answer("gru_step_forward_answer", """
        def gru_step_forward(x, h_prev, p):
            \"\"\"One GRU step: x (D, B), h_prev (H, B), p -> h (H, B), cache.

            p: Wz, Wr, Wh (H, H + D) reading [h_prev; x], bz, br, bh (H, 1). Rule: do not
            change x, h_prev or p in place; build new arrays.
            \"\"\"
            ### BEGIN SOLUTION
            hx = np.concatenate([h_prev, x], axis=0)
            z = sigmoid(p["Wz"] @ hx + p["bz"])
            r = sigmoid(p["Wr"] @ hx + p["br"])
            rhx = np.concatenate([r * h_prev, x], axis=0)
            h_tilde = np.tanh(p["Wh"] @ rhx + p["bh"])
            h = (1.0 - z) * h_prev + z * h_tilde
            cache = {"hx": hx, "rhx": rhx, "z": z, "r": r, "h_tilde": h_tilde, "p": p}
            return h, cache
            ### END SOLUTION
        """),
        test("test_gru_step_forward", 3, """
        checks.check_gru_step_forward(gru_step_forward, seed=0)
        """, """
        checks.check_gru_step_forward(gru_step_forward)
        checks.check_gru_step_forward(gru_step_forward)
        """),
        markdown("""
        ## 2. One step backward

        `gru_step_backward(dh, cache)` gets the total gradient at this step's `h` and returns
        `dx, dh_prev, grads` (keys `Wz, Wr, Wh, bz, br, bh`). With `a_h, a_z, a_r` the three
        pre-activations:

        * `da_h = dh ⊙ z ⊙ (1 − h̃²)`, and `dWh = da_h·[r ⊙ h_prev; x]ᵀ`;
        * `da_z = dh ⊙ (h̃ − h_prev) ⊙ z(1 − z)`;
        * `g = Whᵀ·da_h` splits into a hidden part `g[:H]` and an input part `g[H:]`; the reset
          gate only acts on the hidden part: `da_r = g[:H] ⊙ h_prev ⊙ r(1 − r)`;
        * `h_prev` reaches `h` four ways: the direct path `dh ⊙ (1 − z)`, through the candidate
          `g[:H] ⊙ r`, and through the gates (first H rows of `Wzᵀ·da_z + Wrᵀ·da_r`);
        * `dx` collects the input rows: `g[H:]` plus the last D rows of `Wzᵀ·da_z + Wrᵀ·da_r`.
        """),
        answer("gru_step_backward_answer", """
        def gru_step_backward(dh, cache):
            \"\"\"dh (H, B) -> dx (D, B), dh_prev (H, B), grads (dict, parameter shapes).

            You may change dh in place; the forward inputs kept in the cache must stay unchanged.
            \"\"\"
            ### BEGIN SOLUTION
            c = cache
            p, H = c["p"], c["z"].shape[0]
            h_prev = c["hx"][:H]
            z, r, h_tilde = c["z"], c["r"], c["h_tilde"]
            da_h = dh * z * (1.0 - h_tilde**2)
            da_z = dh * (h_tilde - h_prev) * z * (1.0 - z)
            g = p["Wh"].T @ da_h
            da_r = g[:H] * h_prev * r * (1.0 - r)
            grads = {
                "Wz": da_z @ c["hx"].T, "Wr": da_r @ c["hx"].T, "Wh": da_h @ c["rhx"].T,
                "bz": da_z.sum(axis=1, keepdims=True), "br": da_r.sum(axis=1, keepdims=True),
                "bh": da_h.sum(axis=1, keepdims=True),
            }
            gates = p["Wz"].T @ da_z + p["Wr"].T @ da_r
            dh_prev = dh * (1.0 - z) + g[:H] * r + gates[:H]
            dx = g[H:] + gates[H:]
            return dx, dh_prev, grads
            ### END SOLUTION
        """),
        test("test_gru_step_backward", 4, """
        checks.check_gru_step_backward((gru_step_forward, gru_step_backward), seed=0)
        """, """
        checks.check_gru_step_backward((gru_step_forward, gru_step_backward))
        checks.check_gru_step_backward((gru_step_forward, gru_step_backward))
        """),
        markdown("""
        ## 3. Whole sequences

        As in exercise 1: `gru_forward(X, h0, p)` returns `hs (T, H, B)`, `h_T` and a cache;
        `gru_backward(dhs, cache, dh_T=None)` walks back through the steps, adding the `dh_prev`
        of step `t + 1` to `dhs[t]`, and returns `dX (T, D, B)`, `dh0` and the summed `grads`.
        """),
        answer("gru_sequence_answer", """
        def gru_forward(X, h0, p):
            \"\"\"X (T, D, B), h0 (H, B) -> hs (T, H, B), h_T (H, B), cache.

            Rule: do not change X, h0 or p in place.
            \"\"\"
            ### BEGIN SOLUTION
            h, hs, caches = h0, [], []
            for t in range(X.shape[0]):
                h, step_cache = gru_step_forward(X[t], h, p)
                hs.append(h)
                caches.append(step_cache)
            return np.stack(hs), h, caches
            ### END SOLUTION


        def gru_backward(dhs, cache, dh_T=None):
            \"\"\"dhs (T, H, B) -> dX (T, D, B), dh0 (H, B), grads.

            dh_T (H, B) or None: the gradient arriving at the final state. grads: the six
            parameter gradients summed over the steps. You may change dhs and dh_T in place.
            \"\"\"
            ### BEGIN SOLUTION
            dh = np.zeros_like(dhs[0]) if dh_T is None else dh_T
            grads, dxs = {}, [None] * len(cache)
            for t in range(len(cache) - 1, -1, -1):
                dxs[t], dh, step_grads = gru_step_backward(dhs[t] + dh, cache[t])
                for k, v in step_grads.items():
                    grads[k] = grads[k] + v if k in grads else v
            return np.stack(dxs), dh, grads
            ### END SOLUTION
        """),
        test("test_gru_forward", 2, """
        checks.check_gru_forward(gru_forward, seed=0)
        """, """
        checks.check_gru_forward(gru_forward)
        """),
        test("test_gru_backward", 3, """
        checks.check_gru_backward((gru_forward, gru_backward), seed=0)
        """, """
        checks.check_gru_backward((gru_forward, gru_backward))
        checks.check_gru_backward((gru_forward, gru_backward))
        """),
        markdown("""
        Check your gradients numerically (loss `Σ R ⊙ hs`; `numerical_gradient` and `rel_error`
        come from the course library and work like the ones you wrote in exercise 1). Every
        error should be below `1e-7`.
        """),
        code("""
        rng = np.random.default_rng(3)
        T, D, H, B = 4, 3, 5, 2
        p_check = init_gru_params(D, H, rng)
        for k in ("bz", "br", "bh"):
            p_check[k] = rng.normal(0.0, 0.5, (H, 1))
        X_check, h0_check = rng.normal(size=(T, D, B)), rng.normal(size=(H, B))
        R = rng.normal(size=(T, H, B))


        def seq_loss():
            return float(np.sum(R * gru_forward(X_check, h0_check, p_check)[0]))


        dX, dh0, grads = gru_backward(R, gru_forward(X_check, h0_check, p_check)[2])
        checked = [("dX", dX, X_check), ("dh0", dh0, h0_check)]
        checked += [("d" + k, grads[k], p_check[k]) for k in p_check]
        for name, analytic, array in checked:
            numeric = numerical_gradient(seq_loss, array)
            print(f"{name:5s} relative error {rel_error(analytic, numeric):.1e}")
        """),
        markdown("""
        ## 4. Fewer parameters

        Write `count_params(p)`: how many numbers a parameter dict holds. Then compare a GRU
        and an LSTM cell of the same size: the LSTM has four `(H, H + D)` blocks, the GRU three,
        so the ratio is exactly 3/4 for the cells (the output layer is the same for both).
        """),
        answer("count_answer", """
        def count_params(p):
            \"\"\"Total number of entries of all arrays in the dict p (an int).\"\"\"
            ### BEGIN SOLUTION
            return int(sum(v.size for v in p.values()))
            ### END SOLUTION
        """),
        test("test_count_params", 1, """
        checks.check_count_params(count_params, seed=0)
        """, """
        checks.check_count_params(count_params)
        """),
        code("""
        D, H = 52, 48
        n_gru = count_params(init_gru_params(D, H, np.random.default_rng(0)))
        n_lstm = count_params(init_lstm_params(D, H, np.random.default_rng(0)))
        print(f"GRU {n_gru} vs LSTM {n_lstm} parameters: ratio {n_gru / n_lstm:.3f}")
        """),
        markdown("""
        ## 5. The race: same budget, two tasks

        Your GRU can be plugged into the course's training loops: a *cell* is anything with a
        `name`, `state_names`, `init`, and a `forward`/`backward` pair working on whole
        sequences with a tuple of states (the wrapper below adapts yours). Then train your GRU
        and the reference LSTM with **exactly the same budget** (hidden size, steps, learning
        rate, seed) on two problems:

        * **characters**: the built-in corpus of little stories ("I grew up in France … I speak
          fluent French"), next-character prediction with truncated backpropagation
          (`train_char_lm`);
        * **long range**: the temporal-order task of Hochreiter & Schmidhuber at `T = 20`, a
          4-class label decided by two symbols far from the end (`train_classifier`).

        Write `train_and_evaluate(cell)`; it returns a dict with the trained `lm_params` and
        `task_params`, the char model's mean loss on `checks.eval_text()`
        (`char_lm_loss`, from a zero state), the classifier's accuracy on `checks.eval_task()`
        (`sequence_forward` gives the logits `(4, B)`), and the training time in `seconds`.
        The grader re-evaluates your parameters itself — on these held-out sets and on fresh
        ones — so report what you measured.

        **`BUDGET` fixes every choice of the race**: hidden size, learning rate, seed, the
        optimizer, the char model's batch size and sequence length, the classifier's batch, and
        the steps of each task. Use all of them, for both cells; the grader's thresholds for the
        trained GRU (a char loss below `checks.LM_MAX_LOSS` nats on fresh stories, an accuracy
        of at least `checks.TASK_MIN_ACCURACY` on fresh temporal-order sequences) hold for a
        correct GRU trained with this budget, not with another optimizer or fewer steps.

        The calls you need (already imported; the signatures are those of the course library):

        * `init_char_lm(V, H, cell, rng)` → the cell's parameters plus `Wy (V, H)`, `by (V, 1)`;
        * `make_optimizer(name, lr)` → an optimizer (`"sgd"`, `"adagrad"`, `"adam"`); its
          `.step(p, grads)` updates `p` in place;
        * `LMRun(params, optimizer, cell, batch_size, seq_length)` holds a training run;
          `train_char_lm(run, ids, steps)` does `steps` truncated-BPTT steps on the ids `(N,)`
          (`batch_size` parallel streams, chunks of `seq_length` characters, gradients clipped
          to ±5) and updates `run` in place: `run.params`, `run.step`, `run.losses`;
        * `train_classifier(task, cell, T, steps, hidden, lr, seed, batch, optimizer)` →
          `(params, history)`: a fresh batch of `task` sequences every step;
        * `char_lm_loss(p, inputs, targets, None, cell)` → `(loss, grads, final_state)` from a
          zero state, `inputs` and `targets` int `(N,)`;
        * `sequence_forward(p, X, None, cell)` → `(logits (K, B), cache)`.
        """),
        code("""
        my_gru = SimpleNamespace(
            name="gru (yours)",
            state_names=("h",),
            init=lambda D, H, rng, dtype=np.float64: init_gru_params(D, H, rng, dtype),
            forward=lambda X, state, p: (lambda hs, h_T, cache: (hs, (h_T,), cache))(
                *gru_forward(X, state[0], p)),
            backward=lambda dhs, cache, dfinal=None: (lambda dX, dh0, grads: (dX, (dh0,), grads))(
                *gru_backward(dhs, cache, None if dfinal is None else dfinal[0])),
        )

        TEXT = checks.training_text()
        VOCAB = checks.corpus_vocab()
        TRAIN_IDS = VOCAB.encode(TEXT)
        BUDGET = {"hidden": 32, "lr": 3e-2, "seed": 0, "optimizer": "adam",
                  "batch_size": 16, "seq_length": 32, "lm_steps": 40,
                  "task_batch": 32, "task_steps": 120}
        print(f"{len(TEXT)} characters, vocabulary of {len(VOCAB)}; budget {BUDGET}")
        """),
        answer("race_answer", """
        def train_and_evaluate(cell, budget=BUDGET):
            \"\"\"Train a char model and a temporal-order classifier with `cell`; evaluate them.

            cell: "lstm" or a cell object such as my_gru; budget: every training choice.
            Returns {"lm_params", "task_params", "lm_loss", "task_accuracy", "seconds"}:
            the two parameter dicts, the char loss on checks.eval_text() (float), the accuracy
            on checks.eval_task() (float in [0, 1]) and the training time in seconds.
            \"\"\"
            ### BEGIN SOLUTION
            start = time.perf_counter()
            rng = np.random.default_rng(budget["seed"])
            run = LMRun(params=init_char_lm(len(VOCAB), budget["hidden"], cell, rng),
                        optimizer=make_optimizer(budget["optimizer"], budget["lr"]), cell=cell,
                        batch_size=budget["batch_size"], seq_length=budget["seq_length"])
            train_char_lm(run, TRAIN_IDS, steps=budget["lm_steps"])
            task_params, _ = train_classifier(checks.TASK, cell, T=checks.TASK_T,
                                              steps=budget["task_steps"], hidden=budget["hidden"],
                                              lr=budget["lr"], seed=budget["seed"],
                                              batch=budget["task_batch"],
                                              optimizer=budget["optimizer"])
            seconds = time.perf_counter() - start
            eval_ids = VOCAB.encode(checks.eval_text())
            lm_loss, _, _ = char_lm_loss(run.params, eval_ids[:-1], eval_ids[1:], None, cell)
            X, y = checks.eval_task()
            logits, _ = sequence_forward(task_params, X, None, cell)
            accuracy = float(np.mean(np.argmax(logits, axis=0) == y))
            return {"lm_params": run.params, "task_params": task_params, "lm_loss": lm_loss,
                    "task_accuracy": accuracy, "seconds": seconds}
            ### END SOLUTION


        results = {"gru": train_and_evaluate(my_gru), "lstm": train_and_evaluate("lstm")}
        print("| model | parameters (char model) | char loss (nats) | task accuracy | seconds |")
        print("|---|---|---|---|---|")
        for name, r in results.items():
            print(f"| {name} | {count_params(r['lm_params'])} | {r['lm_loss']:.3f} | "
                  f"{r['task_accuracy']:.1%} | {r['seconds']:.1f} |")
        """),
        test("test_results_table", 2, """
        checks.check_results_table(results, seed=0)
        """),
        test("test_trained_gru", 4, """
        checks.check_trained_gru(results, seed=0)
        """, """
        checks.check_trained_gru(results)
        """),
        markdown("""
        ## What to take away

        Expected output of the race (the reference GRU and LSTM on 8 of 8 seeds,
        `benchmarks/claims.py ex5`): the GRU's char loss is **lower** than the LSTM's, by
        0.3–0.7 nats (both below 2.6); both are far above chance on temporal order at
        `T = 20` (GRU 100 % on every seed, LSTM 77–100 %).

        * **Read the table for what it measures: 40 steps.** Early in training the GRU is ahead
          on characters on every seed. It has 3/4 of the parameters to fit, and each unit's
          update `h = (1 − z)⊙h_prev + z⊙h̃` starts half-open (`z ≈ 0.5`), so new input
          reaches the state at once; the LSTM starts with its forget gates at σ(1) ≈ 0.73,
          keeping old content, and must also learn its output gate. A head start is not a
          final result: over long training Chung et al. (2014) found the GRU comparable to the
          LSTM on music and speech, and Jozefowicz et al. (2015), across thousands of
          architectures, found no clear winner: the GRU beat the plain LSTM on most of their
          tasks, and a forget-gate bias of 1 closed most of that gap. (Greff et al. 2015
          compared LSTM variants, not the GRU; their CIFG variant, which couples the gates
          like the GRU, did as well as the LSTM.)
        * **This long-range task does not separate them.** At `T = 20` both cells find the two
          relevant symbols; exercise 4 showed where the real gap is — between gated cells and
          the vanilla RNN, at long distances.
        * The time column compares *implementations* as much as architectures: your loop over
          steps against the reference's fused matmuls. Per step, a GRU does 3/4 of the LSTM's
          matrix work.
        * What both share is the additive, gated update of the state. That, not the exact
          gate arrangement, is what lets information and gradients travel far.

        Which cell would you pick for a new sequence task, and why? See the "when to use"
        table in `docs/paper_notes.md`.
        """),
        written_answer("choice_discussion", """
        *Your answer (a few sentences; graded by hand):* YOUR ANSWER HERE
        """, 2),
    ])
