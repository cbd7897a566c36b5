"""The whole training step in one CUDA graph: part of the fast path on a CUDA GPU.

An eager step launches a few thousand small kernels (forward, loss, backward, optimiser), and
PyTorch spends microseconds of host time on each: on a fast GPU the step then waits for Python,
whatever the model's size (the first H200 run, docs/speed.md: about 300 images/s for every model and
precision). Replaying a captured graph launches them all at once, so that a step costs what the
GPU needs.

It follows PyTorch's whole-network capture recipe (``torch.cuda.graph``): a few warm-up steps on
a side stream (cuDNN autotuning, the optimiser's state), then forward, loss, backward and
optimiser step captured once on static input tensors; every later batch is copied into those and
the graph replayed. What a graph cannot change is handled so:

* the learning rate is a constant of the captured optimiser step: a change (the schedule's
  milestones, a resumed run) triggers a new capture;
* the batch shape is fixed: a batch of another shape runs eagerly;
* a gradient scaler (fp16) reads its overflow flag on the host: such runs stay eager
  (:func:`disclabel.training.fastpath.choose_fast_path` turns graphs off there);
* the optimiser must be made with ``capturable=True``
  (:func:`disclabel.training.config.make_optimizer` and ``configure_optimizer`` do so);
* cuDNN's autotuning (``cudnn.benchmark``) would run its trial kernels inside the capture, which
  a graph cannot hold (on an H100: "FIND was unable to find an engine"), so it is off while
  capturing and cuDNN's heuristics choose the captured convolutions (on an H200, keeping it
  on in the capture gave the same speed: docs/speed.md);
* a network compiled with ``torch.compile`` (``--compile true``) compiles during the warm-up; the
  capture holds its generated kernels (fewer than eager mode's: elementwise work fused).

A capture that fails leaves the GPU stream unusable for the process: the error says so and
names ``--cuda-graphs false``.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from disclabel.constants import SIGMA_MM
from disclabel.training.fastpath import FastPath, to_device
from disclabel.training.step import eager_step, step_loss

WARMUP_STEPS = 3
"""Eager steps before the capture (PyTorch's recipe: cuDNN autotuning and lazily made state
happen outside the graph)."""


class CudaGraphStep:
    """A callable training step ``(batch) -> loss`` (a 0-d tensor on the GPU) that runs as a
    replayed CUDA graph after :data:`WARMUP_STEPS` eager ones.

    ``model`` is the module the step calls (a compiled one too). ``batch`` is a loader batch
    (``image`` (B, 1, H, W), ``keypoints`` (B, D, 2) (row, col) in input pixels, ``weight``
    (B, D), ``pixel_mm`` (B,)); targets are rendered from the keypoints inside the graph.
    The warm-up and batches of another shape use :func:`disclabel.training.step.eager_step`.
    ``captures``, ``replays`` and ``eager_steps`` count what ran.
    """

    def __init__(self, model: nn.Module, optimizer: torch.optim.Optimizer,
                 device: torch.device, fast: FastPath, foreground_weight: float = 0.0,
                 sigma_mm: float = SIGMA_MM, identity_weight: float = 0.0,
                 consistency_weight: float = 0.0) -> None:
        self.model, self.optimizer, self.device, self.fast = model, optimizer, device, fast
        self.foreground_weight, self.sigma_mm = foreground_weight, sigma_mm
        self.identity_weight, self.consistency_weight = identity_weight, consistency_weight
        self.graph: torch.cuda.CUDAGraph | None = None
        self.stream: torch.cuda.Stream | None = None
        self.static: dict[str, Tensor] | None = None
        self.loss: Tensor | None = None
        self.captured_lr: tuple[float, ...] | None = None
        self.eager_steps = 0
        self.captures = 0
        self.replays = 0

    def _lr(self) -> tuple[float, ...]:
        return tuple(float(group["lr"]) for group in self.optimizer.param_groups)

    def _eager(self, batch: dict[str, Tensor]) -> Tensor:
        self.eager_steps += 1
        # after a capture the gradients are the graph's tensors: zero them in place
        return eager_step(self.model, batch, self.optimizer, self.device, self.fast,
                          foreground_weight=self.foreground_weight, sigma_mm=self.sigma_mm,
                          set_to_none=self.static is None,
                          identity_weight=self.identity_weight,
                          consistency_weight=self.consistency_weight)

    def _side_stream(self) -> torch.cuda.Stream:
        """The stream of the warm-up and of every capture (one stream for both, so that
        per-stream library handles and workspaces exist before a capture)."""
        if self.stream is None:
            self.stream = torch.cuda.Stream(self.device)
        return self.stream

    def _warmup(self, batch: dict[str, Tensor]) -> Tensor:
        side = self._side_stream()
        side.wait_stream(torch.cuda.current_stream(self.device))
        with torch.cuda.stream(side):
            loss = self._eager(batch)
        torch.cuda.current_stream(self.device).wait_stream(side)
        return loss

    def _capture(self, batch: dict[str, Tensor]) -> None:
        if self.static is None:
            # the image in the very layout (strides too) that the eager steps gave the
            # network: a compiled network's code is guarded on its inputs' strides
            self.static = {key: batch[key].to(self.device).clone()
                           for key in ("keypoints", "weight", "pixel_mm")}
            self.static["image"] = to_device(batch["image"], self.device, self.fast).clone()
        self._copy_in(batch)
        self.graph = None
        self.optimizer.zero_grad(set_to_none=True)  # gradients from the graph's own pool
        torch.cuda.synchronize(self.device)
        graph = torch.cuda.CUDAGraph()
        autotune = torch.backends.cudnn.benchmark
        torch.backends.cudnn.benchmark = False
        try:
            # thread_local: the loader's pin-memory thread may call CUDA while this one captures
            with torch.cuda.graph(graph, stream=self._side_stream(),
                                  capture_error_mode="thread_local"):
                loss = step_loss(self.model, self.static, self.device, self.fast,
                                 self.foreground_weight, self.sigma_mm,
                                 identity_weight=self.identity_weight,
                          consistency_weight=self.consistency_weight)
                loss.backward()
                self.optimizer.step()
        except RuntimeError as error:
            raise RuntimeError(f"CUDA graph capture of the training step failed "
                               f"({str(error).splitlines()[0]}); train with --cuda-graphs "
                               "false") from error
        finally:
            torch.backends.cudnn.benchmark = autotune
        self.graph, self.loss, self.captured_lr = graph, loss.detach(), self._lr()
        self.captures += 1

    def _copy_in(self, batch: dict[str, Tensor]) -> None:
        for key, static in self.static.items():
            static.copy_(batch[key], non_blocking=True)

    def _fits(self, batch: dict[str, Tensor]) -> bool:
        return self.static is None or all(batch[key].shape == static.shape
                                          for key, static in self.static.items())

    def __call__(self, batch: dict[str, Tensor]) -> Tensor:
        if not self._fits(batch):
            return self._eager(batch)
        if self.graph is None and self.eager_steps < WARMUP_STEPS:
            return self._warmup(batch)
        if self.graph is None or self._lr() != self.captured_lr:
            self._capture(batch)
        else:
            self._copy_in(batch)
        self.graph.replay()
        self.replays += 1
        return self.loss.clone()
