"""Labelling a volume: the :class:`~.labeler.Labeler` (:mod:`.labeler`), which reads a volume
(:mod:`.volumes`), runs the network with ONNX Runtime (:mod:`.onnxnet`) or PyTorch
(:mod:`.torchnet`), chosen by :mod:`.runtime`, decodes the heatmaps into one numbered chain
(:mod:`.chain`, with the spacing prior of :mod:`.spacing`; :mod:`.explain` puts the numbering
vote in words) and writes the label file (:mod:`.output`).

May import: :mod:`disclabel.model` (only :mod:`.torchnet` does, when PyTorch runs the network),
:mod:`disclabel.data`, :mod:`disclabel.constants`, :mod:`disclabel.version`. Nothing here
imports torch unless PyTorch is asked to run the network.
"""
