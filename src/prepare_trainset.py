#!/usr/bin/env python
"""Thin wrapper: `python src/prepare_trainset.py --help`. The logic lives in disclabel.cli.prepare_trainset."""

import sys

from disclabel.cli.prepare_trainset import main

if __name__ == "__main__":
    sys.exit(main())
