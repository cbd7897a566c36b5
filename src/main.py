#!/usr/bin/env python
"""Thin wrapper: `python src/main.py --help`. The logic lives in disclabel.cli.main."""

import sys

from disclabel.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
