"""Exercise 1: an LSTM from scratch (minimal first version)."""

from __future__ import annotations

from nbformat.notebooknode import NotebookNode

from course.nb import answer, markdown, notebook, setup, test

ASSIGNMENT = "ex1_lstm_from_scratch"


def build() -> NotebookNode:
    return notebook([
        markdown("""
        # Exercise 1 — an LSTM from scratch
        """),
        setup("setup", """
        import warnings

        import numpy as np

        from autograder.checks import ex1 as checks

        warnings.filterwarnings("ignore")
        """),
        answer("sigmoid_answer", """
        def sigmoid(z):
            ### BEGIN SOLUTION
            return 0.5 * (1.0 + np.tanh(0.5 * z))
            ### END SOLUTION
        """),
        test("test_sigmoid", 1, """
        checks.check_sigmoid(sigmoid, seed=0)
        """, """
        checks.check_sigmoid(sigmoid)
        """),
    ])
