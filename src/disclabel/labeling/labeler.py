"""Label any NIfTI volume: find and number its discs and place each in the image's own space,
where it really is.

Nothing but the image is used. Every sagittal slice is seen whole at the model's pixel size (the
grid grows with the field of view and is at least a training window, as in prepared data). The
network runs over the volume's whole left-right extent in a coarse sweep (every
``COARSE_STEP_MM``); a first decoding of that evidence (:mod:`.volume3d`, :mod:`.chain`) finds
the spine's left-right course, and the network then runs on every ``FINE_STEP_MM`` within
``BAND_HALF_WIDTH_MM`` of it. All the slices' evidence, limited on every row to that band, is
decoded as one chain along the spine's 3-D curve, and each disc is placed at its own left-right
position, row and column (its posterior tip on its own slice), mapped back through the image's
own affine.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import nibabel as nib
import numpy as np

from disclabel.constants import CONFIDENCE_THRESHOLD, DISC_NAMES, OUTPUT_STRIDE
from disclabel.data.contrast import invert_in_body
from disclabel.data.geometry import CanonicalVolume
from disclabel.data.heatmaps import input_to_output
from disclabel.data.io import file_sha256, write_json
from disclabel.data.prepare import slice_sample
from disclabel.labeling import volume3d
from disclabel.labeling.acquisition import Acquisition, RefusedVolume, check_acquisition
from disclabel.labeling.chain import ChainResult, decode_chain
from disclabel.labeling.outcome import (
    NUMBERING_NOTE,
    json_number,
    numbering_summary,
    outcome_warnings,
)
from disclabel.labeling.output import label_image, save_nifti_atomic, sidecar_path
from disclabel.labeling.polarity import POLARITIES, prefer_inverted
from disclabel.labeling.runtime import load_network
from disclabel.labeling.volumes import LoadedVolume, read_volume, volume_from_nifti
from disclabel.version import __version__

COARSE_STEP_MM: float = 10.0
"""The first sweep runs the network on a sagittal slice every this many mm across the whole
left-right extent of the volume (every slice when they are thicker)."""
FINE_STEP_MM: float = 2.0
"""The second sweep fills in a slice every this many mm near the spine."""
BAND_HALF_WIDTH_MM: float = 8.0
"""The second sweep and its decoding keep, on every row, the slices within this distance of the
spine's left-right course found by the first."""
FINAL_BAND_HALF_WIDTH_MM: float = 8.0
"""The final decoding keeps, on every row, the slices within this distance of the course found
by the second, so that every disc's evidence is taken near the spine's midline."""
FINE_WIDTH_PX: int = 256
"""The second sweep shows the network at most this many columns of each slice (front to back),
placed around the discs of the first (the posterior tips at ``FINE_TIP_AT`` of the width): a
training window's width, and a third less work on a 384 mm field of view."""
FINE_TIP_AT: float = 0.6


@dataclass
class Disc:
    """One detected disc: number, name, source voxel index (i, j, k), world mm, confidence
    (how much disc the network sees there), identity (its evidence share on this number) and
    the canonical sagittal slice it lies on (``slice``, left to right)."""

    number: int
    name: str
    voxel: tuple[int, int, int]
    world_mm: tuple[float, float, float]
    confidence: float
    identity: float
    slice: int = -1


@dataclass
class LabelResult:
    """Discs found in one volume, with the evidence used (for QC pictures).

    ``coords`` (D, 2) the decoded (row, col) on the sagittal grid, NaN when absent;
    ``confidence`` (D,); ``chain`` the decoding (offset, margin, each disc's left-right
    position ``chain.lateral_mm`` in mm from canonical slice 0); ``slice_index`` the canonical
    sagittal slice nearest the middle of the spine; ``image`` (H, W) that slice on the grid;
    ``heatmap`` (h, w) the sum of the projected disc heatmaps; ``pixel_mm`` the grid's pixel
    size; ``slices_tried`` the canonical slices the network ran on; ``spine_mm`` (H,) the
    spine's left-right position (mm) on every grid row (NaN without a spine); ``volume`` the
    canonical volume and ``grid_to_slice`` (3, 3) the grid -> slice voxel map, from which the
    QC picture resamples the spine's curved sagittal and coronal views; ``reference`` the input
    image (its grid is the label image's); ``acquisition`` what its geometry lets the network
    see; ``warnings`` every warning about the volume and its labels (acquisition, no spine,
    uncertain numbering), as label.py prints them; ``polarity`` how the contrast was read
    (``mode``: the labeller's polarity, ``read_as``: acquired or inverted, and with mode
    ``auto`` both readings' margins).
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
    spine_mm: np.ndarray | None = field(default=None, repr=False)
    volume: CanonicalVolume | None = field(default=None, repr=False)
    grid_to_slice: np.ndarray | None = field(default=None, repr=False)
    acquisition: Acquisition | None = None
    warnings: list[str] = field(default_factory=list)
    polarity: dict = field(default_factory=lambda: {"mode": "acquired", "read_as": "acquired"})

    @property
    def read_inverted(self) -> bool:
        """Whether the discs come from the reading with every slice's contrast inverted."""
        return self.polarity.get("read_as") == "inverted"

    @property
    def numbering(self) -> dict:
        """How sure the numbering is: the number of the top disc (``top_disc``, None without a
        spine), ``offset_margin_nats`` (best numbering's score minus the second best's; below
        ``CHECK_MARGIN_NATS`` check by eye), ``offset_probability``, ``skipped_discs``,
        ``anchors`` (the ends of the spine it is counted from: ``"C2"``, ``"sacrum"``),
        ``discs_recognised`` (False: a column of discs the network cannot tell apart) and
        ``lowest_disc_taken_as_l5s1`` (True: a lumbar chain numbered up from its lowest disc
        because the field of view goes on below it, :mod:`.columnend`)."""
        return numbering_summary(self.chain)

    def label_image(self) -> nib.Nifti1Image:
        """The label volume on the input's exact grid (shape, affine, header), zero except one
        voxel per disc at its posterior tip, valued with the disc number."""
        if self.reference is None:
            raise ValueError("this result keeps no input image to take the grid from")
        return label_image(self, self.reference)


def sweep_positions(n_slices: int, zoom_mm: float, step_mm: float,
                    within: tuple[float, float] | None = None) -> list[int]:
    """Canonical slices every ``step_mm`` (at least every slice) from the middle one outwards,
    over the whole volume or only those whose position (mm) lies ``within`` (low, high)."""
    step = max(1, int(round(step_mm / zoom_mm)))
    middle = (n_slices - 1) // 2
    slices = sorted({*range(middle, n_slices, step), *range(middle, -1, -step)})
    if within is not None:
        slices = [x for x in slices if within[0] - 1e-6 <= x * zoom_mm <= within[1] + 1e-6]
    return slices


@dataclass
class _Reading:
    """One reading of a volume: ``cache`` {canonical slice: (sample, heatmaps)}, the decoded
    ``chain``, the ``projected`` heatmaps (D, h, w), the spine's ``course`` (h,) mm and the
    ``first`` slice the network saw whole."""

    cache: dict
    chain: ChainResult
    projected: np.ndarray
    course: np.ndarray
    first: int


class Labeler:
    """A model loaded once, labeling any number of volumes; ``backend`` (auto, torch, onnx) and
    ``device`` as in :func:`disclabel.labeling.runtime.load_network` (``threads`` caps ONNX
    Runtime's); ``polarity`` one of ``POLARITIES``. Several threads may label at once with a
    network that is ``concurrent``."""

    def __init__(self, weights: str | Path, device: str = "auto",
                 threshold: float = CONFIDENCE_THRESHOLD, backend: str = "auto",
                 polarity: str = "acquired", threads: int | None = None) -> None:
        if polarity not in POLARITIES:
            raise ValueError(f"polarity must be one of {', '.join(POLARITIES)}, got {polarity!r}")
        self.polarity = polarity
        self.weights = Path(weights)
        self.sha256 = file_sha256(self.weights)
        self.network = load_network(self.weights, device, backend, self.sha256, threads)
        self.pixel_mm = self.network.pixel_mm
        self.threshold = threshold
        self.model_seconds = 0.0  # time spent in the network, accumulated over calls
        self._seconds_lock = threading.Lock()

    def _run_slices(self, volume: CanonicalVolume, affine: np.ndarray, xs: list[int],
                    cache: dict, columns: tuple[int, int] | None = None,
                    invert: bool = False) -> None:
        """Add the sample and heatmaps of every slice of ``xs`` not in ``cache`` yet; with
        ``columns`` (first, end) the network sees only those columns of each slice (multiples
        of ``OUTPUT_STRIDE``), and its heatmaps are 0 elsewhere; with ``invert`` each slice's
        contrast is inverted inside the body first."""
        todo = [x for x in xs if x not in cache]
        if not todo:
            return
        samples = [slice_sample(volume, x, affine, None, self.pixel_mm) for x in todo]
        if invert:
            samples = [(invert_in_body(image), *rest) for image, *rest in samples]
        first, end = columns or (0, samples[0][0].shape[1])
        tic = time.perf_counter()
        heatmaps = self.network(np.stack([s[0][:, first:end] for s in samples])[:, None])
        with self._seconds_lock:
            self.model_seconds += time.perf_counter() - tic
        if columns is not None:
            full = np.zeros(heatmaps.shape[:3] + (samples[0][0].shape[1] // OUTPUT_STRIDE,),
                            heatmaps.dtype)
            full[..., first // OUTPUT_STRIDE:end // OUTPUT_STRIDE] = heatmaps
            heatmaps = full
        for x, sample, maps in zip(todo, samples, heatmaps, strict=True):
            cache[x] = (sample, maps)

    def _decode(self, cache: dict, zoom: float, pixel: float, path: np.ndarray | None,
                band_mm: float = BAND_HALF_WIDTH_MM, fov_bottom_row: float | None = None
                ) -> tuple[ChainResult, np.ndarray]:
        """The chain of every slice's evidence in ``cache`` (limited to ``band_mm`` around the
        output-row course ``path`` (h,) when given; ``fov_bottom_row`` the lowest grid row in
        the field of view); returns it with the projected heatmaps."""
        xs = sorted(cache)
        x_mm = np.array(xs, np.float64) * zoom
        maps = np.stack([cache[x][1] for x in xs])
        allowed = None if path is None else volume3d.band_of_rows(x_mm, path, band_mm)
        projected, depth, landmark_depth = volume3d.project(maps, x_mm, allowed)
        chain = decode_chain(projected, pixel, threshold=self.threshold, depth_mm=depth,
                             landmark_depth_mm=landmark_depth, fov_bottom_row=fov_bottom_row)
        volume3d.place_on_own_slices(chain, maps, x_mm)
        return chain, projected

    def label(self, image: str | Path | nib.Nifti1Image) -> LabelResult:
        """Find the discs of one NIfTI volume, given by its path or as a nibabel image (raises
        :class:`~disclabel.data.io.InputError` on a bad file or image)."""
        if isinstance(image, (str, Path)):
            return self.label_volume(read_volume(image))
        return self.label_volume(volume_from_nifti(image))

    def label_volume(self, loaded: LoadedVolume) -> LabelResult:
        """Find the discs of a volume read by :func:`disclabel.labeling.volumes.read_volume`."""
        path, nii, volume = loaded.path, loaded.nii, loaded.volume
        acquisition = check_acquisition(volume)
        if acquisition.refusal is not None:
            raise RefusedVolume(f"{path}: refused: {acquisition.refusal}")
        invert = self.polarity == "inverted"
        reading = self._read(volume, nii.affine, invert=invert)
        polarity = {"mode": self.polarity, "read_as": "inverted" if invert else "acquired"}
        if self.polarity == "auto":
            inverted = self._read(volume, nii.affine, invert=True)
            polarity["margins_nats"] = {"acquired": json_number(reading.chain.margin),
                                        "inverted": json_number(inverted.chain.margin)}
            if prefer_inverted(reading.chain, inverted.chain):
                reading, polarity["read_as"] = inverted, "inverted"
        return self._result(loaded, reading, acquisition, polarity)

    def _read(self, volume: CanonicalVolume, affine: np.ndarray, invert: bool) -> _Reading:
        """The network's sweeps over ``volume`` and the decoded chain (every slice's contrast
        inverted inside the body with ``invert``)."""
        nx, zoom = volume.data.shape[0], float(volume.zooms[0])
        cache: dict[int, tuple] = {}
        coarse = sweep_positions(nx, zoom, COARSE_STEP_MM)
        middle = coarse[len(coarse) // 2]
        self._run_slices(volume, affine, [middle], cache, None, invert)  # whole: find the spine
        image, g2s, _, pixel = cache[middle][0]
        height = image.shape[0] // OUTPUT_STRIDE
        bottom = fov_bottom_row(g2s, volume.data.shape[1], image.shape[0])
        seen, _ = self._decode(cache, zoom, pixel, None, fov_bottom_row=bottom)
        columns = _columns(seen, image.shape[1])
        self._run_slices(volume, affine, coarse, cache, columns, invert)
        xs = sorted(cache)
        course = volume3d.course_through(np.stack([cache[x][1] for x in xs]),
                                         np.array(xs, np.float64) * zoom)
        self._run_slices(volume, affine, _fine_sweep(nx, zoom, course), cache, columns, invert)
        chain, projected = self._decode(cache, zoom, pixel, course, fov_bottom_row=bottom)
        refined = _course(chain, height)
        if refined is not None:  # the course moved: fill in the fine sweep around it
            course = refined
            self._run_slices(volume, affine, _fine_sweep(nx, zoom, course), cache,
                             columns or _columns(chain, image.shape[1]), invert)
            chain, projected = self._decode(cache, zoom, pixel, course,
                                            FINAL_BAND_HALF_WIDTH_MM, bottom)
        return _Reading(cache, chain, projected, course, middle)

    def _result(self, loaded: LoadedVolume, reading: _Reading, acquisition: Acquisition,
                polarity: dict) -> LabelResult:
        """The discs of ``reading`` in the volume's voxels and world, with what QC shows."""
        path, nii, volume = loaded.path, loaded.nii, loaded.volume
        nx, zoom = volume.data.shape[0], float(volume.zooms[0])
        cache, chain, projected, course = (reading.cache, reading.chain, reading.projected,
                                           reading.course)
        image, g2s, _, pixel = cache[reading.first][0]
        height = image.shape[0] // OUTPUT_STRIDE
        found = np.flatnonzero(np.isfinite(chain.coords[:, 0]))
        middle = (float(np.median(chain.lateral_mm[found])) / zoom if len(found)
                  else float(np.mean(course)) / zoom)
        centre = min(cache, key=lambda x: abs(x - middle))
        discs = []
        for d in found:
            offset = float(chain.lateral_mm[d]) / zoom - centre
            voxel = cache[centre][0][2] @ np.r_[chain.coords[d], offset, 1.0]
            index = tuple(int(v) for v in np.rint(voxel[:3]))
            if not all(0 <= v < n for v, n in zip(index, nii.shape[:3], strict=True)):
                continue  # decoded in the padding around the field of view
            world = nii.affine @ np.r_[index, 1.0]
            discs.append(Disc(int(d + 1), DISC_NAMES[d], index,
                              tuple(round(float(w), 3) for w in world[:3]),
                              round(float(chain.confidence[d]), 4),
                              round(float(chain.identity[d]), 4),
                              int(np.clip(np.rint(chain.lateral_mm[d] / zoom), 0, nx - 1))))
        spine = _course(chain, height)
        rows = np.arange(image.shape[0])
        spine_mm = (np.full(len(rows), np.nan) if spine is None
                    else np.interp(input_to_output(rows), np.arange(height), spine))
        return LabelResult(path, tuple(nii.shape[:3]), discs, int(centre),
                           cache[centre][0][0], chain.coords, chain.confidence, chain,
                           np.clip(projected, 0, None).sum(axis=0), float(pixel),
                           sorted(cache), nii, spine_mm, volume, g2s, acquisition,
                           [*acquisition.warnings, *outcome_warnings(discs, chain)],
                           polarity)

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
                       "voxel": list(d.voxel), "sagittal_slice_canonical": d.slice,
                       "confidence": d.confidence, "identity": d.identity}
                      for d in result.discs],
            "numbering": {**numbering_summary(result.chain), "explanation": NUMBERING_NOTE},
            "warnings": list(result.warnings),
            "polarity": result.polarity,
            "acquisition": None if result.acquisition is None else result.acquisition.summary(),
            "sagittal_slice_canonical": result.slice_index,
            "model": {"path": str(self.weights), "sha256": self.sha256,
                      "confidence_threshold": self.threshold,
                      "runtime": self.network.runtime, "device": self.network.device},
            "software": {"name": "disclabel", "version": __version__},
        }


def fov_bottom_row(g2s: np.ndarray, slice_rows: int, grid_rows: int) -> float:
    """The lowest grid row (input pixels) inside a sagittal slice of ``slice_rows`` rows, by
    the grid -> slice map ``g2s`` (3, 3) of :func:`disclabel.data.geometry.grid_to_slice`; at
    most the grid's last row."""
    return float(min((slice_rows - 0.5 - g2s[0, 2]) / g2s[0, 0], grid_rows - 1))


def _course(chain: ChainResult, height: int) -> np.ndarray | None:
    """(height,) the spine's left-right position (mm) on every output row, through the discs
    of ``chain`` (None without a chain)."""
    found = np.flatnonzero(np.isfinite(chain.coords[:, 0]))
    if not len(found):
        return None
    rows = input_to_output(chain.coords[found, 0])
    return volume3d.spine_path(rows, chain.lateral_mm[found].astype(np.float64), height)


def _fine_sweep(n_slices: int, zoom: float, course: np.ndarray) -> list[int]:
    """The slices of the fine sweep: every ``FINE_STEP_MM`` within ``BAND_HALF_WIDTH_MM`` of
    the spine's course (mm per output row)."""
    band = (float(course.min()) - BAND_HALF_WIDTH_MM, float(course.max()) + BAND_HALF_WIDTH_MM)
    return sweep_positions(n_slices, zoom, FINE_STEP_MM, band)


def _columns(chain: ChainResult, width: int) -> tuple[int, int] | None:
    """The columns (first, end) of the second sweep: ``FINE_WIDTH_PX`` around the posterior
    tips of ``chain``'s discs; None (every column) without a chain or on a narrow grid."""
    found = np.isfinite(chain.coords[:, 1])
    if not found.any() or width <= FINE_WIDTH_PX:
        return None
    tip = float(np.median(chain.coords[found, 1]))
    first = int(round((tip - FINE_TIP_AT * FINE_WIDTH_PX) / OUTPUT_STRIDE)) * OUTPUT_STRIDE
    first = min(max(first, 0), width - FINE_WIDTH_PX)
    return first, first + FINE_WIDTH_PX
