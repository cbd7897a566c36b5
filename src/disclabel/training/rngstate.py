"""Every random stream of a training run, captured into a checkpoint and restored on resume, so
that a resumed run continues the run it resumes (bit-identical weights on the CPU).

Streams: Python's ``random``, NumPy's global generator, torch's CPU (and CUDA) generators, the
training loader's generator (the data order), and each dataset's and each augmentation
transform's own ``numpy.random.Generator``. Synthetic samples are seeded by (seed, epoch, index)
or (seed, pool index) and need no state. The captured state holds only tensors and plain Python
values, so that checkpoints still load with ``weights_only=True``.
"""

from __future__ import annotations

import random
from collections.abc import Iterable

import numpy as np
import torch

from disclabel.data.io import InputError


def dataset_generators(parts: Iterable[object]) -> list[np.random.Generator]:
    """The NumPy generators of datasets (``rng``) and of their augmenters' transforms, in a
    fixed order."""
    out = []
    for part in parts:
        if isinstance(getattr(part, "rng", None), np.random.Generator):
            out.append(part.rng)
        augment = getattr(part, "augment", None)
        out += [t.rng for t in getattr(augment, "transforms", [])]
    return out


def capture(parts: Iterable[object], loader_generator: torch.Generator) -> dict:
    """The state of every stream (see the module docstring)."""
    legacy = np.random.get_state(legacy=False)
    return {
        "python": random.getstate(),
        "numpy": {**legacy, "state": {"key": torch.from_numpy(
            legacy["state"]["key"].astype(np.int64)), "pos": int(legacy["state"]["pos"])}},
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_initialized() else [],
        "loader": loader_generator.get_state(),
        "streams": [g.bit_generator.state for g in dataset_generators(parts)],
    }


def restore(state: dict, parts: Iterable[object], loader_generator: torch.Generator,
            source: str) -> None:
    """Put every stream back as :func:`capture` found it; ``source`` names the checkpoint in
    errors (a run resumed with other data or augmentation settings cannot continue exactly)."""
    generators = dataset_generators(parts)
    if len(generators) != len(state["streams"]):
        raise InputError(f"{source}: saved with {len(state['streams'])} data streams, this run "
                         f"has {len(generators)} (resume with the same data and settings)")
    random.setstate(state["python"])
    legacy = state["numpy"]
    np.random.set_state({**legacy, "state": {
        "key": legacy["state"]["key"].numpy().astype(np.uint32), "pos": legacy["state"]["pos"]}})
    torch.set_rng_state(state["torch"])
    if state["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
    loader_generator.set_state(state["loader"])
    for generator, saved in zip(generators, state["streams"], strict=True):
        generator.bit_generator.state = saved
