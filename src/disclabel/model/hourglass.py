"""Stacked hourglass network with multi-level attention (DESIGN section 1).

Input images are ``(B, in_channels, H, W)`` with ``H`` and ``W`` divisible by
``OUTPUT_STRIDE * 2**depth`` (64 for the default depth 4). Every stack outputs raw scores (no
sigmoid) of shape ``(B, num_discs, H / OUTPUT_STRIDE, W / OUTPUT_STRIDE)``; channel ``c`` is disc
number ``c + 1``. With attention, the last output is the attended one.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import pairwise
from typing import Any

import torch
from torch import Tensor, nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

from disclabel.constants import NUM_DISCS, OUTPUT_STRIDE

STEM_KERNEL: int = 7
"""Kernel size of the stride-2 stem convolution."""
ATTENTION_WIDTHS: tuple[int, ...] = (128, 16, 8)
"""Hidden widths of the point-wise attention MLP; its last layer maps to one channel."""
DEFAULT_CONFIG: dict[str, Any] = {
    "stacks": 2, "blocks": 1, "features": 256, "in_channels": 1,
    "num_discs": NUM_DISCS, "attention": True, "depth": 4,
}
"""Constructor arguments of :class:`StackedHourglass` and their defaults."""


def _bn_relu_conv(c_in: int, c_out: int, kernel: int, bias: bool) -> list[nn.Module]:
    """Pre-activation unit: BN, ReLU, then a same-padded ``kernel x kernel`` convolution.

    ``bias=False`` where a BN follows (its shift makes a bias redundant).
    """
    return [nn.BatchNorm2d(c_in), nn.ReLU(inplace=True),
            nn.Conv2d(c_in, c_out, kernel, padding=kernel // 2, bias=bias)]


def _conv_bn_relu(c_in: int, c_out: int) -> nn.Sequential:
    """Point-wise 1x1 convolution, BN, ReLU: ``(B, c_in, H, W) -> (B, c_out, H, W)``."""
    return nn.Sequential(nn.Conv2d(c_in, c_out, 1, bias=False), nn.BatchNorm2d(c_out),
                         nn.ReLU(inplace=True))


class Bottleneck(nn.Module):
    """Pre-activation bottleneck: ``(B, c_in, H, W) -> (B, c_out, H, W)``.

    BN-ReLU-1x1 (c_in -> c_out/2), BN-ReLU-3x3, BN-ReLU-1x1 (-> c_out), plus an identity shortcut
    (or a 1x1 projection when ``c_in != c_out``).
    """

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        mid = c_out // 2
        self.body = nn.Sequential(*_bn_relu_conv(c_in, mid, 1, bias=False),
                                  *_bn_relu_conv(mid, mid, 3, bias=False),
                                  *_bn_relu_conv(mid, c_out, 1, bias=True))
        self.skip = nn.Identity() if c_in == c_out else nn.Conv2d(c_in, c_out, 1)

    def forward(self, x: Tensor) -> Tensor:
        return self.body(x) + self.skip(x)


def _bottlenecks(channels: int, count: int) -> nn.Sequential:
    """``count`` shape-preserving bottlenecks: ``(B, C, H, W) -> (B, C, H, W)``."""
    return nn.Sequential(*(Bottleneck(channels, channels) for _ in range(count)))


class Hourglass(nn.Module):
    """Recursive hourglass of ``depth`` levels: ``(B, C, H, W) -> (B, C, H, W)``.

    Upper branch: ``blocks`` bottlenecks at full resolution. Lower branch: max-pool, ``blocks``
    bottlenecks, the next-deeper hourglass (``blocks`` bottlenecks at the bottom), ``blocks``
    bottlenecks, nearest x2 upsample. The branches are added; ``H, W`` must be divisible by
    ``2**depth``.
    """

    def __init__(self, depth: int, channels: int, blocks: int) -> None:
        super().__init__()
        self.upper = _bottlenecks(channels, blocks)
        self.down = nn.Sequential(nn.MaxPool2d(2), _bottlenecks(channels, blocks))
        self.inner = (Hourglass(depth - 1, channels, blocks) if depth > 1
                      else _bottlenecks(channels, blocks))
        self.up = nn.Sequential(_bottlenecks(channels, blocks),
                                nn.Upsample(scale_factor=2, mode="nearest"))

    def forward(self, x: Tensor) -> Tensor:
        return self.upper(x) + self.up(self.inner(self.down(x)))


class MultiLevelAttention(nn.Module):
    """Spatial attention from all stacks' features: ``(B, C_all, H, W) -> (B, 1, H, W)`` in [0, 1].

    A point-wise MLP of 1x1 convolutions (``C_all -> 128 -> 16 -> 8 -> 1``, BN+ReLU between,
    sigmoid at the end).
    """

    def __init__(self, c_in: int) -> None:
        super().__init__()
        widths = (c_in, *ATTENTION_WIDTHS)
        self.mlp = nn.Sequential(*(_conv_bn_relu(a, b) for a, b in pairwise(widths)),
                                 nn.Conv2d(widths[-1], 1, 1), nn.Sigmoid())

    def forward(self, x: Tensor) -> Tensor:
        return self.mlp(x)


class StackedHourglass(nn.Module):
    """Stacked hourglass with intermediate supervision and optional multi-level attention.

    ``forward``: ``(B, in_channels, H, W) -> [(B, num_discs, H/4, W/4)] * stacks`` raw scores.
    After a forward with attention, ``last_attention`` holds the detached ``(B, 1, H/4, W/4)`` map.
    """

    def __init__(self, stacks: int = 2, blocks: int = 1, features: int = 256, in_channels: int = 1,
                 num_discs: int = NUM_DISCS, attention: bool = True, depth: int = 4) -> None:
        super().__init__()
        if min(stacks, blocks, in_channels, num_discs, depth) < 1 or features < 4 or features % 4:
            raise ValueError("stacks, blocks, in_channels, num_discs and depth must be >= 1 and "
                             f"features a positive multiple of 4; got stacks={stacks}, "
                             f"blocks={blocks}, features={features}, in_channels={in_channels}, "
                             f"num_discs={num_discs}, depth={depth}")
        self.config: dict[str, Any] = {
            "stacks": stacks, "blocks": blocks, "features": features, "in_channels": in_channels,
            "num_discs": num_discs, "attention": bool(attention), "depth": depth,
        }
        self.last_attention: Tensor | None = None
        quarter, half = features // 4, features // 2
        self.stem = nn.Sequential(  # stride 2 conv + stride 2 pool = OUTPUT_STRIDE
            nn.Conv2d(in_channels, quarter, STEM_KERNEL, stride=2, padding=STEM_KERNEL // 2,
                      bias=False),
            nn.BatchNorm2d(quarter), nn.ReLU(inplace=True), Bottleneck(quarter, half),
            nn.MaxPool2d(2), Bottleneck(half, half), Bottleneck(half, features))
        self.hourglasses = nn.ModuleList(Hourglass(depth, features, blocks) for _ in range(stacks))
        self.heads = nn.ModuleList(
            nn.Sequential(_bottlenecks(features, blocks), _conv_bn_relu(features, features))
            for _ in range(stacks))
        self.scores = nn.ModuleList(nn.Conv2d(features, num_discs, 1) for _ in range(stacks))
        self.merge_features = nn.ModuleList(
            nn.Conv2d(features, features, 1) for _ in range(stacks - 1))
        self.merge_scores = nn.ModuleList(
            nn.Conv2d(num_discs, features, 1) for _ in range(stacks - 1))
        self.attention = MultiLevelAttention(stacks * features) if attention else None

    def forward(self, x: Tensor) -> list[Tensor]:
        granule = OUTPUT_STRIDE * 2 ** self.config["depth"]
        if x.ndim != 4 or x.shape[-2] % granule or x.shape[-1] % granule:
            raise ValueError(f"expected (B, C, H, W) with H, W divisible by {granule}; "
                             f"got {tuple(x.shape)}")
        x = self.stem(x)
        outputs: list[Tensor] = []
        head_features: list[Tensor] = []
        last = len(self.hourglasses) - 1
        for i, (hourglass, head) in enumerate(zip(self.hourglasses, self.heads, strict=True)):
            feat = head(hourglass(x))
            head_features.append(feat)
            if i == last and self.attention is not None:
                att = self.attention(torch.cat(head_features, dim=1))
                self.last_attention = att.detach()
                feat = feat * att
            score = self.scores[i](feat)
            outputs.append(score)
            if i < last:
                x = x + self.merge_features[i](feat) + self.merge_scores[i](score)
        return outputs


def build_model(config: Mapping[str, Any]) -> StackedHourglass:
    """Build a :class:`StackedHourglass` from a config mapping (e.g. ``model.config``).

    Missing keys take the defaults of ``DEFAULT_CONFIG``; unknown keys raise ``ValueError``.
    """
    unknown = sorted(set(config) - set(DEFAULT_CONFIG))
    if unknown:
        raise ValueError(f"unknown model config keys: {unknown}; "
                         f"allowed: {sorted(DEFAULT_CONFIG)}")
    return StackedHourglass(**{**DEFAULT_CONFIG, **config})


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters of ``model``."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def fold_batchnorm(model: nn.Module) -> nn.Module:
    """Turn ``model`` (in place, put in eval mode; returned) into an inference model: every BN
    that directly follows a convolution in an ``nn.Sequential`` is folded into that convolution
    (PyTorch's ``fuse_conv_bn_eval``) and replaced by an identity. The same outputs up to float
    rounding, with fewer memory-bound passes. The BNs that open a pre-activation unit (BN, ReLU,
    conv) have no convolution before them and stay. Not for training."""
    model.eval()
    for module in model.modules():
        if not isinstance(module, nn.Sequential):
            continue
        names = list(module._modules)
        for first, second in pairwise(names):
            conv, norm = module._modules[first], module._modules[second]
            if isinstance(conv, nn.Conv2d) and isinstance(norm, nn.BatchNorm2d):
                module._modules[first] = fuse_conv_bn_eval(conv, norm)
                module._modules[second] = nn.Identity()
    return model
