"""Measuring accuracy: label-aware and original-compatible metrics as pure functions
(:mod:`.metrics`), the validation shared by training and testing (:mod:`.validate`), and the
scoring of a checkpoint on a prepared split or of a labeler on volumes (:mod:`.scoring`).

May import: :mod:`disclabel.viz`, :mod:`disclabel.labeling`, :mod:`disclabel.model`,
:mod:`disclabel.data`, :mod:`disclabel.constants`, :mod:`disclabel.version`.
"""
