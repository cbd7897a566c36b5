"""Subject-level train/validation/test split: seeded, stratified by site, written once and reused.

Every subject goes to exactly one side, so all contrasts of a subject land together. Subjects are
grouped by site; within a site the order is shuffled with a generator seeded from ``seed`` and the
site name, then each subject goes to the side furthest below its share of the subjects assigned
so far (largest deficit, within each side's quota), which spreads every site over the sides in
proportion. A split already on disk is reused: its
subjects never move, and only subjects new to the manifest are assigned, by the same rule.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from disclabel.constants import SPLIT_NAMES

SPLITS_VERSION = 1


def _quotas(n: int, fractions: Sequence[float]) -> list[int]:
    """Subject counts per side for ``n`` subjects: largest-remainder rounding, and at least one
    subject on every side with a non-zero fraction when there are enough subjects."""
    raw = np.asarray(fractions, float) / sum(fractions) * n
    counts = np.floor(raw).astype(int)
    for i in np.argsort(-(raw - counts), kind="stable")[: n - counts.sum()]:
        counts[i] += 1
    wanted = [i for i, f in enumerate(fractions) if f > 0]
    if n >= len(wanted):
        for i in wanted:
            if counts[i] == 0:
                donor = int(np.argmax(counts))
                counts[donor] -= 1
                counts[i] += 1
    return counts.tolist()


def _site_order(subjects_by_site: Mapping[str, list[str]], seed: int) -> list[str]:
    """Subjects, site by site (sorted), shuffled within each site by a seeded generator."""
    order = []
    for site in sorted(subjects_by_site):
        rng = np.random.default_rng([seed, zlib.crc32(site.encode())])
        subjects = sorted(subjects_by_site[site])
        order.extend(subjects[i] for i in rng.permutation(len(subjects)))
    return order


def assign(subject_sites: Mapping[str, str], fractions: Sequence[float], seed: int,
           existing: Mapping[str, str] | None = None) -> dict[str, str]:
    """Assign subjects to ``SPLIT_NAMES`` sides.

    Args:
        subject_sites: subject id -> site.
        fractions: (train, val, test) shares, summing to more than 0.
        seed: seed of the shuffles.
        existing: a previous assignment; its subjects keep their side.

    Returns:
        subject id -> side, for the previous subjects and every subject of ``subject_sites``.
    """
    existing = dict(existing or {})
    new = {s: site for s, site in subject_sites.items() if s not in existing}
    by_site: dict[str, list[str]] = {}
    for subject, site in new.items():
        by_site.setdefault(site, []).append(subject)
    order = _site_order(by_site, seed)
    counts = np.array([sum(v == name for v in existing.values()) for name in SPLIT_NAMES])
    total = int(counts.sum()) + len(order)
    quotas = np.array(_quotas(total, fractions), float)
    shares = quotas / max(total, 1)
    result = dict(existing)
    for subject in order:
        # the side furthest behind its share of the subjects assigned so far, among sides
        # still below their quota; ties go to the earlier side (train, then val)
        deficit = shares * (counts.sum() + 1) - counts
        deficit[counts >= quotas] = -np.inf
        if np.all(np.isinf(deficit)):  # old subjects already exceed the quotas
            deficit = shares * (counts.sum() + 1) - counts
        side = int(np.argmax(deficit))
        result[subject] = SPLIT_NAMES[side]
        counts[side] += 1
    return result


def splits_document(assignment: Mapping[str, str], fractions: Sequence[float], seed: int) -> dict:
    """JSON content of ``splits.json`` (subjects sorted, per-side lists for reading by eye)."""
    return {
        "version": SPLITS_VERSION,
        "seed": seed,
        "fractions": [float(f) for f in fractions],
        "subjects": {s: assignment[s] for s in sorted(assignment)},
        "sides": {name: sorted(s for s, v in assignment.items() if v == name)
                  for name in SPLIT_NAMES},
    }


def check_no_overlap(sides: Mapping[str, Iterable[str]]) -> None:
    """Raise ``ValueError`` if a subject appears on two sides."""
    seen: dict[str, str] = {}
    for side, subjects in sides.items():
        for subject in subjects:
            if subject in seen and seen[subject] != side:
                raise ValueError(f"subject {subject} is on both {seen[subject]} and {side}")
            seen[subject] = side
