"""Data: everything between files on disk and the arrays a network sees.

Reading and writing (:mod:`.io`), geometry and reorientation (:mod:`.geometry`), the BIDS
manifest (:mod:`.manifest`), subject-level splits (:mod:`.splits`), prepared 2-D samples
(:mod:`.prepare`), heatmap targets and peak decoding in NumPy (:mod:`.heatmaps`), training windows
(:mod:`.windows`); and, with PyTorch, datasets (:mod:`.dataset`), augmentation
(:mod:`.augment`) and targets rendered on the device (:mod:`.targets`).

May import: :mod:`disclabel.constants` and :mod:`disclabel.version` only. Labelling needs
only its NumPy modules, so that it runs without torch.
"""
