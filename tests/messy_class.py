"""A messy class of student forks for the fixture course (``fx1``: sigmoid and one LSTM step,
with hidden tests; ``fx2``: sigmoid).

Honest students write their own code (three different implementations); two students hand
in near-copies of each other; one hands in the reference library's LSTM step with renamed
variables; the others break things: symbolic links (to /etc/passwd and to another student's
folder), a named pipe, a 200 MB output, broken JSON, an empty notebook, text that is not
valid Unicode, file names that are not UTF-8, duplicated and edited test cells, a cell that
never ends.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import nbformat
from autograder_helpers import release_nb

SIGMOID = {
    "logistic": "def sigmoid(z):\n    return 1.0 / (1.0 + np.exp(-z))\n",
    "stable": (
        "def sigmoid(z):\n"
        "    out = np.empty_like(z, dtype=float)\n"
        "    pos = z >= 0\n"
        "    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))\n"
        "    ez = np.exp(z[~pos])\n"
        "    out[~pos] = ez / (1.0 + ez)\n"
        "    return out\n"),
    "logaddexp": "def sigmoid(z):\n    return np.exp(-np.logaddexp(0.0, -z))\n",
    "reciprocal": "def sigmoid(z):\n    return np.reciprocal(1.0 + np.exp(-z))\n",
}

STEP = {
    # a dict of gates, built in a loop
    "loop": (
        "def lstm_step_forward(x, h_prev, C_prev, p):\n"
        "    z = np.vstack((h_prev, x))\n"
        "    gates = {}\n"
        "    for name in ('f', 'i', 'o'):\n"
        "        gates[name] = sigmoid(np.dot(p['W' + name], z) + p['b' + name])\n"
        "    candidate = np.tanh(np.dot(p['WC'], z) + p['bC'])\n"
        "    cell = gates['f'] * C_prev + gates['i'] * candidate\n"
        "    return gates['o'] * np.tanh(cell), cell, (z, gates, candidate)\n"),
    # one fused matrix, sliced
    "fused": (
        "def lstm_step_forward(x, h_prev, C_prev, p):\n"
        "    H = h_prev.shape[0]\n"
        "    W = np.concatenate([p['Wf'], p['Wi'], p['WC'], p['Wo']], axis=0)\n"
        "    b = np.concatenate([p['bf'], p['bi'], p['bC'], p['bo']], axis=0)\n"
        "    a = W @ np.concatenate([h_prev, x]) + b\n"
        "    c_next = sigmoid(a[:H]) * C_prev + sigmoid(a[H:2 * H]) * np.tanh(a[2 * H:3 * H])\n"
        "    h_next = sigmoid(a[3 * H:]) * np.tanh(c_next)\n"
        "    return h_next, c_next, {'a': a}\n"),
    # a helper per gate
    "helper": (
        "def lstm_step_forward(x, h_prev, C_prev, p):\n"
        "    stacked = np.r_[h_prev, x]\n"
        "\n"
        "    def gate(key, act):\n"
        "        return act(p['W' + key].dot(stacked) + p['b' + key])\n"
        "\n"
        "    ct = gate('f', sigmoid) * C_prev + gate('i', sigmoid) * gate('C', np.tanh)\n"
        "    return gate('o', sigmoid) * np.tanh(ct), ct, None\n"),
    # einsum and a generator
    "einsum": (
        "def lstm_step_forward(x, h_prev, C_prev, p):\n"
        "    v = np.concatenate((h_prev, x))\n"
        "    pre = {g: np.einsum('ij,jk->ik', p['W' + g], v) + p['b' + g] for g in 'fiCo'}\n"
        "    keep, write, show = (1 / (1 + np.exp(-pre[g])) for g in 'fio')\n"
        "    c = keep * C_prev + write * np.tanh(pre['C'])\n"
        "    return show * np.tanh(c), c, pre\n"),
    # never returns
    "forever": (
        "def lstm_step_forward(x, h_prev, C_prev, p):\n"
        "    while True:\n"
        "        pass\n"),
    # the student whose work two others share
    "shared": (
        "def lstm_step_forward(x, h_prev, C_prev, p):\n"
        "    inputs = np.append(h_prev, x, axis=0)\n"
        "    results = []\n"
        "    for w, b, fn in [(p['Wf'], p['bf'], sigmoid), (p['Wi'], p['bi'], sigmoid),\n"
        "                     (p['WC'], p['bC'], np.tanh), (p['Wo'], p['bo'], sigmoid)]:\n"
        "        results.append(fn(np.matmul(w, inputs) + b))\n"
        "    forget, update, proposal, expose = results\n"
        "    memory = np.multiply(forget, C_prev) + np.multiply(update, proposal)\n"
        "    return np.multiply(expose, np.tanh(memory)), memory, tuple(results)\n"),
}

#: ``shared`` with every name changed, comments and blank lines added
NEAR_COPY = (
    "def lstm_step_forward(x, h_prev, C_prev, p):\n"
    "    # stack the previous hidden state on top of the input </pre><script>alert(1)</script>\n"
    "    stacked_in = np.append(h_prev, x, axis=0)\n"
    "\n"
    "    outs = []\n"
    "    for mat, bias, act in [(p['Wf'], p['bf'], sigmoid), (p['Wi'], p['bi'], sigmoid),\n"
    "                           (p['WC'], p['bC'], np.tanh), (p['Wo'], p['bo'], sigmoid)]:\n"
    "        outs.append(act(np.matmul(mat, stacked_in) + bias))  # one gate\n"
    "    fg, ig, cand, og = outs\n"
    "\n"
    "    new_cell = np.multiply(fg, C_prev) + np.multiply(ig, cand)\n"
    "    return np.multiply(og, np.tanh(new_cell)), new_cell, tuple(outs)\n")

#: ``lstm_reference.lstm.lstm_step_forward`` with its variables renamed
REFERENCE_COPY = (
    "def lstm_step_forward(x, h_prev, C_prev, p):\n"
    "    stack = np.concatenate([h_prev, x], axis=0)  # (H + D, B)\n"
    "    fg = sigmoid(p[\"Wf\"] @ stack + p[\"bf\"])\n"
    "    ig = sigmoid(p[\"Wi\"] @ stack + p[\"bi\"])\n"
    "    cand = np.tanh(p[\"WC\"] @ stack + p[\"bC\"])\n"
    "    cell = fg * C_prev + ig * cand\n"
    "    og = sigmoid(p[\"Wo\"] @ stack + p[\"bo\"])\n"
    "    tanh_cell = np.tanh(cell)\n"
    "    hid = og * tanh_cell\n"
    "    memo = (stack, C_prev, fg, ig, cand, og, tanh_cell, p)\n"
    "    return hid, cell, memo\n")

#: student -> (sigmoid, step) of the students who hand in working code
WORKING = {
    "honest-1": (SIGMOID["logistic"], STEP["loop"]),
    "honest-2": (SIGMOID["stable"], STEP["fused"]),
    "honest-3": (SIGMOID["logaddexp"], STEP["helper"]),
    "copy-a": (SIGMOID["logistic"], STEP["shared"]),
    "copy-b": (SIGMOID["logistic"], NEAR_COPY),
    "refcopy": (SIGMOID["logaddexp"], REFERENCE_COPY),
}
HONEST = ["honest-1", "honest-2", "honest-3"]


def _gid(cell: nbformat.NotebookNode) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def answered(ex: str, sigmoid: str, step: str | None = None) -> nbformat.NotebookNode:
    nb = release_nb(ex)
    for cell in nb.cells:
        if _gid(cell) == "sigmoid_answer":
            cell.source = sigmoid
        elif _gid(cell) == "step_answer" and step is not None:
            cell.source = step
    return nb


def _git(cwd: Path, *args: str) -> None:
    env = {"GIT_AUTHOR_NAME": "s", "GIT_AUTHOR_EMAIL": "s@x", "GIT_COMMITTER_NAME": "s",
           "GIT_COMMITTER_EMAIL": "s@x", "PATH": os.environ["PATH"], "HOME": str(cwd),
           "GIT_AUTHOR_DATE": "2026-03-01T12:00:00Z", "GIT_COMMITTER_DATE": "2026-03-01T12:00:00Z"}
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)


def _write(folder: Path, name: str, nb: nbformat.NotebookNode | str | bytes) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if isinstance(nb, bytes):
        path.write_bytes(nb)
    else:
        path.write_text(nb if isinstance(nb, str) else nbformat.writes(nb), encoding="utf-8")


def huge_notebook(path: Path, megabytes: int) -> None:
    """A valid notebook whose one output is a single string of ``megabytes`` MB."""
    nb = release_nb("fx1")
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="@@")]
    head, tail = nbformat.writes(nb).split("@@")
    block = b"x" * (1 << 20)
    with path.open("wb") as fh:
        fh.write(head.encode())
        for _ in range(megabytes):
            fh.write(block)
        fh.write(tail.encode())


def make_clones(root: Path) -> dict[str, str]:
    """Write the class into ``root/<student>/`` (git repositories where git can hold the
    files); returns {student: what is wrong with it (empty for working code)}."""
    about: dict[str, str] = {}
    for student, (sig, step) in WORKING.items():
        repo = root / student
        _write(repo / "assignments" / "fx1", "fx1.ipynb", answered("fx1", sig, step))
        _write(repo / "assignments" / "fx2", "fx2.ipynb", answered("fx2", sig))
        _git(repo, "init", "-q", "-b", "main")
        _git(repo, "add", "-A")
        _git(repo, "commit", "-q", "-m", "work")
        about[student] = ""
    fx1 = lambda s: root / s / "assignments" / "fx1"  # noqa: E731
    # a symbolic link to /etc/passwd where the notebook should be
    fx1("passwd").mkdir(parents=True)
    (fx1("passwd") / "fx1.ipynb").symlink_to("/etc/passwd")
    about["passwd"] = "symbolic link"
    # the exercise folder is a link into another student's fork
    (root / "linker" / "assignments").mkdir(parents=True)
    (root / "linker" / "assignments" / "fx1").symlink_to("../../honest-1/assignments/fx1")
    about["linker"] = "symbolic link"
    # a named pipe (collect must not block on it)
    fx1("pipe").mkdir(parents=True)
    os.mkfifo(fx1("pipe") / "fx1.ipynb")
    about["pipe"] = "named pipe"
    # 200 MB of output in one string
    fx1("bigout").mkdir(parents=True)
    huge_notebook(fx1("bigout") / "fx1.ipynb", 200)
    about["bigout"] = "larger than"
    _write(fx1("brokenjson"), "fx1.ipynb", '{"cells": [ {"cell_type": "code", ')
    about["brokenjson"] = "not valid JSON"
    empty = release_nb("fx1")
    empty.cells = []
    _write(fx1("empty"), "fx1.ipynb", empty)
    about["empty"] = "has no cells"
    text = nbformat.writes(answered("fx1", SIGMOID["logistic"], STEP["loop"]))
    _write(fx1("surrogate"), "fx1.ipynb", text.replace("return 1.0", "return 1.0  # \\ud800", 1))
    about["surrogate"] = "not valid Unicode"
    # a notebook whose name is not UTF-8, next to no real notebook
    _write(fx1("badname"), os.fsdecode(b"fx1\xff.ipynb"), answered("fx1", SIGMOID["logistic"]))
    about["badname"] = "not UTF-8"
    # test cells duplicated (the same cell id twice) and edited
    nb = answered("fx1", SIGMOID["reciprocal"], STEP["einsum"])
    tests = [c for c in nb.cells if _gid(c) in ("test_sigmoid", "test_step")]
    tests[1].source = "print('all good')"
    raw = json.loads(nbformat.writes(nb))  # written by hand: nbformat renames duplicate ids
    at = next(i for i, c in enumerate(raw["cells"]) if c["id"] == tests[0]["id"])
    raw["cells"].insert(at + 1, json.loads(json.dumps(raw["cells"][at])))
    assert raw["cells"][at]["id"] == raw["cells"][at + 1]["id"]
    _write(fx1("tamper"), "fx1.ipynb", json.dumps(raw, indent=1))
    _write(root / "tamper" / "assignments" / "fx2", "fx2.ipynb",
           answered("fx2", SIGMOID["reciprocal"]))
    about["tamper"] = ""
    # an answer that never returns: the cell time limit stops it
    _write(fx1("forever"), "fx1.ipynb", answered("fx1", SIGMOID["reciprocal"], STEP["forever"]))
    about["forever"] = ""
    # a fork folder whose name is not UTF-8 (cannot be a student id)
    _write(root / os.fsdecode(b"stud\xe9") / "assignments" / "fx1", "fx1.ipynb",
           answered("fx1", SIGMOID["logistic"]))
    return about
