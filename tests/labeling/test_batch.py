"""Batches of label.py: several volumes labelled at a time come out in the jobs' order, a bad
one in place, few volumes held at once, and the same labels as each labelled alone."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import nibabel as nib
import numpy as np
import pytest

from conftest import ERRSM, needs_shared
from disclabel.cli import label as label_cli
from disclabel.data.io import InputError
from disclabel.labeling.acquisition import RefusedVolume
from disclabel.labeling.runtime import default_weights, load_network


class SlowFakeLabeler:
    """Labels a "volume" (its job index) in a time that shrinks with the index, so that in
    threads the later jobs finish first; index 2 is unreadable, index 4 refused."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reads_in_flight = 0
        self.most_in_flight = 0
        self.saved: list[Path] = []

    def read(self, path: Path) -> int:
        with self.lock:
            self.reads_in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.reads_in_flight)
        return int(path.stem)

    def label_volume(self, index: int) -> SimpleNamespace:
        time.sleep(0.02 * (6 - index))
        with self.lock:
            self.reads_in_flight -= 1
        if index == 2:
            raise InputError(f"{index}: cannot be read")
        if index == 4:
            raise RefusedVolume(f"{index}: refused: axial")
        return SimpleNamespace(index=index)

    def save(self, result: SimpleNamespace, output: Path) -> None:
        with self.lock:
            self.saved.append(output)


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_outcomes_come_in_the_jobs_order_with_errors_in_place(monkeypatch, workers):
    fake = SlowFakeLabeler()
    monkeypatch.setattr(label_cli, "read_volume", fake.read)
    jobs = [(Path(f"{i}.nii"), Path(f"out/{i}.nii.gz")) for i in range(6)]
    with ThreadPoolExecutor(max_workers=1) as pool:
        reader = label_cli.VolumeReader(pool, jobs)
        reader.overlap = False
        done = list(label_cli.outcomes(fake, reader, workers))
    assert [(image, output) for image, output, _ in done] == jobs
    for index, (_, _, outcome) in enumerate(done):
        if index == 2:
            assert outcome.result is None and "cannot be read" in str(outcome.error)
        elif index == 4:
            assert isinstance(outcome.error, RefusedVolume)
        else:
            assert outcome.result.index == index and outcome.error is None
        assert outcome.seconds > 0
    assert sorted(fake.saved) == sorted(jobs[i][1] for i in (0, 1, 3, 5))
    # a long batch never holds more than the volumes being labelled and one read ahead
    assert fake.most_in_flight <= workers + 1


def test_an_onnx_network_may_be_shared_by_threads_and_a_torch_one_not(tmp_path):
    pytest.importorskip("onnxruntime")
    if not default_weights().is_file():
        pytest.skip("the shipped model is not installed")
    assert load_network(default_weights(), "cpu", "onnx", threads=1).concurrent
    assert not load_network(default_weights(), "cpu", "torch").concurrent


@needs_shared(ERRSM)
@pytest.mark.skipif(not default_weights().is_file(), reason="the shipped model is not installed")
def test_a_batch_labelled_two_at_a_time_gives_each_volumes_own_labels(tmp_path, capsys):
    """The shipped model on the CPU (ONNX Runtime, volumes labelled concurrently): every label
    file and sidecar of a batch with a bad file in it equals that of the volume labelled alone,
    and the console lists the volumes in the order given."""
    names = ("sub-errsm20", "sub-errsm11")
    images = [ERRSM / name / "anat" / f"{name}_T2w.nii.gz" for name in names]
    bad = tmp_path / "bad.nii.gz"
    bad.write_bytes(b"not a nifti")
    alone = tmp_path / "alone"
    for image in images:
        assert label_cli.main([str(image), "-o", str(alone), "--device", "cpu"]) == 0
    capsys.readouterr()
    batch = tmp_path / "batch"
    assert label_cli.main([str(images[0]), str(bad), str(images[1]), "-o", str(batch),
                           "--device", "cpu"]) == 1
    captured = capsys.readouterr()
    printed = [line.split(":")[0] for line in captured.out.splitlines()]
    assert printed == [str(images[0]), str(images[1])]
    assert f"{bad}: " in captured.err and "2 of 3 images labelled" in captured.err
    for name in names:
        stem = f"{name}_T2w_labels-disc"
        one, both = (nib.load(str(d / f"{stem}.nii.gz")) for d in (alone, batch))
        assert np.array_equal(np.asarray(one.dataobj), np.asarray(both.dataobj))
        sidecars = [(d / f"{stem}.json").read_text().replace(str(d), "") for d in (alone, batch)]
        assert sidecars[0] == sidecars[1]
