"""label.py in 3-D: a spine that leaves the mid-sagittal plane (tilted, curved, on thick slices)
is labelled with every disc where it is, in any orientation.

The network is replaced by a stand-in that knows the phantom's true disc tips in 3-D: for each
sagittal slice it is shown, it returns a Gaussian at each disc's tip in the disc's channel, as
high as the slice is near the disc (a plateau across the 4 mm around it, as a real network
sees a disc on its neighbouring slices). The slices the labeler asks for are recorded on their
way to the network, so the stand-in knows which slice each image is. This pins down the
labeler's own 3-D work: the sweeps, the band around the spine, the projection, and the mapping
of each disc's own slice back to the image's voxels."""

from __future__ import annotations

import json

import nibabel as nib
import numpy as np
import pytest

import phantom
from disclabel.constants import NUM_DISCS, OUTPUT_STRIDE
from disclabel.data.geometry import points_to_grid, to_canonical, to_canonical_points
from disclabel.data.heatmaps import render_heatmaps
from disclabel.labeling import labeler as labeler_module
from disclabel.labeling.labeler import Labeler
from disclabel.model.checkpoint import save_checkpoint
from disclabel.model.hourglass import build_model

PLATEAU_MM = 4.0
"""The stand-in sees a disc at full strength on every slice within this distance of it."""
FALLOFF_MM = 3.0


class KnownDiscs:
    """A network that knows each disc's canonical position (x mm, j, k voxel)."""

    def __init__(self, tips_canon: dict[int, np.ndarray], zooms: np.ndarray) -> None:
        self.tips, self.zooms = tips_canon, zooms
        self.shown: list[tuple[int, np.ndarray]] = []  # (slice, grid -> slice map) in order
        self.pixel_mm, self.device, self.runtime = 1.0, "cpu", "known discs (test)"

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        _, _, height, width = batch.shape
        out = np.zeros((len(batch), NUM_DISCS, height // OUTPUT_STRIDE, width // OUTPUT_STRIDE),
                       np.float32)
        for b in range(len(batch)):
            x, g2s = self.shown.pop(0)
            for number, tip in self.tips.items():
                distance = abs(x * self.zooms[0] - tip[0] * self.zooms[0])
                height_ = np.exp(-0.5 * (max(distance - PLATEAU_MM, 0.0) / FALLOFF_MM) ** 2)
                if height_ < 0.05:
                    continue
                keypoints = np.full((NUM_DISCS, 2), np.nan)
                keypoints[number - 1] = points_to_grid(tip[None], g2s)[0]
                out[b] += height_ * render_heatmaps(keypoints, out.shape[2:], 0.9)
        return out


@pytest.fixture
def known(tmp_path, monkeypatch):
    """A Labeler whose network is :class:`KnownDiscs` for the volume given to ``setup``."""
    weights = tmp_path / "w.pt"
    save_checkpoint(weights, build_model({"stacks": 1, "features": 16, "attention": True}),
                    data={"pixel_mm": 1.0})
    labeler = Labeler(weights, device="cpu", backend="torch")
    real = labeler_module.slice_sample

    def setup(image: nib.Nifti1Image, tips_world: dict[int, np.ndarray]) -> KnownDiscs:
        canon = to_canonical(np.asarray(image.dataobj, np.float32), image.affine)
        inverse = np.linalg.inv(image.affine)
        tips_src = {n: (inverse @ np.r_[p, 1.0])[:3] for n, p in tips_world.items()}
        tips = {n: to_canonical_points(p[None], canon.canon2src)[0] for n, p in tips_src.items()}
        network = KnownDiscs(tips, np.asarray(canon.zooms))
        labeler.network = network

        def recorded(volume, x, *args, **kwargs):
            sample = real(volume, x, *args, **kwargs)
            network.shown.append((x, sample[1]))
            return sample

        monkeypatch.setattr(labeler_module, "slice_sample", recorded)
        return network

    return labeler, setup


def tilted_tips(slope: float, wave_mm: float = 0.0, count: int = 7) -> dict[int, np.ndarray]:
    """Disc tips (world RAS mm) down a spine whose left-right position moves by ``slope`` mm
    per mm of height plus a lateral wave of ``wave_mm`` (one S over the discs)."""
    tips = {}
    for i in range(count):
        z = 140.0 - 18.0 * i
        x = 40.0 + slope * (z - 86.0) + wave_mm * np.sin(2 * np.pi * i / (count - 1))
        tips[3 + i] = np.array([x, 40.0 + 0.6 * i, z])
    return tips


def volume(zooms=(1.0, 1.0, 1.0), shape_mm=(80.0, 90.0, 160.0)) -> nib.Nifti1Image:
    """A smooth random RAS volume (the stand-in network does not look at it)."""
    shape = tuple(int(round(s / z)) for s, z in zip(shape_mm, zooms, strict=True))
    rng = np.random.default_rng(3)
    affine = np.diag([*zooms, 1.0])
    return nib.Nifti1Image(rng.random(shape).astype(np.float32) + 1.0, affine)


@pytest.mark.parametrize("case, zooms, slope, wave", [
    ("tilted 20 degrees", (1.0, 1.0, 1.0), np.tan(np.radians(20)), 0.0),
    ("S-curve 10 mm", (1.0, 1.0, 1.0), 0.0, 10.0),
    ("tilted 10 degrees, 3.5 mm slices", (3.5, 0.8, 0.8), np.tan(np.radians(10)), 0.0),
])
@pytest.mark.parametrize("orientation", ["RAS", "PSR"])
def test_every_disc_is_placed_on_its_own_slice(known, tmp_path, case, zooms, slope, wave,
                                               orientation):
    labeler, setup = known
    tips = tilted_tips(slope, wave)
    image = phantom.reorient(np.asarray(volume(zooms).dataobj), volume(zooms).affine,
                             orientation)
    setup(image, tips)
    path = tmp_path / "v.nii.gz"
    nib.save(image, str(path))
    result = labeler.label(path)
    assert [d.number for d in result.discs if d.number >= 3] == sorted(tips), case
    lateral = sorted(zooms)[-1] / 2 + 0.5  # half a slice, plus rounding to a voxel
    for disc in result.discs:
        if disc.number in tips:
            error = np.abs(np.asarray(disc.world_mm) - tips[disc.number])
            assert error[0] <= lateral and error[1:].max() <= 1.5, (case, disc)
    out = tmp_path / "v_labels.nii.gz"
    labeler.save(result, out)
    sidecar = json.loads(out.with_name("v_labels.json").read_text())
    slices = {d["number"]: d["sagittal_slice_canonical"] for d in sidecar["discs"]}
    assert len(set(slices.values())) > 1  # the discs lie on several slices


def test_the_qc_views_follow_the_spine(known, tmp_path):
    """The QC picture's sagittal view follows the spine's course and its coronal view marks
    every disc at its own left-right position (mm from slice 0 = world x here)."""
    labeler, setup = known
    tips = tilted_tips(np.tan(np.radians(15)))
    image = volume()
    setup(image, tips)
    path = tmp_path / "t.nii.gz"
    nib.save(image, str(path))
    result = labeler.label(path)
    from disclabel.viz.qc import spine_views

    sagittal, coronal, across = spine_views(result)
    assert sagittal.shape == result.image.shape and coronal.shape[0] == result.image.shape[0]
    found = [d.number - 1 for d in result.discs]
    # each disc's column in the coronal view is its own left-right position
    expected = np.array([tips[d + 1][0] for d in found if d + 1 in tips])
    assert np.allclose(across[[d for d in found if d + 1 in tips]], expected, atol=1.5)
