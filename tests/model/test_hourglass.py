"""Tests for disclabel.model.hourglass: shapes, gradients, attention and config round-trips."""

from __future__ import annotations

import copy
import itertools

import pytest
import torch

from disclabel.constants import NUM_DISCS, OUTPUT_STRIDE
from disclabel.model.hourglass import (
    DEFAULT_CONFIG,
    MultiLevelAttention,
    StackedHourglass,
    build_model,
    count_parameters,
    fold_batchnorm,
)

SMALL_FEATURES = 32
SMALL_SIZE = 64
BATCH = 2
DEFAULT_PARAMS_RANGE = (6_000_000, 7_200_000)


def _small(**overrides: object) -> StackedHourglass:
    torch.manual_seed(0)
    return StackedHourglass(**{"features": SMALL_FEATURES, **overrides})


def _input(batch: int = BATCH, size: int = SMALL_SIZE, channels: int = 1) -> torch.Tensor:
    return torch.randn(batch, channels, size, size, generator=torch.Generator().manual_seed(1))


@pytest.mark.parametrize(("stacks", "blocks", "attention"),
                         list(itertools.product((1, 2, 3), (1, 2), (True, False))))
def test_output_shapes_and_finite(stacks: int, blocks: int, attention: bool) -> None:
    model = _small(stacks=stacks, blocks=blocks, attention=attention)
    outputs = model(_input())
    side = SMALL_SIZE // OUTPUT_STRIDE
    assert len(outputs) == stacks
    for out in outputs:
        assert out.shape == (BATCH, NUM_DISCS, side, side)
        assert torch.isfinite(out).all()
    if attention:
        assert model.last_attention is not None
        assert model.last_attention.shape == (BATCH, 1, side, side)
        assert not model.last_attention.requires_grad
    else:
        assert model.last_attention is None


@pytest.mark.parametrize(("in_channels", "num_discs", "size"), [(2, 7, 64), (1, 3, 128)])
def test_channels_and_non_square_sizes(in_channels: int, num_discs: int, size: int) -> None:
    model = _small(in_channels=in_channels, num_discs=num_discs)
    x = torch.randn(1, in_channels, size, SMALL_SIZE)
    model.eval()
    with torch.no_grad():
        outputs = model(x)
    assert [o.shape for o in outputs] == [
        (1, num_discs, size // OUTPUT_STRIDE, SMALL_SIZE // OUTPUT_STRIDE)] * 2


def test_input_size_not_divisible_raises() -> None:
    with pytest.raises(ValueError, match="divisible"):
        _small()(torch.randn(1, 1, SMALL_SIZE + 16, SMALL_SIZE))


def test_features_used_everywhere() -> None:
    model = _small()
    quarter, half = SMALL_FEATURES // 4, SMALL_FEATURES // 2
    convs = [m for m in model.stem.modules() if isinstance(m, torch.nn.Conv2d)]
    assert convs[0].out_channels == quarter
    assert max(c.out_channels for c in convs) == SMALL_FEATURES
    assert {c.out_channels for c in convs} == {quarter, half, SMALL_FEATURES}
    assert count_parameters(model) < count_parameters(StackedHourglass()) / 20


def test_default_model_size_and_shape() -> None:
    model = StackedHourglass()
    n_params = count_parameters(model)
    assert DEFAULT_PARAMS_RANGE[0] <= n_params <= DEFAULT_PARAMS_RANGE[1]
    model.eval()
    with torch.no_grad():
        outputs = model(torch.randn(1, 1, 256, 256))
    assert [o.shape for o in outputs] == [(1, NUM_DISCS, 64, 64)] * 2


@pytest.mark.parametrize("attention", [True, False])
def test_every_parameter_gets_finite_gradient(attention: bool) -> None:
    model = _small(stacks=2, attention=attention)
    model.train()
    loss = sum(out.pow(2).mean() for out in model(_input()))
    loss.backward()
    for name, param in model.named_parameters():
        assert param.grad is not None, name
        assert torch.isfinite(param.grad).all(), name
    n_nonzero = sum(int(p.grad.abs().sum() > 0) for p in model.parameters())
    assert n_nonzero == len(list(model.parameters()))


def test_no_attention_parameters_without_attention() -> None:
    model = _small(attention=False)
    assert model.attention is None
    assert not any(isinstance(m, MultiLevelAttention) for m in model.modules())
    assert not any(name.startswith("attention") for name, _ in model.named_parameters())
    with_att = _small(attention=True)
    assert count_parameters(with_att) > count_parameters(model)


def test_attention_map_in_unit_interval_and_applied() -> None:
    model = _small(stacks=2)
    model.eval()
    with torch.no_grad():
        outputs = model(_input() * 10.0)
    att = model.last_attention
    assert att is not None
    assert float(att.min()) >= 0.0 and float(att.max()) <= 1.0
    # The last output is the attended one: forcing the attention to one changes it.
    torch.nn.init.constant_(model.attention.mlp[-2].weight, 0.0)
    torch.nn.init.constant_(model.attention.mlp[-2].bias, 1e4)
    with torch.no_grad():
        unattended = model(_input() * 10.0)
    assert torch.equal(unattended[0], outputs[0])
    assert not torch.allclose(unattended[-1], outputs[-1])


@pytest.mark.parametrize("config", [
    {},
    {"stacks": 3, "blocks": 2, "features": 16, "in_channels": 2, "num_discs": 5,
     "attention": False, "depth": 2},
])
def test_build_model_round_trips_config(config: dict) -> None:
    model = build_model(config)
    assert model.config == {**DEFAULT_CONFIG, **config}
    rebuilt = build_model(model.config)
    assert rebuilt.config == model.config
    assert count_parameters(rebuilt) == count_parameters(model)
    rebuilt.load_state_dict(model.state_dict(), strict=True)


def test_build_model_rejects_unknown_keys() -> None:
    with pytest.raises(ValueError, match="nstack"):
        build_model({"stacks": 2, "nstack": 2})


@pytest.mark.parametrize("bad", [{"stacks": 0}, {"features": 30}, {"depth": 0}])
def test_invalid_arguments_raise(bad: dict) -> None:
    with pytest.raises(ValueError):
        build_model({"features": SMALL_FEATURES, **bad})


def test_attention_state_dict_does_not_load_into_plain_model() -> None:
    with_att = _small(attention=True)
    plain = _small(attention=False)
    with pytest.raises(RuntimeError, match="attention"):
        plain.load_state_dict(with_att.state_dict(), strict=True)
    with pytest.raises(RuntimeError, match="attention"):
        with_att.load_state_dict(plain.state_dict(), strict=True)


@pytest.mark.parametrize("stacks", [1, 2])
def test_folded_batchnorm_gives_the_same_outputs(stacks: int) -> None:
    """label.py's inference copy: BNs after convolutions folded into them, same scores."""
    torch.manual_seed(0)
    model = build_model({"stacks": stacks, "features": 16, "depth": 2})
    with torch.no_grad():  # BN statistics and affine parameters far from their initial values
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.uniform_(-1, 1)
                module.running_var.uniform_(0.2, 3)
                module.weight.uniform_(0.5, 2)
                module.bias.uniform_(-1, 1)
    model.eval()
    folded = fold_batchnorm(copy.deepcopy(model))
    kinds = [type(m) for m in folded.modules()]
    assert kinds.count(torch.nn.BatchNorm2d) < [type(m) for m in model.modules()].count(
        torch.nn.BatchNorm2d)
    assert any(isinstance(m, torch.nn.BatchNorm2d) for m in model.modules())  # the original kept
    x = torch.rand(2, 1, 64, 96)
    with torch.no_grad():
        for a, b in zip(model(x), folded(x), strict=True):
            assert torch.allclose(a, b, atol=1e-4, rtol=1e-4)
            assert a.abs().max() > 1e-2
