"""Helpers shared by the command-line front ends: one-line errors, boolean flags, run wrapper."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from disclabel.data.io import InputError, missing_extra

_TRUE = {"true", "yes", "1", "y", "t", "on"}
_FALSE = {"false", "no", "0", "n", "f", "off"}


class Parser(argparse.ArgumentParser):
    """ArgumentParser whose errors are one line (``prog: error: message``), exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def str2bool(text: str) -> bool:
    """Parse ``true/false/yes/no/1/0`` (any case) into a bool, for flags such as ``--att``."""
    value = str(text).strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise argparse.ArgumentTypeError(f"expected true/false/yes/no/1/0, got {text!r}")


def run_main(parser: argparse.ArgumentParser, argv: Sequence[str] | None,
             body: Callable[[argparse.Namespace], int]) -> int:
    """Parse ``argv`` and run ``body``; an :class:`InputError`, or a module of the ``train``
    extra missing from a light install, becomes a one-line message on stderr and exit code 1
    (bad flags exit with code 2 from the parser)."""
    args = parser.parse_args(argv)
    try:
        return body(args)
    except InputError as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 1
    except ImportError as exc:  # a torch-only feature on the light install
        error = missing_extra(exc, parser.prog)
        if error is None:
            raise
        print(f"{parser.prog}: error: {error}", file=sys.stderr)
        return 1


def exit_now(code: int) -> NoReturn:
    """End the process with ``code`` once every output is written and closed, without the
    interpreter's teardown of torch's modules (about half a second on a 2-core CPU, a quarter
    of a one-volume ``label.py`` run; docs/speed.md): flush stdout and stderr, then
    ``os._exit``. Only for a script's very last step."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
