#!/usr/bin/env python
"""Thin wrapper: `python src/test.py --help`. The logic lives in disclabel.cli.test."""

import sys

from disclabel.cli.test import main

if __name__ == "__main__":
    sys.exit(main())
