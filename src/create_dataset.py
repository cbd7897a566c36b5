#!/usr/bin/env python
"""Thin wrapper around disclabel.cli.create_dataset (see --help)."""

import sys

from disclabel.cli.create_dataset import main

if __name__ == "__main__":
    sys.exit(main())
