"""Pictures: QC pictures of labelled volumes (:mod:`.qc`), pictures of predictions and attention
maps on prepared samples (:mod:`.figures`), animations (:mod:`.animation`), all drawn on
:mod:`.canvas`; matplotlib and PIL are imported when a picture is drawn.

May import: :mod:`disclabel.labeling` (its result types), :mod:`disclabel.data`,
:mod:`disclabel.constants`, :mod:`disclabel.version`.
"""
