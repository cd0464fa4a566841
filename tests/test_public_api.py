"""The package's top-level names are the cell modules' own functions, not copies."""

from __future__ import annotations

import importlib

import lstm_reference


def test_every_public_name_is_the_module_function() -> None:
    for name in lstm_reference.__all__:
        obj = getattr(lstm_reference, name)
        module = importlib.import_module(getattr(obj, "__module__", "lstm_reference.cells"))
        assert getattr(module, name) is obj, name


def test_importing_the_package_stays_light() -> None:
    import subprocess
    import sys

    code = "import sys, lstm_reference; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"  # plotting is imported only by those who plot
