"""The network: the stacked hourglass with multi-level attention (:mod:`.hourglass`), its loss
(:mod:`.loss`), checkpoints that rebuild it (:mod:`.checkpoint`) and the device it runs on
(:mod:`.device`). Needs PyTorch.

May import: :mod:`disclabel.data`, :mod:`disclabel.constants`, :mod:`disclabel.version`.
"""
