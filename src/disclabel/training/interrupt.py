"""Stopping a training cleanly: SIGINT and SIGTERM end it after the current step (the partial
epoch is dropped; resuming redoes it from the last checkpoint, exactly)."""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path


class TrainingInterrupted(Exception):
    """SIGINT or SIGTERM stopped a training after its current step (``exit_code``: 128 +
    the signal's number)."""

    def __init__(self, exit_code: int) -> None:
        super().__init__(f"training interrupted (exit code {exit_code})")
        self.exit_code = exit_code


class StopRequests:
    """While active (a context manager, in the main thread), SIGINT and SIGTERM do not kill
    the process: they ask the training to stop after its current step."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self.signal_name: str | None = None
        self.exit_code = 0
        self._previous: dict = {}

    def requested(self) -> bool:
        return self.signal_name is not None

    def _handle(self, signum: int, frame: object) -> None:
        self.signal_name = signal.Signals(signum).name
        self.exit_code = 128 + signum

    def __enter__(self) -> StopRequests:
        if threading.current_thread() is threading.main_thread():
            for sig in self.SIGNALS:
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


def log_interruption(log: logging.Logger | None, name: str | None, epoch: int,
                     run_dir: Path) -> None:
    """The log line of a stopped run: which epoch ``last.pt`` holds and how to resume."""
    if log is None:
        return
    last = run_dir / "last.pt"
    held = (f"{last} holds epoch {epoch - 1}; resume with the same command plus "
            "--resume true" if last.exists() else "no epoch was completed: start again")
    log.info(f"{name}: stopped during epoch {epoch} after its current step (the epoch is done "
             f"again on resume, which continues this run exactly); {held}")
