"""docs/walkthrough.ipynb is what course/walkthrough.py builds, and it runs cleanly."""

from __future__ import annotations

import copy

import nbformat
import pytest
from course_harness import ROOT
from nbclient import NotebookClient

from course.walkthrough import PATH, build


def test_committed_walkthrough_matches_its_source():
    committed = nbformat.read(PATH, as_version=4)
    built = build()
    assert [(c.cell_type, c.source) for c in committed.cells] == \
        [(c.cell_type, c.source) for c in built.cells], \
        "docs/walkthrough.ipynb is out of date: run `python -m course.walkthrough`"
    images = [o for c in committed.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if "image/png" in o.get("data", {})]
    assert len(images) == 5, "commit the walkthrough executed (readers see its figures)"


@pytest.mark.slow
def test_walkthrough_executes_without_errors():
    nb = copy.deepcopy(build())
    NotebookClient(nb, timeout=180, kernel_name="python3", shutdown_kernel="immediate",
                   resources={"metadata": {"path": str(ROOT)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) == 5, "loss curve, gates, cell state, coloured text and gradient flow"
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    held_out = float(text.split("held-out loss ")[1].split()[0])
    assert held_out < 1.2, f"the shipped model's held-out loss is {held_out}"
    accuracy = float(text.split("in between: ")[1].split("%")[0])
    assert accuracy >= 90, f"the shipped model names the language in only {accuracy}% of stories"
    first = text.split("60 steps in ")[1]
    assert float(first.split("-> ")[1].split()[0]) < 2.5, "the demo training did not learn"
