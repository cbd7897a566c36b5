"""The training fast path: which parts apply where, and the CUDA-graph training step.

The CUDA tests run only where a GPU is present (``tools/gpu_check.sh`` runs this file there);
on a CPU they are skipped and the rest pins down what the fast path chooses."""

from __future__ import annotations

import copy

import pytest
import torch

from disclabel.constants import AUTO_WORKERS_MAX, NUM_DISCS
from disclabel.model.hourglass import build_model
from disclabel.training.config import TrainConfig, configure_optimizer, make_optimizer
from disclabel.training.cuda_graph import WARMUP_STEPS, CudaGraphStep
from disclabel.training.distributed import loader_workers, local_processes
from disclabel.training.fastpath import FastPath, choose_fast_path
from disclabel.training.step import eager_step, train_one_epoch

cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


def test_no_cuda_graphs_on_a_cpu_and_no_half_precision_without_bf16(monkeypatch):
    cpu = torch.device("cpu")
    assert not choose_fast_path(cpu).graphs and not choose_fast_path(cpu).fused
    assert choose_fast_path(cpu, fast=False) == FastPath()
    monkeypatch.setattr("disclabel.training.fastpath.cpu_has_bf16", lambda: False)
    assert choose_fast_path(cpu).dtype is None
    with pytest.raises(ValueError, match="bf16"):
        choose_fast_path(cpu, amp="bf16")
    with pytest.raises(ValueError, match="fp16"):
        choose_fast_path(cpu, amp="fp16")


def test_auto_loader_workers_none_on_a_cpu_and_the_free_cores_on_a_gpu(monkeypatch):
    cpu, gpu = torch.device("cpu"), torch.device("cuda", 0)
    assert loader_workers("auto", cpu, cores=64) == 0
    assert loader_workers(3, cpu) == 3 and loader_workers(0, gpu, cores=64) == 0
    assert loader_workers("auto", gpu, cores=64) == AUTO_WORKERS_MAX
    assert loader_workers("auto", gpu, cores=4) == 3  # one core left to the training process
    assert loader_workers("auto", gpu, cores=1) == 0
    assert loader_workers("auto", gpu, processes=4, cores=16) == 3  # torchrun, 4 GPUs
    assert loader_workers("auto", gpu, processes=8, cores=8) == 0
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "4")
    assert local_processes() == 4
    monkeypatch.delenv("LOCAL_WORLD_SIZE")
    assert local_processes() == 1


def test_cuda_graphs_without_scaler_and_with_or_without_compile(monkeypatch):
    gpu = torch.device("cuda")
    # choose_fast_path turns cuDNN autotuning on for CUDA: restored after the test
    monkeypatch.setattr(torch.backends.cudnn, "benchmark", torch.backends.cudnn.benchmark)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)
    assert choose_fast_path(gpu).graphs
    assert "CUDA graphs" in choose_fast_path(gpu).describe()
    assert not choose_fast_path(gpu, graphs=False).graphs
    assert choose_fast_path(gpu).fused and "fused optimiser" in choose_fast_path(gpu).describe()
    compiled = choose_fast_path(gpu, compile_model=True)
    assert compiled.graphs and compiled.compile
    fp16 = choose_fast_path(gpu, amp="fp16")
    assert fp16.scaler and not fp16.graphs


@pytest.mark.parametrize("solver", ["adam", "rms", "adamw"])
def test_optimizer_made_capturable_and_fused_after_loading_a_plain_state(solver):
    model = build_model({"stacks": 1, "features": 8, "attention": False})
    plain = make_optimizer(TrainConfig(solver=solver), model)
    model(torch.rand(2, 1, 64, 64))[0].sum().backward()
    plain.step()
    graphed = FastPath(graphs=True, fused=True)
    resumed = make_optimizer(TrainConfig(solver=solver), model, graphed)
    if solver != "rms":  # RMSprop has no fused implementation
        assert resumed.param_groups[0]["fused"]
    resumed.load_state_dict(plain.state_dict())  # a checkpoint written without graphs
    assert not resumed.param_groups[0]["capturable"]
    configure_optimizer(resumed, graphed)
    assert all(group["capturable"] for group in resumed.param_groups)
    assert all(group.get("fused", True) for group in resumed.param_groups)
    steps = [state["step"] for state in resumed.state.values()]
    assert steps and all(s.dtype == torch.float32 for s in steps)
    configure_optimizer(resumed, FastPath())  # back to a plain optimiser: it still steps
    resumed.step()


@pytest.mark.parametrize("solver", ["adam", "adamw"])
def test_the_fused_optimiser_takes_the_steps_of_the_plain_one(solver):
    # the same gradients for both at every step (a network's own gradients would part at
    # rounding level after one step, and Adam turns the rounding noise of a weight whose
    # gradient is about zero, such as a bias before a batch norm, into steps of about lr)
    torch.manual_seed(0)
    template = build_model({"stacks": 1, "features": 8, "attention": False})
    (template(torch.rand(2, 1, 64, 64))[0] ** 2).mean().backward()
    updates = []
    for fused in (False, True):
        model = copy.deepcopy(template)
        optimizer = make_optimizer(TrainConfig(solver=solver, weight_decay=1e-2), model,
                                   FastPath(fused=fused))
        assert bool(optimizer.param_groups[0]["fused"]) == fused
        for scale in (1.0, -0.5, 2.0):
            for param, source in zip(model.parameters(), template.parameters(), strict=True):
                param.grad = source.grad * scale
            optimizer.step()
        updates.append([p.detach() - w.detach() for p, w in
                        zip(model.parameters(), template.parameters(), strict=True)])
        assert all(bool(u.abs().amax() > 0) for u in updates[-1])
    for plain, fused in zip(*updates, strict=True):  # the same up to float rounding
        torch.testing.assert_close(fused, plain, rtol=1e-4, atol=1e-7)


def _batches(count: int, size: int, seed: int = 0) -> list[dict[str, torch.Tensor]]:
    generator = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(count):
        keypoints = torch.full((size, NUM_DISCS, 2), float("nan"))
        keypoints[:, 1:9] = torch.rand(size, 8, 2, generator=generator) * 96 + 16
        out.append({"image": torch.rand(size, 1, 128, 128, generator=generator),
                    "keypoints": keypoints, "weight": torch.ones(size, NUM_DISCS),
                    "pixel_mm": torch.ones(size)})
    return out


def _model_and_optimizer(device: torch.device, capturable: bool, sgd: bool = False):
    torch.manual_seed(0)
    model = build_model({"stacks": 2, "features": 16, "attention": True}).to(device)
    model.to(memory_format=torch.channels_last)
    if sgd:
        return model, torch.optim.SGD(model.parameters(), lr=0.05)
    # Adam as the fast path on a GPU makes it (capturable and fused) or the plain one
    path = FastPath(graphs=capturable, fused=capturable)
    return model, make_optimizer(TrainConfig(solver="adam", lr=1e-3), model, path)


@cuda
def test_graphed_steps_match_eager_steps(monkeypatch):
    device = torch.device("cuda")
    monkeypatch.setattr(torch.backends.cudnn, "benchmark", False)  # the same kernels for both
    monkeypatch.setattr(torch.backends.cudnn, "deterministic", True)
    path = FastPath(None, False, True, False, True)  # fp32, channels-last, graphs
    batches = _batches(WARMUP_STEPS + 5, 4)
    # SGD: the same steps give the same numbers (Adam's first steps move every weight by
    # about +-lr whatever the gradient's size, so rounding noise in tiny gradients shows)
    model, optimizer = _model_and_optimizer(device, capturable=True, sgd=True)
    graphed = CudaGraphStep(model, optimizer, device, path, foreground_weight=10.0)
    graph_losses = [float(graphed(b)) for b in batches]
    assert graphed.captures == 1 and graphed.replays == 5 and graphed.eager_steps == WARMUP_STEPS
    eager_model, eager_opt = _model_and_optimizer(device, capturable=False, sgd=True)
    eager_losses = [float(eager_step(eager_model, b, eager_opt, device, path,
                                     foreground_weight=10.0)) for b in batches]
    assert graph_losses[-1] < graph_losses[0]
    assert graph_losses == pytest.approx(eager_losses, rel=1e-4)
    for a, b in zip(model.state_dict().values(), eager_model.state_dict().values(), strict=True):
        assert torch.allclose(a.float(), b.float(), rtol=1e-4, atol=1e-5)


@cuda
def test_a_compiled_network_captured_in_the_graph_gives_its_eager_losses_and_gradients(
        monkeypatch):
    # The compiled kernels are not bit-reproducible from run to run (on an H200 two compiled
    # eager runs of 7 SGD steps differed by 2 % in their losses), so the weights are held
    # still (lr 0): every step then sees the same weights, and the graph's forward pass and
    # gradients are compared with the compiled eager step's on the same batches.
    # fp32 without TF32: on an H200 TF32's rounding made a batch norm's weight gradient (a
    # sum that cancels) differ by 1.06e-3 between the two
    device = torch.device("cuda")
    monkeypatch.setattr(torch.backends.cudnn, "benchmark", False)
    monkeypatch.setattr(torch.backends.cudnn, "deterministic", True)
    monkeypatch.setattr(torch.backends.cudnn, "allow_tf32", False)
    monkeypatch.setattr(torch.backends.cuda.matmul, "allow_tf32", False)
    path = FastPath(None, False, True, True, True)  # fp32, channels-last, compile, graphs
    batches = _batches(WARMUP_STEPS + 3, 4)
    losses, grads = [], []
    for graphs in (True, False):
        torch.manual_seed(0)
        model = build_model({"stacks": 1, "features": 8, "attention": True}).to(device)
        model.to(memory_format=torch.channels_last)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.0)
        compiled = torch.compile(model)
        if graphs:
            step = CudaGraphStep(compiled, optimizer, device, path, foreground_weight=10.0)
            losses.append([float(step(b)) for b in batches])
            assert step.captures == 1 and step.replays == 3
        else:
            losses.append([float(eager_step(compiled, b, optimizer, device, path,
                                            foreground_weight=10.0)) for b in batches])
        grads.append([p.grad.detach().float().clone() for p in model.parameters()])
        names = [name for name, _ in model.named_parameters()]
    assert len(set(losses[0])) == len(batches)  # each replay saw its own batch
    assert losses[0] == pytest.approx(losses[1], rel=1e-4)
    # each weight's gradient within 1e-3 of its own size, give or take 1e-5 of the whole
    # gradient's: a weight whose gradient is about zero (a bias before a batch norm) has only
    # rounding noise there (norms of 5e-9 on an H200, up to 3e-7 on a CPU; the whole
    # gradient's is about 0.6), which differs between the two
    scale = float(torch.cat([g.flatten() for g in grads[1]]).norm())
    for name, graphed, eager in zip(names, *grads, strict=True):
        apart, size = float((graphed - eager).norm()), float(eager.norm())
        assert apart <= 1e-3 * size + 1e-5 * scale, (
            f"{name}: gradients {apart:.3g} apart, eager norm {size:.3g}, whole {scale:.3g}")


@cuda
def test_a_new_learning_rate_is_captured_again_and_odd_batches_run_eagerly():
    device = torch.device("cuda")
    path = FastPath(torch.bfloat16, False, True, False, True)
    model, optimizer = _model_and_optimizer(device, capturable=True)
    step = CudaGraphStep(model, optimizer, device, path)
    train_one_epoch(model, _batches(WARMUP_STEPS + 2, 4), optimizer, device, progress=False,
                    fast=path, step=step)
    assert step.captures == 1 and step.replays == 2
    for group in optimizer.param_groups:
        group["lr"] = 0.0  # the graph must not keep stepping with the old rate
    before = copy.deepcopy([p.detach() for p in model.parameters()])
    stats = train_one_epoch(model, _batches(2, 4, seed=1) + _batches(1, 3, seed=2), optimizer,
                            device, progress=False, fast=path, step=step)
    assert step.captures == 2 and step.replays == 4 and step.eager_steps == WARMUP_STEPS + 1
    assert float(stats["samples"]) == 11 and torch.isfinite(stats["loss_sum"])
    assert all(torch.equal(a, b.detach()) for a, b in zip(before, model.parameters(),
                                                           strict=True))
