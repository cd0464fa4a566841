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
import contextlib
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

from autograder.limits import MB, Limits
from autograder.probe import JUDGE_OUTSIDE_ENV, PROBE_ENV, PROBE_MIME
from autograder.sandbox import OFF, REQUIRE, Sandbox, prepare, sandbox_problem

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
    #: whether the kernel ran inside the sandbox
    sandboxed: bool = False
    #: the limit that stopped the notebook, if one did ("time", "memory", "output")
    limit_hit: str = ""


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
    """Starts ``python -m ipykernel_launcher`` through :mod:`autograder.kernel_launcher`,
    inside the sandbox when one is given."""

    limits_arg: str = "{}"
    #: the sandbox the kernel runs in (None: unsandboxed, with the grader's powers)
    sandbox: Sandbox | None = None
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
        kernel = [sys.executable, "-m", "ipykernel_launcher", "-f", self.connection_file,
                  *(extra_arguments or [])]
        if self.sandbox is not None:
            kernel = self.sandbox.wrap(kernel)
        return [sys.executable, "-m", "autograder.kernel_launcher", self.limits_arg, "--",
                *kernel]


class _GraderClient(NotebookClient):
    """nbclient with byte limits on outputs and a whole-notebook deadline."""

    def __init__(self, nb: NotebookNode, limits: Limits, **kw: Any) -> None:
        self.limits = limits
        self.deadline = time.monotonic() + limits.notebook_timeout
        self.current_cell: int | None = None
        self.cell_bytes = 0
        self.notebook_bytes = 0
        self.probe_bytes = 0
        self.probe_records = 0
        #: output bytes received, kept or dropped (a flood is measured by what arrives)
        self.received_bytes = 0
        self.truncated = False
        #: some output was dropped (sticky: reported as the output limit)
        self.output_capped = False
        self.deadline_passed = False
        #: the test cell the kernel was last told about (see ``enter_cell``)
        self.context: str | None = None
        #: tell the kernel which test cell runs (only when the grader planned the inputs)
        self.planned = False
        self.flood: str = ""
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
        if self.flood and cell.cell_type == "code":  # the kernel is gone
            cell.metadata[SKIPPED_KEY] = self.flood
            return cell
        self.current_cell = cell_index
        self.cell_bytes = 0
        self.truncated = False
        if self.planned and cell.cell_type == "code":
            meta = cell.metadata.get("nbgrader") or {}
            wanted = str(meta.get("grade_id")) if meta.get("grade") and not meta.get(
                "solution") else None
            if wanted != self.context:
                await self._enter_cell(wanted)
        return await super().async_execute_cell(cell, cell_index, execution_count,
                                                store_history)

    async def _enter_cell(self, grade_id: str | None) -> None:
        """Tell the kernel's checks which test cell runs next (a silent request)."""
        code = ("__import__('autograder.checks.base', fromlist=['enter_cell'])"
                f".enter_cell({grade_id!r})")
        msg_id = self.kc.execute(code, silent=True, store_history=False, allow_stdin=False)
        await self.async_wait_for_reply(msg_id)
        self.context = grade_id

    def output(self, outs: list[NotebookNode], msg: dict[str, Any], display_id: str | None,
               cell_index: int) -> NotebookNode | None:
        content = msg.get("content") or {}
        size = _size(content)
        is_probe = PROBE_MIME in (content.get("data") or {})
        if is_probe:
            self.probe_records += 1
            if (self.probe_bytes + size > self.limits.probe_bytes
                    or self.probe_records > self.limits.probe_records):
                self._stop_flood("not run: the notebook sent more check records than the "
                                 f"grader accepts ({self.limits.probe_records} records, "
                                 f"{self.limits.probe_bytes // MB} MB)")
                return self._note(outs, "check records dropped: the notebook sent too many")
            self.probe_bytes += size
            return super().output(outs, msg, display_id, cell_index)
        self.received_bytes += size
        if self.received_bytes > 2 * self.limits.notebook_output_bytes:
            self._stop_flood("not run: the notebook printed more than "
                             f"{2 * self.limits.notebook_output_bytes // MB} MB of output")
            return None
        room = min(self.limits.cell_output_bytes - self.cell_bytes,
                   self.limits.notebook_output_bytes - self.notebook_bytes)
        if size > room and msg.get("msg_type") == "stream" and room > 0:
            content["text"] = content["text"][:room]
            size = room
        if size > room:
            self.output_capped = True
            if self.notebook_bytes >= self.limits.notebook_output_bytes:
                self._stop_flood("not run: the notebook printed more than "
                                 f"{self.limits.notebook_output_bytes // MB} MB of output")
            elif not self.truncated:  # stop the cell: the rest of its output would be lost
                self._interrupt()
            return self._note(outs, f"output truncated: more than "
                                    f"{self.limits.cell_output_bytes // 1024} KB; the cell "
                                    "was stopped")
        self.cell_bytes += size
        self.notebook_bytes += size
        return super().output(outs, msg, display_id, cell_index)

    def _stop_flood(self, why: str) -> None:
        """End the notebook now: stop the kernel (what it already sent is dropped unread)."""
        if self.flood:
            return
        self.flood = why
        with contextlib.suppress(RuntimeError):
            asyncio.get_running_loop().create_task(self.km.shutdown_kernel(now=True))

    def _interrupt(self) -> None:
        with contextlib.suppress(RuntimeError):
            asyncio.get_running_loop().create_task(self.km.interrupt_kernel())

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
    # even unsandboxed, the kernel gets no secret of the grader's: the course secret, tokens
    for name in list(env):
        if any(word in name.upper() for word in ("SECRET", "TOKEN", "PASSWORD", "API_KEY",
                                                  "ACCESS_KEY", "CREDENTIAL")):
            del env[name]
    return env


def sandbox_env_for(limits: Limits, inputs: Path | None) -> dict[str, str]:
    """The grader's variables for a sandboxed kernel (the rest is an allow-list)."""
    from autograder.checks.base import INPUTS_ENV

    threads = str(max(1, (os.cpu_count() or 1) // max(1, limits.jobs)))
    env = {PROBE_ENV: "1", JUDGE_OUTSIDE_ENV: "1"}
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = threads
    if inputs is not None:
        env[INPUTS_ENV] = str(inputs)
    return env


def use_sandbox(limits: Limits) -> tuple[bool, str]:
    """(sandbox?, problem): whether kernels run sandboxed under ``limits.sandbox``."""
    if limits.sandbox == OFF:
        return False, "the sandbox was turned off"
    problem = sandbox_problem()
    return problem is None, problem or ""


#: the exercise folder copied into a kernel's scratch folder: at most this much in all
COPY_BYTES = 256 * MB


def _copy_folder(folder: Path, into: Path) -> Path:
    """Copy the exercise folder (regular files and folders; symbolic links stay links, and
    resolve inside the sandbox to nothing of the grader's) without grader outputs, and
    without files past :data:`COPY_BYTES` in all."""
    into.mkdir(parents=True, exist_ok=True)
    work = into / folder.name
    budget = [COPY_BYTES]

    def ignore(path: str, names: list[str]) -> set[str]:
        skipped = {n for n in names if n in (".ipynb_checkpoints", "grader-output",
                                             "__pycache__")}
        for name in sorted(set(names) - skipped):
            full = Path(path) / name
            if full.is_symlink() or not full.is_file():
                continue
            size = full.stat().st_size
            if size > budget[0]:
                skipped.add(name)
            else:
                budget[0] -= size
        return skipped

    shutil.copytree(folder, work, symlinks=True, ignore=ignore)
    return work


#: attempts to start a kernel that dies before running any cell (e.g. a port taken by
#: another process between jupyter_client choosing it and the kernel binding it)
START_ATTEMPTS = 2


async def execute_async(nb: NotebookNode, folder: Path | None, limits: Limits,
                        inputs: dict[str, Any] | None = None, exercise: str = "",
                        names: frozenset[str] = frozenset()) -> Execution:
    """Run ``nb`` (modified in place) with the exercise folder's copy as working directory.

    ``inputs`` are the grader's planned check inputs (:mod:`autograder.plan`), handed to the
    kernel as a read-only file; ``exercise`` chooses what the sandbox's library hides and
    ``names`` (from the instructor's notebook) what its checks keep callable.

    A kernel that dies before it ran any cell is started once more; once a cell has run,
    nothing is retried (the notebook's own code may be what kills the kernel).
    """
    start = time.monotonic()
    pristine = nbformat.from_dict(json.loads(json.dumps(nb)))
    for attempt in range(START_ATTEMPTS):
        result = await _execute_once(nb, folder, limits, inputs, exercise, names)
        started = result.stopped_at is not None or result.status == "ok"
        if started or attempt == START_ATTEMPTS - 1:
            break
        nb.cells = nbformat.from_dict(json.loads(json.dumps(pristine))).cells
    result.seconds = time.monotonic() - start
    return result


async def _execute_once(nb: NotebookNode, folder: Path | None, limits: Limits,
                        inputs: dict[str, Any] | None, exercise: str,
                        names: frozenset[str]) -> Execution:
    start = time.monotonic()
    sandboxed, problem = use_sandbox(limits)
    if not sandboxed and limits.sandbox == REQUIRE:
        _mark_not_run(nb, None, "not run: no sandbox: " + problem)
        return Execution(nb=nb, status="error", message="no sandbox could be made: " + problem)
    with tempfile.TemporaryDirectory(prefix="lstm-lab-grade-") as tmp:
        root = Path(tmp)
        scratch = root / "scratch"
        workdir = (_copy_folder(folder, scratch) if folder and folder.is_dir()
                   else scratch / "work")
        workdir.mkdir(parents=True, exist_ok=True)
        km = _LimitedKernelManager(kernel_name="python3")
        inputs_path = None
        if sandboxed:
            private = root / "private"
            private.mkdir()
            if inputs is not None:
                inputs_path = private / "inputs.json"
                inputs_path.write_text(json.dumps(inputs), encoding="utf-8")
            km.sandbox = prepare(root, exercise or (folder.name if folder else ""), workdir,
                                 sandbox_env_for(limits, inputs_path), names,
                                 {"home": limits.scratch_bytes, "tmp": limits.scratch_bytes // 2,
                                  "shm": limits.scratch_bytes // 8})
            km.transport = "ipc"
            km.ip = str(private / "kernel")
            km.connection_file = str(private / "kernel.json")
            spec = km.kernel_spec
            if spec is not None:
                spec.interrupt_mode = "message"
            env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "HOME")}
        else:
            if inputs is not None:
                inputs_path = root / "inputs.json"
                inputs_path.write_text(json.dumps(inputs), encoding="utf-8")
            env = kernel_env(limits)
            if inputs_path is not None:
                from autograder.checks.base import INPUTS_ENV

                env[INPUTS_ENV] = str(inputs_path)
        cgroup = kernel_cgroup(limits) if sandboxed else []
        km.limits_arg = launcher_limits(limits, cgroup)
        client = _GraderClient(
            nb, limits, km=km, timeout=int(limits.cell_timeout),
            startup_timeout=int(limits.startup_timeout), allow_errors=True,
            interrupt_on_timeout=True, raise_on_iopub_timeout=True,
            iopub_timeout=int(limits.iopub_timeout), shutdown_kernel="immediate",
            error_on_timeout={"ename": TIMEOUT_ENAME, "evalue": "",
                              "traceback": [TIMEOUT_ENAME]},
            record_timing=True, resources={"metadata": {"path": str(workdir)}},
        )
        client.planned = inputs is not None
        client.timeout_func = client._cell_timeout
        guard = limits.notebook_timeout + limits.iopub_timeout + limits.startup_timeout + 5
        status, message = "ok", ""
        run = asyncio.ensure_future(asyncio.wait_for(
            client.async_execute(env=env, stdout=subprocess.DEVNULL,
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
            remove_cgroup(cgroup)
        if client.flood:
            # the grader stopped the kernel itself: the notebook flooded the output
            status, message = "flooded", client.flood.replace("not run: ", "stopped: ")
        stopped = client.current_cell if status not in ("ok", "flooded") else None
        limit_hit = {"hung": "time", "dead": "memory or a crash",
                     "flooded": "output"}.get(status, "")
        if status not in ("ok", "flooded"):
            _mark_not_run(nb, stopped, message)
        elif status == "flooded":
            _mark_not_run(nb, client.current_cell, message)
        elif client.deadline_passed:
            status, message = "hung", (
                f"the notebook ran out of its {limits.notebook_timeout:g} s budget; later cells "
                "did not run")
            limit_hit = "time"
        elif client.output_capped:
            limit_hit = "output"
    return Execution(nb=nb, status=status, message=message,
                     seconds=time.monotonic() - start, stopped_at=stopped,
                     kernel_seconds=kernel_seconds(nb), sandboxed=sandboxed,
                     limit_hit=limit_hit)


# --------------------------------------------------------------------------- limits


#: where a root grader can cap a kernel with cgroups (v1 controllers; RLIMIT_NPROC does not
#: bind processes whose real user is root, and RLIMIT_AS is per process, not per sandbox)
_CGROUPS = {"pids": (Path("/sys/fs/cgroup/pids"), "pids.max"),
            "memory": (Path("/sys/fs/cgroup/memory"), "memory.limit_in_bytes")}


def kernel_cgroup(limits: Limits) -> list[Path]:
    """Fresh pids and memory cgroups for one kernel, where the grader is root and can make
    them: at most ``limits.processes`` processes and ``limits.memory_bytes`` of memory for the
    whole sandbox (its in-memory file systems included)."""
    if os.geteuid() != 0:
        return []
    made = []
    for kind, (base, knob) in _CGROUPS.items():
        if not (base / "cgroup.procs").is_file():
            continue
        folder = base / f"lstm-lab-{os.getpid()}-{time.monotonic_ns()}"
        value = limits.processes if kind == "pids" else limits.memory_bytes
        try:
            folder.mkdir()
            (folder / knob).write_text(str(value))
            made.append(folder)
        except OSError:
            with contextlib.suppress(OSError):
                folder.rmdir()
    return made


def remove_cgroup(folders: list[Path] | None) -> None:
    for folder in folders or []:
        for _ in range(20):
            try:
                for pid in (folder / "cgroup.procs").read_text().split():
                    with contextlib.suppress(ProcessLookupError, ValueError):
                        os.kill(int(pid), signal.SIGKILL)
                folder.rmdir()
                break
            except OSError:
                time.sleep(0.05)


def launcher_limits(limits: Limits, cgroups: list[Path] | None) -> str:
    """The limits :mod:`autograder.kernel_launcher` sets (soft = hard), as JSON."""
    cpu = int(limits.notebook_timeout * max(1, os.cpu_count() or 1) + 30)
    return json.dumps({"memory": limits.memory_bytes, "file": limits.file_bytes,
                       "processes": limits.processes, "open_files": limits.open_files,
                       "cpu": cpu, "cgroups": [str(c) for c in cgroups or []]})


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
