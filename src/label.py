#!/usr/bin/env python
"""Thin wrapper around disclabel.cli.label (see --help)."""

from disclabel.cli.common import exit_now
from disclabel.cli.label import main

if __name__ == "__main__":
    exit_now(main())
