#!/usr/bin/env python
"""The disc spacing of the PAM50 template, as the decoder's spacing prior holds it
(``disclabel.chain.TEMPLATE_LINKS_MM``): the distance from each disc's posterior tip to the next
one's, in mm, from ``PAM50_small_label_discPosterior`` in ../shared/data.

    python tools/template_spacing.py

Prints one line per link and whether the decoder's table matches (exit 1 if not).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from shared_data import SHARED

from disclabel import chain
from disclabel.evaluation import reference_discs

TEMPLATE = Path("sct_testing_data/template/PAM50_small_label_discPosterior.nii.gz")


def template_links(path: Path = SHARED / TEMPLATE) -> dict[int, float]:
    """``{n: distance (mm, 0.1 mm) from disc n to disc n + 1}`` of a disc label file."""
    discs = reference_discs(path)
    return {n: round(float(np.linalg.norm(np.subtract(discs[n + 1], discs[n]))), 1)
            for n in sorted(discs) if n + 1 in discs}


def main(argv: list[str] | None = None) -> int:
    del argv
    links = template_links()
    for n, mm in links.items():
        print(f"disc {n} -> {n + 1}: {mm:5.1f} mm (decoder: {chain.TEMPLATE_LINKS_MM.get(n)})")
    same = links == chain.TEMPLATE_LINKS_MM
    print("the decoder's table matches" if same else "the decoder's table DIFFERS")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
