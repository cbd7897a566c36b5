#!/usr/bin/env python
"""Thin wrapper around disclabel.cli.main (see --help)."""

import sys

from disclabel.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
