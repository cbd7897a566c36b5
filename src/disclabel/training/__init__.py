"""Training: the configuration and what is built from it (:mod:`.config`), the loop with its
validation, logs and checkpoints (:mod:`.loop`), one step (:mod:`.step`), the fast path
(:mod:`.fastpath`) and the step replayed as a CUDA graph (:mod:`.cuda_graph`), multi-process
training (:mod:`.distributed`), random-state capture for exact resuming (:mod:`.rngstate`),
clean interruption (:mod:`.interrupt`), and the shipped model's recipe (:mod:`.recipe`).

May import every stage below it: :mod:`disclabel.evaluation`, :mod:`disclabel.viz`,
:mod:`disclabel.labeling`, :mod:`disclabel.synthetic`, :mod:`disclabel.model`,
:mod:`disclabel.data`, :mod:`disclabel.constants`, :mod:`disclabel.version`.
"""
