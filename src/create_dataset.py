#!/usr/bin/env python
"""Thin wrapper: `python src/create_dataset.py --help`. The logic lives in disclabel.cli.create_dataset."""

import sys

from disclabel.cli.create_dataset import main

if __name__ == "__main__":
    sys.exit(main())
