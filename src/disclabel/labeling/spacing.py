"""The disc-spacing prior of the numbering vote (:func:`.chain.decode_chain`, step 4).

A chain numbered by offset ``o`` claims that its links join discs ``o + rel``; the lengths of
those links are compared with the distances between the same discs in the PAM50 template (16-18
mm in the neck, a jump to 22 mm at C7/T1, 34 mm at T12/L1), after fitting the chain's own scale
(body size). The log-likelihood, times ``SPACING_WEIGHT``, is added to each offset's score, so
that a numbering that puts the chain's spacing profile one level off pays for it. Positions are
``(row, col)`` in mm.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

SPACING_WEIGHT: float = 0.5
"""Weight of the spacing prior in each offset's score (0 turns it off). Chosen among 0.5, 1 and 2
on the leave-one-subject-out models of two variants of the recipe (128 features, intensity maps
0.6; two seeds each): 0.5 named 775 of their 884 scored discs right against 724 without the
prior (docs/experiments.md)."""
SPACING_SIGMA: float = 0.08
"""Spread of a link's log length about the template's (after the chain's own scale is fitted):
the labelled real volumes lie 0.04-0.10 from PAM50 at their true levels."""
SPACING_SCALE_SIGMA: float = 0.1
"""Spread of a chain's scale (its links over the template's, in log) about 1: body size."""
TEMPLATE_LINKS_MM: dict[int, float] = {
    2: 16.0, 3: 18.1, 4: 18.0, 5: 16.0, 6: 16.1, 7: 18.0, 8: 22.0, 9: 22.1, 10: 24.0, 11: 24.0,
    12: 24.0, 13: 26.0, 14: 28.0, 15: 26.0, 16: 28.0, 17: 28.0, 18: 32.0, 19: 30.4, 20: 34.0}
"""Distance (mm) from the posterior tip of disc ``n`` to that of disc ``n + 1`` in the PAM50
template (``PAM50_small_label_discPosterior``, 1 x 1 x 2 mm; C1/C2 = 2 to L1/L2 = 21; printed
by ``python tools/template_spacing.py``). Below L1/L2 the template has no discs: links there
are not scored."""


@contextmanager
def weight_set(weight: float | None) -> Iterator[None]:
    """Within the block, the prior has ``weight`` (None: unchanged); restored afterwards."""
    global SPACING_WEIGHT
    kept = SPACING_WEIGHT
    if weight is not None:
        SPACING_WEIGHT = weight
    try:
        yield
    finally:
        SPACING_WEIGHT = kept


def template_distance(a: int, b: int) -> float | None:
    """Template distance (mm) from disc ``a`` down to disc ``b`` (``a < b``), None when a link
    between them is outside :data:`TEMPLATE_LINKS_MM`."""
    links = [TEMPLATE_LINKS_MM.get(n) for n in range(a, b)]
    return None if any(v is None for v in links) else float(sum(links))


def spacing_log_likelihood(points_mm: np.ndarray, numbers: np.ndarray) -> float | None:
    """Log-likelihood (nats) of a chain's link lengths if its members are discs ``numbers``.

    ``points_mm`` (K, 2) positions in mm in chain order, ``numbers`` (K,) their disc numbers.
    Each scored link's log length minus the template's log length is a residual ``r``; the
    chain's scale ``m`` is their mean, and the score is ``-sum((r - m)^2) / (2 SIGMA^2) -
    m^2 / (2 SCALE_SIGMA^2)``, scaled to all K - 1 links when only some lie within the
    template. None when no link does.
    """
    residuals = []
    for k in range(len(numbers) - 1):
        expected = template_distance(int(numbers[k]), int(numbers[k + 1]))
        length = float(np.linalg.norm(points_mm[k + 1] - points_mm[k]))
        if expected is not None and length > 0:
            residuals.append(math.log(length) - math.log(expected))
    if not residuals:
        return None
    r = np.array(residuals)
    scale = float(r.mean())
    score = (-float(((r - scale) ** 2).sum()) / (2 * SPACING_SIGMA ** 2)
             - scale ** 2 / (2 * SPACING_SCALE_SIGMA ** 2))
    return score * (len(numbers) - 1) / len(r)


def spacing_scores(points_mm: np.ndarray, rel: np.ndarray, offsets: list[int]
                   ) -> dict[int, float]:
    """:func:`spacing_log_likelihood` of the chain numbered ``o + rel`` for each offset ``o``;
    an offset whose links all lie outside the template gets the lowest score of the others
    (0 for every offset when none has a scored link, or with fewer than 3 members)."""
    if len(rel) < 3:
        return dict.fromkeys(offsets, 0.0)
    found = {o: spacing_log_likelihood(points_mm, o + rel) for o in offsets}
    known = [v for v in found.values() if v is not None]
    floor = min(known) if known else 0.0
    return {o: (floor if v is None else v) for o, v in found.items()}
