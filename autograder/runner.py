"""Execute a graded notebook in a fresh, limited kernel with nbclient.

Each notebook runs in a temporary copy of its exercise folder (the student's files are never
touched), with ``LSTM_LAB_PROBE=1`` so checks emit probe records, under the limits of
:mod:`autograder.limits`: per-cell and whole-notebook timeouts, an address-space limit on the
kernel process (set by :mod:`autograder.kernel_launcher`), and output limits in bytes. A
kernel that dies, hangs or ignores interrupts ends that notebook with a clear status; it never
raises out of :func:`execute`.
"""

from __future__ import annotations

import asyncio
import atexit
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import nbformat
import zmq
import zmq.asyncio
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.notebooknode import NotebookNode

from autograder.limits import Limits
from autograder.probe import JUDGE_OUTSIDE_ENV, PROBE_ENV, PROBE_MIME

TIMEOUT_ENAME = "CellTimeoutError"
#: a message to the kernel that cannot be sent within this time fails that notebook
SEND_TIMEOUT_MS = 2000
SKIPPED_KEY = "lstm_lab_not_run"


@dataclass
class Execution:
    """The executed notebook and how the run ended.

    status: ``"ok"`` (every cell ran; some may have errors or timed out), ``"dead"`` (the
    kernel died), ``"hung"`` (a cell ignored the interrupt, or the notebook deadline passed),
    ``"error"`` (the kernel could not be started).
    """

    nb: NotebookNode
    status: str
    message: str = ""
    seconds: float = 0.0
    #: index of the cell that was running when the run ended abnormally
    stopped_at: int | None = None
    #: seconds the kernel spent executing cells (busy -> idle), start-up excluded
    kernel_seconds: float = 0.0


def _size(content: dict[str, Any]) -> int:
    if "text" in content and isinstance(content["text"], str):
        return len(content["text"])
    total = 0
    for value in (content.get("data") or {}).values():
        total += len(value) if isinstance(value, str) else len(repr(value))
    if "traceback" in content:
        total += sum(len(line) for line in content.get("traceback") or [])
    return total


class _LimitedKernelManager(AsyncKernelManager):
    """Starts ``python -m ipykernel_launcher`` through :mod:`autograder.kernel_launcher`."""

    memory_bytes: int = 0
    file_bytes: int = 0
    #: process group of the kernel (its own session), to clean up whatever it started
    kernel_pgid: int | None = None

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
        await super()._async_launch_kernel(kernel_cmd, **kw)
        self.kernel_pgid = getattr(self.provisioner, "pgid", None)

    def client(self, **kwargs: Any) -> Any:
        """A client whose sockets never block the event loop for long.

        If the kernel dies while the client is waiting for it to become ready, jupyter_client
        keeps sending ``kernel_info`` requests; a send to a peer that is gone can block the
        thread, and with it every other notebook being graded. A send timeout turns that into
        an error for this notebook only.
        """
        if getattr(self, "_grader_context", None) is None:
            ctx = zmq.asyncio.Context()
            ctx.setsockopt(zmq.SNDTIMEO, SEND_TIMEOUT_MS)
            ctx.setsockopt(zmq.LINGER, 0)
            self._grader_context = ctx
        kwargs.setdefault("context", self._grader_context)
        return super().client(**kwargs)

    def close_context(self) -> None:
        ctx = getattr(self, "_grader_context", None)
        if ctx is not None:
            ctx.destroy(linger=0)
            self._grader_context = None

    def kill_process_group(self) -> None:
        """SIGKILL everything left in the kernel's process group (children it spawned)."""
        pgid = self.kernel_pgid
        if pgid and pgid != os.getpgrp():
            try:
                os.killpg(pgid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        kernel = [sys.executable, "-m", "ipykernel_launcher", "-f", self.connection_file]
        return [
            sys.executable, "-m", "autograder.kernel_launcher",
            str(self.memory_bytes), str(self.file_bytes), "--",
            *kernel, *(extra_arguments or []),
        ]


class _GraderClient(NotebookClient):
    """nbclient with byte limits on outputs and a whole-notebook deadline."""

    def __init__(self, nb: NotebookNode, limits: Limits, **kw: Any) -> None:
        self.limits = limits
        self.deadline = time.monotonic() + limits.notebook_timeout
        self.current_cell: int | None = None
        self.cell_bytes = 0
        self.notebook_bytes = 0
        self.probe_bytes = 0
        self.truncated = False
        self.deadline_passed = False
        super().__init__(nb, **kw)

    def _cell_timeout(self, cell: NotebookNode) -> int:
        remaining = self.deadline - time.monotonic()
        return max(1, int(min(self.limits.cell_timeout, remaining) + 0.999))

    async def async_execute_cell(self, cell: NotebookNode, cell_index: int,
                                 execution_count: int | None = None,
                                 store_history: bool = True) -> NotebookNode:
        if cell.cell_type == "code" and time.monotonic() >= self.deadline:
            self.deadline_passed = True
            cell.metadata[SKIPPED_KEY] = "the notebook ran out of time before this cell"
            return cell
        self.current_cell = cell_index
        self.cell_bytes = 0
        self.truncated = False
        return await super().async_execute_cell(cell, cell_index, execution_count,
                                                store_history)

    def output(self, outs: list[NotebookNode], msg: dict[str, Any], display_id: str | None,
               cell_index: int) -> NotebookNode | None:
        content = msg.get("content") or {}
        size = _size(content)
        is_probe = PROBE_MIME in (content.get("data") or {})
        if is_probe:
            if self.probe_bytes + size > self.limits.notebook_output_bytes:
                return self._note(outs, "a check's record was dropped: output limit reached")
            self.probe_bytes += size
            return super().output(outs, msg, display_id, cell_index)
        room = min(self.limits.cell_output_bytes - self.cell_bytes,
                   self.limits.notebook_output_bytes - self.notebook_bytes)
        if size > room and msg.get("msg_type") == "stream" and room > 0:
            content["text"] = content["text"][:room]
            size = room
        if size > room:
            return self._note(outs, f"output truncated: more than "
                                    f"{self.limits.cell_output_bytes // 1024} KB")
        self.cell_bytes += size
        self.notebook_bytes += size
        return super().output(outs, msg, display_id, cell_index)

    def _note(self, outs: list[NotebookNode], text: str) -> None:
        if not self.truncated:
            self.truncated = True
            outs.append(nbformat.v4.new_output("stream", name="stdout",
                                               text=f"\n[... {text} ...]\n"))
        return None


def kernel_env(limits: Limits) -> dict[str, str]:
    """The kernel's environment: ours, plus probing on and BLAS threads shared fairly."""
    env = dict(os.environ)
    env[PROBE_ENV] = "1"
    env[JUDGE_OUTSIDE_ENV] = "1"
    threads = str(max(1, (os.cpu_count() or 1) // max(1, limits.jobs)))
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(var, threads)
    env.pop("JPY_PARENT_PID", None)
    return env


def _copy_folder(folder: Path, into: Path) -> Path:
    work = into / folder.name
    shutil.copytree(
        folder, work, symlinks=True,
        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "grader-output", "__pycache__"),
    )
    return work


#: attempts to start a kernel that dies before running any cell (e.g. a port taken by
#: another process between jupyter_client choosing it and the kernel binding it)
START_ATTEMPTS = 2


async def execute_async(nb: NotebookNode, folder: Path | None, limits: Limits) -> Execution:
    """Run ``nb`` (modified in place) with the exercise folder's copy as working directory.

    A kernel that dies before it ran any cell is started once more; once a cell has run,
    nothing is retried (the notebook's own code may be what kills the kernel).
    """
    start = time.monotonic()
    pristine = nbformat.from_dict(json.loads(json.dumps(nb)))
    for attempt in range(START_ATTEMPTS):
        result = await _execute_once(nb, folder, limits)
        started = result.stopped_at is not None or result.status == "ok"
        if started or attempt == START_ATTEMPTS - 1:
            break
        nb.cells = nbformat.from_dict(json.loads(json.dumps(pristine))).cells
    result.seconds = time.monotonic() - start
    return result


async def _execute_once(nb: NotebookNode, folder: Path | None, limits: Limits) -> Execution:
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="lstm-lab-grade-") as tmp:
        workdir = _copy_folder(folder, Path(tmp)) if folder and folder.is_dir() else Path(tmp)
        km = _LimitedKernelManager(kernel_name="python3")
        km.memory_bytes, km.file_bytes = limits.memory_bytes, limits.file_bytes
        client = _GraderClient(
            nb, limits, km=km, timeout=int(limits.cell_timeout),
            startup_timeout=int(limits.startup_timeout), allow_errors=True,
            interrupt_on_timeout=True, raise_on_iopub_timeout=True,
            iopub_timeout=int(limits.iopub_timeout), shutdown_kernel="immediate",
            error_on_timeout={"ename": TIMEOUT_ENAME, "evalue": "",
                              "traceback": [TIMEOUT_ENAME]},
            record_timing=True, resources={"metadata": {"path": str(workdir)}},
        )
        client.timeout_func = client._cell_timeout
        guard = limits.notebook_timeout + limits.iopub_timeout + limits.startup_timeout + 5
        status, message = "ok", ""
        run = asyncio.ensure_future(asyncio.wait_for(
            client.async_execute(env=kernel_env(limits), stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL),
            timeout=guard,
        ))
        watchdog = asyncio.ensure_future(_watch_kernel(km, run))
        try:
            await run
        except asyncio.CancelledError:
            if not watchdog.done() or not watchdog.result():
                raise
            status, message = "dead", "the kernel died while starting"
        except DeadKernelError:
            status, message = "dead", (
                "the kernel died (the notebook called os._exit, crashed, or ran out of memory)")
        except CellTimeoutError:
            status, message = "hung", (
                f"a cell kept running after the {limits.cell_timeout:g} s timeout and ignored "
                "the interrupt (does it catch KeyboardInterrupt?)")
        except TimeoutError:
            status, message = "hung", (
                f"the notebook did not finish within {guard:g} s and was stopped")
        except Exception as exc:  # kernel start-up failures and the like
            status, message = "error", f"the notebook could not be run: {exc}".splitlines()[0]
        finally:
            watchdog.cancel()
            # nbclient registers an exit hook before the kernel is ready and only removes it
            # on the normal path; our own clean-up below makes it unnecessary
            atexit.unregister(client._cleanup_kernel)
            # we own the kernel manager, so nbclient leaves the client's channels (and the
            # heartbeat thread) running: stop them before the kernel and the sockets go
            if getattr(client, "kc", None) is not None:
                try:
                    client.kc.stop_channels()
                except Exception:  # a half-started client
                    pass
                client.kc = None
            if km.has_kernel:
                try:
                    await km.shutdown_kernel(now=True)
                except Exception:  # already gone
                    pass
            km.kill_process_group()
            km.close_context()
        stopped = client.current_cell if status != "ok" else None
        if status != "ok":
            _mark_not_run(nb, stopped, message)
        elif client.deadline_passed:
            status, message = "hung", (
                f"the notebook ran out of its {limits.notebook_timeout:g} s budget; later cells "
                "did not run")
    return Execution(nb=nb, status=status, message=message,
                     seconds=time.monotonic() - start, stopped_at=stopped,
                     kernel_seconds=kernel_seconds(nb))


def kernel_seconds(nb: NotebookNode) -> float:
    """Sum over code cells of the kernel's busy time, from nbclient's recorded timestamps."""
    total = 0.0
    for cell in nb.cells:
        timing = cell.get("metadata", {}).get("execution", {})
        busy, idle = timing.get("iopub.status.busy"), timing.get("iopub.status.idle")
        if busy and idle:
            try:
                delta = datetime.fromisoformat(idle) - datetime.fromisoformat(busy)
            except ValueError:
                continue
            total += max(0.0, delta.total_seconds())
    return total


async def _watch_kernel(km: _LimitedKernelManager, run: asyncio.Future) -> bool:
    """Cancel ``run`` if the kernel process dies before nbclient notices (it only watches
    for that while cells run, not while it waits for the kernel to start). True if it did."""
    while not run.done():
        await asyncio.sleep(0.5)
        if km.has_kernel and not await km.is_alive():
            await asyncio.sleep(3.0)  # give nbclient the chance to report it first
            if not run.done():
                run.cancel()
                return True
            return False
    return False


def _mark_not_run(nb: NotebookNode, stopped: int | None, message: str) -> None:
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or (stopped is not None and i < stopped):
            continue
        if i == stopped:
            cell.metadata[SKIPPED_KEY] = message
        else:
            cell.metadata.setdefault(SKIPPED_KEY, "did not run: " + message)


def execute(nb: NotebookNode, folder: Path | None, limits: Limits) -> Execution:
    """Synchronous wrapper around :func:`execute_async`."""
    return asyncio.run(execute_async(nb, folder, limits))
