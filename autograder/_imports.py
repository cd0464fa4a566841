"""Keep the grader's start-up fast: import this before anything imports ``nbformat``.

``nbformat`` imports ``jsonschema``, which imports ``rfc3987_syntax`` when it is installed;
that module compiles an Earley grammar at import time (seconds on a busy 2-core runner) only
to validate IRI-formatted strings, which notebooks never use. Marking it unavailable makes
``jsonschema`` skip that optional format check.
"""

from __future__ import annotations

import sys

if "rfc3987_syntax" not in sys.modules:
    sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]
