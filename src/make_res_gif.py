#!/usr/bin/env python
"""Thin wrapper around disclabel.cli.make_res_gif (see --help)."""

import sys

from disclabel.cli.make_res_gif import main

if __name__ == "__main__":
    sys.exit(main())
