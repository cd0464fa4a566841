"""Exercise 1: an LSTM from scratch — one step, backpropagation, a whole sequence, a tiny model.

The student writes every piece in NumPy (column layout, features × batch) and finishes by
memorising a short string. Checks live in :mod:`autograder.checks.ex1`.
"""

from __future__ import annotations

from nbformat.notebooknode import NotebookNode

from course.nb import answer, code, markdown, notebook, setup, test

ASSIGNMENT = "ex1_lstm_from_scratch"


def build() -> NotebookNode:
    return notebook([
        markdown("""
        # Exercise 1 — an LSTM from scratch

        You will build a Long Short-Term Memory network with nothing but NumPy: one time step
        forward and backward, the same for a whole sequence, a numerical check of your gradients,
        and finally a tiny character model that learns a short string by heart.

        **Conventions used everywhere in this course**

        | thing | shape | note |
        |---|---|---|
        | input `x` | `(D, B)` | D features, B sequences side by side (a column per sequence) |
        | hidden state `h`, cell state `C` | `(H, B)` | |
        | gate weights `Wf, Wi, WC, Wo` | `(H, H + D)` | they read `[h_prev; x]`, **hidden first** |
        | gate biases `bf, bi, bC, bo` | `(H, 1)` | broadcast over the batch |
        | a sequence `X` | `(T, D, B)` | hidden states of a sequence: `(T, H, B)` |

        Parameters travel as a plain dict: `p = {"Wf": ..., "bf": ..., ...}`. `B = 1` is just a
        batch of one column, never a special case. Run the cells from top to bottom; each test
        cell tells you what is wrong if it fails. Some tests are hidden: they run the same checks
        on random shapes (including `B > 1`, `H = 1` and `T = 1`) when your work is graded.

        **One step of the cell, with every shape** (`σ` is the sigmoid, `⊙` elementwise):

        ```
        hx = [h_prev; x]            (H + D, B)   the evidence every gate reads, hidden first
        f  = σ(Wf·hx + bf)          (H, B)       forget gate   Wf (H, H + D), bf (H, 1)
        i  = σ(Wi·hx + bi)          (H, B)       input gate
        C̃  = tanh(WC·hx + bC)       (H, B)       candidate
        C  = f ⊙ C_prev + i ⊙ C̃      (H, B)       the conveyor belt: only elementwise ⊙ and +
        o  = σ(Wo·hx + bo)          (H, B)       output gate
        h  = o ⊙ tanh(C)            (H, B)       what the next step and the next layer see

                  C_prev (H,B) ──⊙ f──⊕ i⊙C̃──────────────────────► C (H,B)
                                                       │
                                                     tanh
                                                       │
        [h_prev; x] (H+D,B) ─► f, i, C̃, o (H,B)  o ──► ⊙ ─────────► h (H,B)
        ```

        *Time:* about 2–3 hours. The last section trains for a few seconds.
        """),
        setup("setup", """
        import os

        # The matrices here are small: one BLAS thread is faster than two fighting for a core.
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

        import time
        import warnings

        import numpy as np

        from autograder.checks import ex1 as checks

        warnings.filterwarnings("ignore")
        np.set_printoptions(precision=4, suppress=True)
        """),
        markdown("""
        ## 1. The idea in one picture

        A plain recurrent network squeezes everything it knows into `h` and rewrites `h`
        completely at every step, by a matrix multiply and a squashing function. Information from
        thirty steps ago has been multiplied by that matrix thirty times: it fades away (or blows
        up), and so does the gradient that should teach the network to use it.

        The LSTM adds a second state, the **cell state** `C`. Think of it as a conveyor belt
        running along the sequence. At each step the network may do only two things to it:

        * **forget**: multiply each slot of the belt by a number between 0 and 1 (the *forget
          gate* `f`): 1 keeps it, 0 wipes it;
        * **write**: add new content `C̃` (values between −1 and 1), scaled by the *input gate*
          `i`, which decides how much of the proposal is accepted.

        Then an *output gate* `o` decides which parts of the (squashed) belt become visible as
        the new hidden state `h`. Every gate is a sigmoid layer that looks at the previous hidden
        state and the current input, so the network *learns* when to keep, write and show:

        ```
        f  = σ(Wf·[h_prev; x] + bf)        forget gate
        i  = σ(Wi·[h_prev; x] + bi)        input gate
        C̃  = tanh(WC·[h_prev; x] + bC)     candidate content
        C  = f ⊙ C_prev + i ⊙ C̃            update the belt
        o  = σ(Wo·[h_prev; x] + bo)        output gate
        h  = o ⊙ tanh(C)                   what the next layer (and the next step) sees
        ```

        Because `C` changes by an elementwise multiply and an addition, the gradient that flows
        back along the belt is just multiplied by `f` at each step: when the network wants to
        remember, `f ≈ 1` and the gradient survives many steps.

        ## 2. The sigmoid

        Every gate is squashed by `σ(z) = 1 / (1 + e^(−z))`. Written literally, `e^(−z)` is `inf`
        for `z = −800` and NumPy warns; a form such as `e^z / (1 + e^z)` even gives `inf / inf =
        NaN`. Write a version that is exact and finite for every `z` (hint: `σ(z) = ½·(1 +
        tanh(z/2))`, or treat `z ≥ 0` and `z < 0` separately). Only the values count: a NumPy
        warning never costs a point, a NaN does.
        """),
        answer("sigmoid_answer", """
        def sigmoid(z):
            \"\"\"Elementwise logistic function of an array z of any shape.

            Returns an array of z's shape, exact and finite also for z = ±800.
            \"\"\"
            ### BEGIN SOLUTION
            return 0.5 * (1.0 + np.tanh(0.5 * z))
            ### END SOLUTION
        """),
        test("test_sigmoid", 1, """
        checks.check_sigmoid(sigmoid, seed=0)
        """, """
        checks.check_sigmoid(sigmoid)
        """),
        markdown("""
        ## 3. One step forward

        Implement `lstm_step_forward(x, h_prev, C_prev, p)` returning `h, C, cache`: the six
        equations above for a whole batch at once. The `cache` is yours: put in it whatever the
        backward pass will need (the stacked input, the gates, `C_prev`, `tanh(C)`, the
        parameters).

        Things that will bite you:

        * **gate ordering** — four lines that look alike. Use `Wf`/`bf` for `f`, `Wi`/`bi` for
          `i`, and so on; a swapped pair still runs but learns badly.
        * **`[h_prev; x]`, hidden first** — `np.concatenate([h_prev, x], axis=0)` has shape
          `(H + D, B)`. The other order has the same shape, so only the numbers tell.
        * **the candidate uses `tanh`**, the three gates use `σ`.
        * **don't change the inputs in place** (`C_prev *= f` would silently corrupt the
          caller's array); build new arrays.
        """),
        answer("lstm_step_forward_answer", """
        def lstm_step_forward(x, h_prev, C_prev, p):
            \"\"\"One LSTM step.

            x (D, B), h_prev (H, B), C_prev (H, B), p: dict of gate weights (H, H + D) and
            biases (H, 1). Returns h (H, B), C (H, B) and a cache for lstm_step_backward.
            Rule: do not change x, h_prev, C_prev or p in place (the caller still needs them);
            build new arrays. Changing arrays you created yourself is fine.
            \"\"\"
            ### BEGIN SOLUTION
            hx = np.concatenate([h_prev, x], axis=0)
            f = sigmoid(p["Wf"] @ hx + p["bf"])
            i = sigmoid(p["Wi"] @ hx + p["bi"])
            C_tilde = np.tanh(p["WC"] @ hx + p["bC"])
            C = f * C_prev + i * C_tilde
            o = sigmoid(p["Wo"] @ hx + p["bo"])
            tanh_C = np.tanh(C)
            h = o * tanh_C
            cache = {"hx": hx, "C_prev": C_prev, "f": f, "i": i, "C_tilde": C_tilde, "o": o,
                     "tanh_C": tanh_C, "p": p}
            return h, C, cache
            ### END SOLUTION
        """),
        test("test_lstm_step_forward", 3, """
        checks.check_lstm_step_forward(lstm_step_forward, seed=0)
        """, """
        checks.check_lstm_step_forward(lstm_step_forward)
        checks.check_lstm_step_forward(lstm_step_forward)
        """),
        markdown("""
        ## 4. One step backward

        `lstm_step_backward(dh, dC_next, cache)` receives two gradients: `dh`, the loss gradient
        with respect to this step's `h` (from the output layer *and* from the next step), and
        `dC_next`, the gradient arriving at this step's `C` along the belt from the next step.
        It returns `dx, dh_prev, dC_prev, grads`, where `grads` has the keys
        `Wf, Wi, WC, Wo, bf, bi, bC, bo` with the parameters' shapes.

        Work backwards through the equations (⊙ is elementwise):

        1. `do = dh ⊙ tanh(C)`.
        2. `C` is reached by **two paths**: through `h`, and directly from the next step. Add them:
           `dC = dh ⊙ o ⊙ (1 − tanh²(C)) + dC_next`.
        3. From `C = f ⊙ C_prev + i ⊙ C̃`: `df = dC ⊙ C_prev`, `di = dC ⊙ C̃`, `dC̃ = dC ⊙ i`,
           and `dC_prev = dC ⊙ f` — the belt: no matrix, no squashing, just the forget gate.
        4. Through the non-linearities, with `σ' = σ(1 − σ)` and `tanh' = 1 − tanh²`:
           `dz_f = df ⊙ f(1 − f)`, `dz_i = di ⊙ i(1 − i)`, `dz_C = dC̃ ⊙ (1 − C̃²)`,
           `dz_o = do ⊙ o(1 − o)`.
        5. Each gate was `z_g = W_g·[h_prev; x] + b_g`, so `dW_g = dz_g·[h_prev; x]ᵀ`,
           `db_g = Σ_batch dz_g` (keep the `(H, 1)` shape), and
           `d[h_prev; x] = Σ_g W_gᵀ·dz_g`: its first H rows are `dh_prev`, the rest `dx`.
        """),
        answer("lstm_step_backward_answer", """
        def lstm_step_backward(dh, dC_next, cache):
            \"\"\"Backward through one step.

            dh (H, B), dC_next (H, B), cache from lstm_step_forward.
            Returns dx (D, B), dh_prev (H, B), dC_prev (H, B) and grads (dict, parameter shapes).
            You may change dh and dC_next in place; the forward inputs kept in the cache
            (x, h_prev, C_prev, p) must stay unchanged.
            \"\"\"
            ### BEGIN SOLUTION
            c = cache
            p, hx = c["p"], c["hx"]
            H = c["C_prev"].shape[0]
            do = dh * c["tanh_C"]
            dC = dh * c["o"] * (1.0 - c["tanh_C"] ** 2) + dC_next
            dz = {
                "f": dC * c["C_prev"] * c["f"] * (1.0 - c["f"]),
                "i": dC * c["C_tilde"] * c["i"] * (1.0 - c["i"]),
                "C": dC * c["i"] * (1.0 - c["C_tilde"] ** 2),
                "o": do * c["o"] * (1.0 - c["o"]),
            }
            grads = {}
            dhx = np.zeros_like(hx)
            for g in ("f", "i", "C", "o"):
                grads["W" + g] = dz[g] @ hx.T
                grads["b" + g] = dz[g].sum(axis=1, keepdims=True)
                dhx += p["W" + g].T @ dz[g]
            dC_prev = dC * c["f"]
            return dhx[H:], dhx[:H], dC_prev, grads
            ### END SOLUTION
        """),
        test("test_lstm_step_backward", 4, """
        checks.check_lstm_step_backward((lstm_step_forward, lstm_step_backward), seed=0)
        """, """
        checks.check_lstm_step_backward((lstm_step_forward, lstm_step_backward))
        checks.check_lstm_step_backward((lstm_step_forward, lstm_step_backward))
        """),
        markdown("""
        ## 5. Check your gradients yourself

        A test can only tell you *that* a gradient is wrong; a numerical gradient lets you find
        out for any function, which is how every backward pass should be debugged. Write
        `numerical_gradient(f, x, eps=1e-5)`: `f()` takes no arguments and reads the array `x`
        (which you change in place, one entry at a time). For every index, evaluate `f` at
        `x + eps` and `x − eps` in that entry, use the **central difference**
        `(f₊ − f₋) / (2·eps)`, and put the original value back. Loop with `np.ndindex(x.shape)`.
        """),
        answer("numerical_gradient_answer", """
        def numerical_gradient(f, x, eps=1e-5):
            \"\"\"Central-difference gradient of the scalar f() with respect to the array x.

            x is perturbed in place and restored; the result has x's shape.
            \"\"\"
            ### BEGIN SOLUTION
            grad = np.zeros_like(x, dtype=np.float64)
            for idx in np.ndindex(x.shape):
                old = x[idx]
                x[idx] = old + eps
                f_plus = f()
                x[idx] = old - eps
                f_minus = f()
                x[idx] = old
                grad[idx] = (f_plus - f_minus) / (2.0 * eps)
            return grad
            ### END SOLUTION
        """),
        test("test_numerical_gradient", 2, """
        checks.check_numerical_gradient(numerical_gradient, seed=0)
        """, """
        checks.check_numerical_gradient(numerical_gradient)
        """),
        markdown("""
        Now use it on your step. The loss below is `Σ R1 ⊙ h + Σ R2 ⊙ C` for fixed random
        `R1, R2`, so `dh = R1` and `dC_next = R2`. Every relative error should be below `1e-7`;
        if one is not, the name tells you where to look.
        """),
        code("""
        def rel_error(a, b):
            return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


        rng = np.random.default_rng(1)
        D, H, B = 3, 4, 2
        p_check = {}
        for g in ("f", "i", "C", "o"):
            p_check["W" + g] = rng.normal(0.0, 0.5, (H, H + D))
            p_check["b" + g] = rng.normal(0.0, 0.5, (H, 1))
        x = rng.normal(size=(D, B))
        h_prev, C_prev = rng.normal(size=(H, B)), rng.normal(size=(H, B))
        R1, R2 = rng.normal(size=(H, B)), rng.normal(size=(H, B))


        def step_loss():
            h, C, _ = lstm_step_forward(x, h_prev, C_prev, p_check)
            return float(np.sum(R1 * h) + np.sum(R2 * C))


        _, _, cache = lstm_step_forward(x, h_prev, C_prev, p_check)
        dx, dh_prev, dC_prev, grads = lstm_step_backward(R1, R2, cache)
        for name, analytic, array in [("dx", dx, x), ("dh_prev", dh_prev, h_prev),
                                      ("dC_prev", dC_prev, C_prev)] + [
                                     ("d" + k, grads[k], p_check[k]) for k in p_check]:
            numeric = numerical_gradient(step_loss, array)
            print(f"{name:8s} relative error {rel_error(analytic, numeric):.2e}")
        """),
        markdown("""
        ## 6. A whole sequence

        `lstm_forward(X, h0, C0, p)` runs your step over `X` of shape `(T, D, B)` and returns
        `hs` of shape `(T, H, B)` (the hidden state after each step, `h_1 … h_T`), the final
        state `(h_T, C_T)` and a cache (e.g. the list of step caches).

        **The classic bug: forgetting the cell state.** Both `h` *and* `C` must be handed from
        one step to the next. A loop that starts every step from `C0` (or zeros) still runs and
        still produces numbers of the right shape — it just has no long-term memory.
        """),
        answer("lstm_forward_answer", """
        def lstm_forward(X, h0, C0, p):
            \"\"\"X (T, D, B), h0 and C0 (H, B) -> hs (T, H, B), (h_T, C_T), cache.

            hs[t] is the hidden state after step t; the cache is whatever lstm_backward needs
            (e.g. the list of step caches). Rule: do not change X, h0, C0 or p in place.
            \"\"\"
            ### BEGIN SOLUTION
            h, C = h0, C0
            hs, caches = [], []
            for t in range(X.shape[0]):
                h, C, step_cache = lstm_step_forward(X[t], h, C, p)
                hs.append(h)
                caches.append(step_cache)
            return np.stack(hs), (h, C), caches
            ### END SOLUTION
        """),
        test("test_lstm_forward", 3, """
        checks.check_lstm_forward(lstm_forward, seed=0)
        """, """
        checks.check_lstm_forward(lstm_forward)
        checks.check_lstm_forward(lstm_forward)
        """),
        markdown("""
        `lstm_backward(dhs, cache, dh_T=None, dC_T=None)` is backpropagation through time: walk
        the steps in reverse. At step `t` the gradient reaching `h_t` is `dhs[t]` (from the
        output) **plus** the `dh_prev` that step `t + 1` sent back; the gradient reaching `C_t`
        is the `dC_prev` of step `t + 1`. `dh_T`, `dC_T` (when given) are gradients arriving at
        the final state from a later chunk of the sequence: start the walk with them (with zeros
        when they are `None`). Parameter gradients are **summed** over the steps. Return
        `dX (T, D, B)`, `(dh0, dC0)` and `grads`.
        """),
        answer("lstm_backward_answer", """
        def lstm_backward(dhs, cache, dh_T=None, dC_T=None):
            \"\"\"dhs (T, H, B) -> dX (T, D, B), (dh0 (H, B), dC0 (H, B)), grads.

            dh_T, dC_T (H, B) or None: gradients arriving at the final state. grads holds the
            eight parameter gradients summed over the steps. You may change dhs, dh_T and dC_T
            in place (e.g. `dhs[t - 1] += dh_prev`).
            \"\"\"
            ### BEGIN SOLUTION
            T = dhs.shape[0]
            dh_next = np.zeros_like(dhs[0]) if dh_T is None else dh_T
            dC_next = np.zeros_like(dhs[0]) if dC_T is None else dC_T
            grads, dxs = {}, [None] * T
            for t in range(T - 1, -1, -1):
                dx, dh_next, dC_next, step_grads = lstm_step_backward(
                    dhs[t] + dh_next, dC_next, cache[t])
                dxs[t] = dx
                for k, v in step_grads.items():
                    grads[k] = grads[k] + v if k in grads else v
            return np.stack(dxs), (dh_next, dC_next), grads
            ### END SOLUTION
        """),
        test("test_lstm_backward", 4, """
        checks.check_lstm_backward((lstm_forward, lstm_backward), seed=0)
        """, """
        checks.check_lstm_backward((lstm_forward, lstm_backward))
        checks.check_lstm_backward((lstm_forward, lstm_backward))
        """),
        markdown("""
        The same numerical check for the whole sequence (loss `Σ R ⊙ hs`):
        """),
        code("""
        T = 4
        X_check = rng.normal(size=(T, D, B))
        h0_check, C0_check = rng.normal(size=(H, B)), rng.normal(size=(H, B))
        R = rng.normal(size=(T, H, B))


        def seq_loss():
            hs, _, _ = lstm_forward(X_check, h0_check, C0_check, p_check)
            return float(np.sum(R * hs))


        _, _, cache = lstm_forward(X_check, h0_check, C0_check, p_check)
        dX, (dh0, dC0), grads = lstm_backward(R, cache)
        for name, analytic, array in [("dX", dX, X_check), ("dh0", dh0, h0_check),
                                      ("dC0", dC0, C0_check)] + [
                                     ("d" + k, grads[k], p_check[k]) for k in p_check]:
            numeric = numerical_gradient(seq_loss, array)
            print(f"{name:8s} relative error {rel_error(analytic, numeric):.2e}")
        """),
        markdown("""
        ## 7. A character model

        To train something we need an output layer and a loss. At every step the model reads
        one character (a one-hot column of size V, the vocabulary), and scores the next
        character: `logits_t = Wy·h_t + by` with `Wy (V, H)`, `by (V, 1)`. The loss is the mean
        cross-entropy of the softmax of the logits against the true next character.

        **Numerical stability**: `exp(1000)` is `inf`. Softmax does not change when you subtract
        the same number from every logit of a column, so subtract the column's maximum first.
        The gradient of the mean cross-entropy with respect to the logits is
        `(softmax(logits) − onehot(target)) / N`.
        """),
        answer("softmax_answer", """
        def softmax_cross_entropy(logits, targets):
            \"\"\"logits (V, N), targets int (N,) -> (mean loss: float, dlogits (V, N)).

            Finite for any logits (here some are near 1000). You may change logits in place.
            \"\"\"
            ### BEGIN SOLUTION
            z = logits - logits.max(axis=0, keepdims=True)
            probs = np.exp(z)
            probs /= probs.sum(axis=0, keepdims=True)
            N = targets.shape[0]
            cols = np.arange(N)
            loss = float(-np.mean(np.log(probs[targets, cols])))
            dlogits = probs.copy()
            dlogits[targets, cols] -= 1.0
            return loss, dlogits / N
            ### END SOLUTION
        """),
        test("test_softmax_cross_entropy", 2, """
        checks.check_softmax_cross_entropy(softmax_cross_entropy, seed=0)
        """, """
        checks.check_softmax_cross_entropy(softmax_cross_entropy)
        """),
        markdown("""
        **Gradients can still explode.** The belt protects against *vanishing* gradients, but
        the products through `h` can still grow. Clip every entry of every gradient to
        `[−max_value, max_value]` before each update and return the clipped dict.
        """),
        answer("clip_answer", """
        def clip_gradients(grads, max_value=5.0):
            \"\"\"Clip every entry of every array in the dict grads to [-max_value, max_value].

            Returns a dict with the same keys (a new dict, or grads itself clipped in place).
            \"\"\"
            ### BEGIN SOLUTION
            return {k: np.clip(v, -max_value, max_value) for k, v in grads.items()}
            ### END SOLUTION
        """),
        test("test_clip_gradients", 1, """
        checks.check_clip_gradients(clip_gradients, seed=0)
        """, """
        checks.check_clip_gradients(clip_gradients)
        """),
        markdown("""
        Put it together: `char_loss(p, inputs, targets, h0, C0)` with integer arrays `inputs`
        and `targets` of shape `(T, B)` (character ids). One-hot the inputs to `(T, V, B)`
        (`V = p["Wy"].shape[0]`), run `lstm_forward`, compute the logits of every step, the
        mean loss over all `T·B` predictions, and backpropagate: `dWy`, `dby`, then
        `dhs[t] = Wyᵀ·dlogits_t` into `lstm_backward`. Return `loss, grads, (h_T, C_T)` where
        `grads` has all twelve keys.
        """),
        answer("char_loss_answer", """
        def char_loss(p, inputs, targets, h0, C0):
            \"\"\"inputs, targets int (T, B) -> (mean loss, grads of all 12 parameters, (h_T, C_T)).

            p holds Wf, Wi, WC, Wo (H, H + V), bf, bi, bC, bo (H, 1), Wy (V, H), by (V, 1);
            h0, C0 (H, B). grads has the same keys and shapes as p. Rule: do not change p,
            inputs, targets, h0 or C0 in place.
            \"\"\"
            ### BEGIN SOLUTION
            T, B = inputs.shape
            V = p["Wy"].shape[0]
            X = np.zeros((T, V, B))
            X[np.arange(T)[:, None], inputs, np.arange(B)[None, :]] = 1.0
            hs, final, cache = lstm_forward(X, h0, C0, p)
            logits = np.einsum("vh,thb->tvb", p["Wy"], hs) + p["by"]
            flat = logits.transpose(1, 0, 2).reshape(V, T * B)
            loss, dflat = softmax_cross_entropy(flat, targets.reshape(T * B))
            dlogits = dflat.reshape(V, T, B).transpose(1, 0, 2)
            dhs = np.einsum("vh,tvb->thb", p["Wy"], dlogits)
            _, _, grads = lstm_backward(dhs, cache)
            grads["Wy"] = np.einsum("tvb,thb->vh", dlogits, hs)
            grads["by"] = dlogits.sum(axis=(0, 2))[:, None]
            return loss, grads, final
            ### END SOLUTION
        """),
        test("test_char_loss", 3, """
        checks.check_char_loss(char_loss, seed=0)
        """, """
        checks.check_char_loss(char_loss)
        """),
        markdown("""
        ## 8. Learn a string by heart

        The last step: train the model until it can recite `TEXT` (predict each next character
        from the ones before it). Adam is given below. Write `train_memorise`:

        * vocabulary `chars = sorted(set(text))`, ids of shape `(len(text), 1)`; inputs are all
          ids but the last, targets all but the first;
        * initial parameters: Xavier-scaled weights `N(0, 1)·√(2 / (rows + cols))`, **forget
          bias 1** (remember by default until told otherwise), other biases 0, plus `Wy`, `by`;
        * each step: `char_loss` from a zero state → `clip_gradients(grads, 5.0)` →
          `adam_update`.

        With `H = 32`, 150 steps are enough; the whole cell should take a second or two.
        The test runs *your trained parameters* through the reference implementation.
        """),
        code("""
        TEXT = checks.MEMORISE_TEXT


        def adam_update(p, grads, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
            \"\"\"One Adam step, in place on p; state is a dict kept between calls.\"\"\"
            state["t"] = state.get("t", 0) + 1
            for k in p:
                m = state.setdefault("m" + k, np.zeros_like(p[k]))
                v = state.setdefault("v" + k, np.zeros_like(p[k]))
                m *= beta1
                m += (1 - beta1) * grads[k]
                v *= beta2
                v += (1 - beta2) * grads[k] ** 2
                m_hat = m / (1 - beta1 ** state["t"])
                v_hat = v / (1 - beta2 ** state["t"])
                p[k] -= lr * m_hat / (np.sqrt(v_hat) + eps)
        """),
        answer("train_answer", """
        def train_memorise(text, hidden_size=32, steps=150, lr=0.02, seed=0):
            \"\"\"Train a char LSTM on text; return (params, list of losses).

            params: the dict of char_loss (V = len(set(text)) characters, H = hidden_size);
            the losses: one float per step.
            \"\"\"
            ### BEGIN SOLUTION
            rng = np.random.default_rng(seed)
            chars = sorted(set(text))
            ids = np.array([chars.index(ch) for ch in text])[:, None]
            inputs, targets = ids[:-1], ids[1:]
            V, H = len(chars), hidden_size
            p = {}
            for g in ("f", "i", "C", "o"):
                p["W" + g] = rng.standard_normal((H, H + V)) * np.sqrt(2.0 / (2 * H + V))
                p["b" + g] = np.full((H, 1), 1.0 if g == "f" else 0.0)
            p["Wy"] = rng.standard_normal((V, H)) * np.sqrt(2.0 / (V + H))
            p["by"] = np.zeros((V, 1))
            zero = np.zeros((H, 1))
            state, losses = {}, []
            for _ in range(steps):
                loss, grads, _ = char_loss(p, inputs, targets, zero, zero)
                adam_update(p, clip_gradients(grads, 5.0), state, lr)
                losses.append(loss)
            return p, losses
            ### END SOLUTION


        start = time.perf_counter()
        trained_params, losses = train_memorise(TEXT)
        print(f"loss {losses[0]:.3f} -> {losses[-1]:.4f} in {time.perf_counter() - start:.1f} s")
        # Expected output: the loss starts near ln(number of characters) ≈ 2.5 and ends below
        # 0.005 within a few seconds (8 of 8 seeds, benchmarks/claims.py ex1). Stuck above 1?
        # Check the forget bias and the sign of the update.
        """),
        code("""
        # Let the trained model recite: feed the first character, then its own predictions.
        chars = sorted(set(TEXT))
        h = C = np.zeros((trained_params["bf"].shape[0], 1))
        ch, out = TEXT[0], TEXT[0]
        for _ in range(len(TEXT) - 1):
            x = np.zeros((len(chars), 1))
            x[chars.index(ch)] = 1.0
            h, C, _ = lstm_step_forward(x, h, C, trained_params)
            ch = chars[int(np.argmax(trained_params["Wy"] @ h + trained_params["by"]))]
            out += ch
        print(repr(out))
        # Expected output: TEXT itself, character for character.
        """),
        test("test_memorised", 3, """
        checks.check_memorised(trained_params, seed=0)
        """),
        markdown("""
        ## What to take away

        * The cell state is the whole trick: an additive path along which the gradient is
          scaled only by the forget gate (the *direct* path; the gates themselves depend on
          `h_prev` and add other paths), so information (and blame) can travel many steps.
        * The gates are ordinary sigmoid layers; what they do is learned, not designed.
        * Always check a new backward pass numerically before trusting a training curve.
        """),
    ])
