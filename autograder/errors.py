"""Errors the command line reports in one line."""

from __future__ import annotations


class UsageError(ValueError):
    """Bad command-line input (reported in one line, exit code 2)."""
