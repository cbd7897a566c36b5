"""The shipped model's size and training recipe, in one place (``make model`` trains with it,
the accuracy report's leave-one-subject-out models too).

Each entry is a list of ``main.py`` flags; see docs/model-card.md for why each was chosen.
"""

from __future__ import annotations

MODEL_ARGS: list[str] = ["--stacks", "1", "--blocks", "1", "--features", "64", "--att", "true"]
"""1 stack of 64 features with multi-level attention: it beat 2 stacks in leave-one-subject-out
plus robustness, and 128 features did not beat it at twice the label.py time
(docs/experiments.md)."""

TRAIN_ARGS: list[str] = [
    "--solver", "adam", "--lr", "1e-3", "--train-batch", "8",
    "--epochs", "60", "--schedule", "45",
    "--synthetic-ratio", "0.5", "--synthetic-pool", "3000", "--real-repeat", "4",
    "--oblique-ratio", "0.5",
    "--synthetic-style", "v10", "--negative-ratio", "0.05", "--val-every", "10", "--seed", "42",
    "--fast", "true",
]
"""Adam 1e-3 for 45 epochs then 1e-4 for 15; each epoch shows every real training sample 4 times (a
fresh 256 x 256 window and augmentation each time), as many sagittal slices of the real training
volumes changed in 3-D (tilted, rotated, bent into a lateral curve; ``--oblique-ratio 0.5``,
:mod:`disclabel.data.oblique`), and as many synthetic windows as those two together, drawn from a
pool of 3000 kept in memory. Synthetic style v10: the lower cervical levels as tall as in the
real volumes, 20 % of the synthetic windows without a spine (the head above the atlas or
random shapes and bands), and 30 % of the spine windows cut along a surface that the spine
leaves and re-enters; 5 % of the real items are replaced by noise or a constant. The fast path
(``--fast true``: bf16 autocast and channels-last on a CPU with bf16, plus CUDA graphs on a
GPU) gave the fp32 recipe's leave-one-subject-out accuracy in half the time. Every change
tried to this recipe, and what it gave, is in docs/experiments.md; the runs behind them in
docs/accuracy.md."""


PREPARE_ARGS: list[str] = ["--pixel-mm", "1.0"]
"""Prepared data: 1 mm pixels, each field of view whole."""


def flag_value(args: list[str], flag: str) -> str:
    """The value that follows ``flag`` in a list of ``main.py`` flags (its last occurrence, the
    one that ``main.py`` keeps)."""
    return args[len(args) - args[::-1].index(flag)]


def recipe_args(epochs: int | None = None) -> list[str]:
    """MODEL_ARGS + TRAIN_ARGS, with another number of epochs (the schedule scaled with it)."""
    out = MODEL_ARGS + TRAIN_ARGS
    if epochs is None:
        return out
    total, milestone = int(flag_value(out, "--epochs")), int(flag_value(out, "--schedule"))
    out[out.index("--epochs") + 1] = str(epochs)
    out[out.index("--schedule") + 1] = str(max(1, round(milestone * epochs / total)))
    return out
