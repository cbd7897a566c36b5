"""Label any NIfTI volume: find and number its discs and place them in the image's own space.

Nothing but the image is used: each sagittal slice is seen whole at the model's pixel size (the
grid grows with the field of view and is at least a training window, as in prepared data); the
slice is chosen by running the network over the central slices (a coarse pass, then a fine one
around the best) and keeping the slice whose chain decoding (:mod:`disclabel.labeling.chain`) is the
most confident; the heatmaps of that slice and its neighbours are averaged and decoded, and each
disc found is placed in 3-D on that slice, at its posterior tip, and mapped back through the
image's own affine.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import nibabel as nib
import numpy as np

from disclabel.constants import CONFIDENCE_THRESHOLD, DISC_NAMES
from disclabel.data.io import file_sha256, nifti_stem, write_json
from disclabel.data.prepare import slice_sample
from disclabel.labeling.chain import ChainResult, decode_chain
from disclabel.labeling.output import label_image, save_nifti_atomic
from disclabel.labeling.runtime import load_network
from disclabel.labeling.volumes import LoadedVolume, read_volume, volume_from_nifti
from disclabel.version import __version__

SEARCH_HALF_WIDTH_MM: float = 6.0
"""The coarse slice search covers the central +-6 mm (left-right) of the volume."""
COARSE_STEP_MM: float = 6.0
"""Step of the coarse slice search; the fine search then tries the neighbours of the best."""
FINE_STEP_MM: float = 2.0
SLAB_HALF_WIDTH_MM: float = 2.0
"""Heatmaps of the slices within this distance of the best one are averaged before decoding."""
NUMBERING_NOTE = ("the chain of discs is numbered with one offset voted by every disc's channel "
                  "evidence, each vote weighted by how sure that disc is of its identity, plus "
                  "how well the chain's disc spacing fits the PAM50 template's at those levels; "
                  "the margin is the score of the best numbering minus that of the second best "
                  "(nats; larger is surer)")


@dataclass
class Disc:
    """One detected disc: number, name, source voxel index (i, j, k), world mm, confidence
    (how much disc the network sees there) and identity (its evidence share on this number)."""

    number: int
    name: str
    voxel: tuple[int, int, int]
    world_mm: tuple[float, float, float]
    confidence: float
    identity: float


@dataclass
class LabelResult:
    """Discs found in one volume, with the 2-D evidence used (for QC pictures).

    ``image`` (H, W) is the chosen slice on its grid; ``coords`` (D, 2) the decoded (row, col),
    NaN when absent; ``confidence`` (D,); ``slice_index`` the canonical sagittal slice;
    ``chain`` the decoding (offset and its margin); ``heatmap`` (h, w) the sum of the averaged
    disc heatmaps; ``pixel_mm`` the grid's pixel size; ``reference`` the input image (its grid
    is the label image's).
    """

    path: Path
    shape: tuple[int, int, int]
    discs: list[Disc]
    slice_index: int
    image: np.ndarray
    coords: np.ndarray
    confidence: np.ndarray
    chain: ChainResult
    heatmap: np.ndarray
    pixel_mm: float
    slices_tried: list[int] = field(default_factory=list)
    reference: nib.Nifti1Image | None = field(default=None, repr=False)

    @property
    def numbering(self) -> dict:
        """How sure the numbering is: the number of the top disc (``top_disc``, None without a
        spine), ``offset_margin_nats`` (best numbering's score minus the second best's; below
        ``CHECK_MARGIN_NATS`` check by eye), ``offset_probability`` and ``skipped_discs``."""
        return numbering_summary(self.chain)

    def label_image(self) -> nib.Nifti1Image:
        """The label volume on the input's exact grid (shape, affine, header), zero except one
        voxel per disc at its posterior tip, valued with the disc number."""
        if self.reference is None:
            raise ValueError("this result keeps no input image to take the grid from")
        return label_image(self, self.reference)


def candidate_offsets(n_slices: int, zoom_mm: float, half_width_mm: float, step_mm: float
                      ) -> list[int]:
    """Slice offsets from the middle within +-``half_width_mm``, every ``step_mm`` (>= 1 slice)."""
    step = max(1, int(round(step_mm / zoom_mm)))
    reach = min(int(half_width_mm / zoom_mm), (n_slices - 1) // 2)
    return sorted({0, *range(step, reach + 1, step), *range(-step, -reach - 1, -step)})


class Labeler:
    """A model loaded once, labeling any number of volumes; ``backend`` (auto, torch, onnx) and
    ``device`` as in :func:`disclabel.labeling.runtime.load_network`."""

    def __init__(self, weights: str | Path, device: str = "auto",
                 threshold: float = CONFIDENCE_THRESHOLD, backend: str = "auto") -> None:
        self.weights = Path(weights)
        self.sha256 = file_sha256(self.weights)
        self.network = load_network(self.weights, device, backend, self.sha256)
        self.pixel_mm = self.network.pixel_mm
        self.threshold = threshold
        self.model_seconds = 0.0  # time spent in the network, accumulated over calls

    def _score_slices(self, volume, affine, xs: list[int], cache: dict) -> None:
        todo = [x for x in xs if x not in cache]
        if not todo:
            return
        samples = [slice_sample(volume, x, affine, None, self.pixel_mm) for x in todo]
        tic = time.perf_counter()
        heatmaps = self.network(np.stack([s[0] for s in samples])[:, None])
        self.model_seconds += time.perf_counter() - tic
        for x, sample, maps in zip(todo, samples, heatmaps, strict=True):
            chain = decode_chain(maps, sample[3], threshold=self.threshold)
            cache[x] = (float(chain.confidence.sum()), sample, maps)

    def label(self, image: str | Path | nib.Nifti1Image) -> LabelResult:
        """Find the discs of one NIfTI volume, given by its path or as a nibabel image (raises
        :class:`~disclabel.data.io.InputError` on a bad file or image)."""
        if isinstance(image, (str, Path)):
            return self.label_volume(read_volume(image))
        return self.label_volume(volume_from_nifti(image))

    def label_volume(self, loaded: LoadedVolume) -> LabelResult:
        """Find the discs of a volume read by :func:`disclabel.labeling.volumes.read_volume`."""
        path, nii, volume = loaded.path, loaded.nii, loaded.volume
        nx, zoom = volume.data.shape[0], float(volume.zooms[0])
        middle = (nx - 1) // 2
        cache: dict[int, tuple] = {}
        coarse = [middle + o for o in candidate_offsets(nx, zoom, SEARCH_HALF_WIDTH_MM,
                                                         COARSE_STEP_MM)]
        self._score_slices(volume, nii.affine, coarse, cache)
        best = max(cache, key=lambda x: (cache[x][0], -abs(x - middle)))
        fine = [best + o for o in candidate_offsets(nx, zoom, FINE_STEP_MM, FINE_STEP_MM)
                if 0 <= best + o < nx]
        self._score_slices(volume, nii.affine, fine, cache)
        best = max(cache, key=lambda x: (cache[x][0], -abs(x - middle)))
        _, (image, _, pix2vox, pixel), _ = cache[best]
        # decode the mean heatmap of the slab around the best slice: a disc is a 3-D object
        # seen on neighbouring slices too, while spurious peaks of single slices average out
        slab = [x for x in cache if abs(x - best) * zoom <= SLAB_HALF_WIDTH_MM]
        mean_maps = np.mean([cache[x][2] for x in slab], axis=0)
        chain = decode_chain(mean_maps, pixel, threshold=self.threshold)
        discs = []
        for d in np.nonzero(np.isfinite(chain.coords[:, 0]))[0]:
            voxel = pix2vox @ np.r_[chain.coords[d], 0.0, 1.0]
            index = tuple(int(v) for v in np.rint(voxel[:3]))
            if not all(0 <= v < n for v, n in zip(index, nii.shape[:3], strict=True)):
                continue  # decoded in the padding around the field of view
            world = nii.affine @ np.r_[index, 1.0]
            discs.append(Disc(int(d + 1), DISC_NAMES[d], index,
                              tuple(round(float(w), 3) for w in world[:3]),
                              round(float(chain.confidence[d]), 4),
                              round(float(chain.identity[d]), 4)))
        return LabelResult(path, tuple(nii.shape[:3]), discs, int(best), image, chain.coords,
                           chain.confidence, chain, np.clip(mean_maps, 0, None).sum(axis=0),
                           float(pixel), sorted(cache), nii)

    def save(self, result: LabelResult, output: str | Path) -> tuple[Path, Path]:
        """Write ``result``'s label file at ``output`` (``.nii.gz`` or ``.nii``) and its JSON
        sidecar beside it (same stem, ``.json``); each written whole or not at all. Returns
        ``(label file, sidecar)``."""
        output = Path(output)
        sidecar = sidecar_path(output)
        save_nifti_atomic(result.label_image(), output)
        write_json(sidecar, self.sidecar(result, output))
        return output, sidecar

    def sidecar(self, result: LabelResult, output: Path) -> dict:
        """JSON sidecar content of a label file."""
        return {
            "Description": "Intervertebral disc labels: one voxel per disc at its posterior tip, "
                           "valued with the disc number (1 = top of C1, 3 = C2/C3, ...).",
            "source_image": str(result.path),
            "label_file": str(output),
            "discs": [{"number": d.number, "name": d.name, "world_mm": list(d.world_mm),
                       "voxel": list(d.voxel), "confidence": d.confidence,
                       "identity": d.identity}
                      for d in result.discs],
            "numbering": {**numbering_summary(result.chain), "explanation": NUMBERING_NOTE},
            "sagittal_slice_canonical": result.slice_index,
            "model": {"path": str(self.weights), "sha256": self.sha256,
                      "confidence_threshold": self.threshold,
                      "runtime": self.network.runtime, "device": self.network.device},
            "software": {"name": "disclabel", "version": __version__},
        }


def sidecar_path(label_path: Path) -> Path:
    """The JSON sidecar of a label file: the same stem with ``.json``."""
    return label_path.with_name(nifti_stem(label_path) + ".json")


def numbering_summary(chain: ChainResult) -> dict:
    """How sure the decoder is of the chain's numbering (JSON-ready)."""
    def finite(value: float) -> float | None:
        return round(float(value), 3) if np.isfinite(value) else None

    return {
        "top_disc": chain.offset,
        "offset_margin_nats": finite(chain.margin),
        "offset_probability": finite(chain.offset_probability),
        "skipped_discs": list(chain.gaps),
    }


