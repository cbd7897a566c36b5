#!/usr/bin/env python
"""Thin wrapper around disclabel.cli.test (see --help)."""

import sys

from disclabel.cli.test import main

if __name__ == "__main__":
    sys.exit(main())
