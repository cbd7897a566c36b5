"""tools/profile_step.py: the kernel kinds it sums, and one configuration timed on the CPU."""

from __future__ import annotations

import pytest
import torch

from conftest import tool_module


@pytest.fixture(scope="module")
def profile_step():
    return tool_module("profile_step")


@pytest.mark.parametrize(("name", "kind"), [
    ("void at::native::(anonymous namespace)::multi_tensor_apply_kernel<FusedAdam>", "optimiser"),
    ("triton_red_fused__native_batch_norm_legit_functional_11", "triton (torch.compile)"),
    ("sm90_xmma_dgrad_implicit_gemm_bf16bf16_bf16f32_f32_nhwc", "convolution / matrix product"),
    ("nvjet_sm90_tst_128x256_64x4_2x1_v_bz_coopA_TNN", "convolution / matrix product"),
    ("void at::native::batch_norm_collect_statistics_channels_last_kernel", "other"),
])
def test_kernels_are_summed_by_kind(profile_step, name, kind):
    assert profile_step.kernel_kind(name) == kind


def test_one_configuration_timed_with_the_fused_optimiser_and_one_thread(profile_step, capsys):
    threads = torch.get_num_threads()
    try:
        assert profile_step.main(["--device", "cpu", "--model", "shipped", "--batch", "2",
                                  "--steps", "1", "--repeats", "1", "--fused", "true",
                                  "--threads", "1"]) == 0
    finally:
        torch.set_num_threads(threads)
    line = capsys.readouterr().out.strip()
    assert line.startswith("shipped model, ") and "fused optimiser" in line
    assert "1 threads on cpu" in line and "images/s" in line


def test_a_wrong_flag_is_refused(profile_step):
    with pytest.raises(SystemExit) as exit_info:
        profile_step.main(["--device", "cpu", "--repeats", "0"])
    assert exit_info.value.code == 2


def test_each_part_of_the_fast_path_can_be_timed_alone(profile_step, capsys):
    assert profile_step.main(["--device", "cpu", "--model", "shipped", "--batch", "2",
                              "--steps", "1", "--repeats", "1", "--amp", "off",
                              "--channels-last", "true"]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith("shipped model, fp32, channels-last, batch 2"), line
    assert profile_step.main(["--device", "cpu", "--model", "shipped", "--batch", "2",
                              "--steps", "1", "--repeats", "1", "--channels-last", "false"]) == 0
    assert "channels-last" not in capsys.readouterr().out


def test_a_precision_the_device_cannot_run_is_refused(profile_step, capsys):
    with pytest.raises(SystemExit) as exit_info:
        profile_step.main(["--device", "cpu", "--amp", "fp16"])
    assert exit_info.value.code == 2
    assert "--amp fp16: only on a CUDA GPU" in capsys.readouterr().err
