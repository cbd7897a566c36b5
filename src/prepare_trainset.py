#!/usr/bin/env python
"""Thin wrapper around disclabel.cli.prepare_trainset (see --help)."""

import sys

from disclabel.cli.prepare_trainset import main

if __name__ == "__main__":
    sys.exit(main())
