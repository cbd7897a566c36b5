#!/usr/bin/env python
"""Thin wrapper around disclabel.cli.label (see --help)."""

import sys

from disclabel.cli.label import main

if __name__ == "__main__":
    sys.exit(main())
