#!/usr/bin/env python
"""Thin wrapper: `python src/make_res_gif.py --help`. The logic lives in disclabel.cli.make_res_gif."""

import sys

from disclabel.cli.make_res_gif import main

if __name__ == "__main__":
    sys.exit(main())
