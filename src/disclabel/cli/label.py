"""Label the discs of any spine MRI: for each NIfTI volume, write a label file in the image's own
space (same shape and affine; one voxel per disc at its posterior tip, valued with the disc number),
a JSON sidecar, and optionally a QC picture."""

from __future__ import annotations

import argparse
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from disclabel.cli.common import Parser, exit_now, run_main
from disclabel.constants import CONTRASTS, LABEL_SUFFIX_OUT, LABEL_WORKERS
from disclabel.data.io import InputError, available_cores, nifti_stem, write_json
from disclabel.labeling.acquisition import RefusedVolume
from disclabel.labeling.outcome import NO_SPINE_WARNING
from disclabel.labeling.polarity import POLARITIES
from disclabel.labeling.runtime import BACKENDS
from disclabel.labeling.volumes import LoadedVolume, default_output, read_volume

if TYPE_CHECKING:
    from disclabel.labeling.labeler import Labeler, LabelResult


def get_parser() -> argparse.ArgumentParser:
    p = Parser(prog="label.py", description=__doc__)
    p.add_argument("images", nargs="*", type=Path, metavar="IMAGE", help="NIfTI volume(s)")
    p.add_argument("-o", "--out", type=Path, default=None,
                   help="output file (one input) or folder (several inputs, or --bids); default: "
                        f"<input stem>_{LABEL_SUFFIX_OUT}.nii.gz beside each input")
    p.add_argument("--weights", type=Path, default=None,
                   help="checkpoint (a run's best.pt); default: the model the project ships")
    p.add_argument("--device", default="auto",
                   help="auto, cpu, cuda or cuda:N (auto: the CPU for a model with an ONNX "
                        "export, as the shipped one, else a CUDA GPU if present)")
    p.add_argument("--backend", default="auto", choices=BACKENDS,
                   help="what runs the network: torch, onnx (ONNX Runtime, CPU only, from the "
                        "checkpoint's .onnx export beside it), or auto (default): onnx on the "
                        "CPU where such an export of these weights exists, else torch")
    p.add_argument("--polarity", default="acquired", choices=POLARITIES,
                   help="read each volume's contrast as acquired (default), inverted (every "
                        "slice inverted inside the body, as training inverts), or auto: both "
                        "ways, keeping the inverted reading when its numbering is far surer "
                        "(twice the labelling time; the sidecar's 'polarity' says which)")
    p.add_argument("--qc", type=Path, default=None, metavar="DIR",
                   help="write a QC picture per image into DIR")
    p.add_argument("--bids", type=Path, default=None, metavar="ROOT",
                   help="label every T1w/T2w image of a BIDS dataset into BIDS derivatives")
    p.add_argument("--contrasts", nargs="+", default=list(CONTRASTS),
                   help="contrasts labelled with --bids (default: T1w T2w)")
    p.add_argument("--shard", type=parse_shard, default=(1, 1), metavar="K/N",
                   help="label only the K-th of N shares of the inputs (K = 1..N; sorted by "
                        "path, every N-th from the K-th), so that N processes or array jobs "
                        "split a dataset without overlap")
    p.add_argument("--explain", action="store_true",
                   help="print how the numbering vote went for each image: the best "
                        "numberings' scores and each disc's say in them")
    return p


def parse_shard(text: str) -> tuple[int, int]:
    """``"K/N"`` -> (K, N) with 1 <= K <= N."""
    try:
        k, n = (int(part) for part in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected K/N, e.g. 1/4") from None
    if not 1 <= k <= n:
        raise argparse.ArgumentTypeError(f"{text!r}: K must lie between 1 and N")
    return k, n


def shard_jobs(jobs: list[tuple[Path, Path]], shard: tuple[int, int]
               ) -> list[tuple[Path, Path]]:
    """The jobs of shard ``(K, N)``: sorted by input path, every N-th starting at the K-th."""
    k, n = shard
    return sorted(jobs, key=lambda job: str(job[0]))[k - 1::n]


class VolumeReader:
    """The jobs in order, each with its volume read in ``pool``'s thread (a future).

    The first read starts at once, on construction, so that it overlaps the import of torch and
    the loading of the model. Later volumes are read one job ahead, overlapping the network's work
    on the current one, when ``overlap`` is set (the network runs on a GPU); on the CPU the
    network already uses every core, and a read beside it slowed both (measured on 2 cores: 0.16
    against 0.14 s per volume), so each is read when the job before it is taken (with several
    volumes labelled at a time, :func:`outcomes`: when that job is handed to a thread).
    """

    def __init__(self, pool: ThreadPoolExecutor, jobs: list[tuple[Path, Path]]) -> None:
        self.pool, self.jobs = pool, jobs
        self.overlap = True
        self._first = [pool.submit(read_volume, image) for image, _ in jobs[:1]]

    def __iter__(self) -> Iterator[tuple[Path, Path, Future]]:
        pending = self._first
        for i, (image, output) in enumerate(self.jobs):
            following = self.jobs[i + 1][0] if i + 1 < len(self.jobs) else None
            if following is not None and self.overlap:
                pending.append(self.pool.submit(read_volume, following))
            yield image, output, pending.pop(0)
            if following is not None and not pending:
                pending.append(self.pool.submit(read_volume, following))


@dataclass
class Outcome:
    """One job's outcome: its result (written), or the error that stopped it, and its seconds
    (reading, labelling, writing)."""

    result: LabelResult | None
    error: InputError | None
    seconds: float


def label_one(labeler: Labeler, loading: Callable[[], LoadedVolume], output: Path) -> Outcome:
    """Read a volume (``loading()``), label it and write its outputs to ``output``; a bad or
    refused volume gives its error instead."""
    tic = time.perf_counter()
    try:
        result = labeler.label_volume(loading())
        labeler.save(result, output)
    except InputError as exc:  # RefusedVolume too
        return Outcome(None, exc, time.perf_counter() - tic)
    return Outcome(result, None, time.perf_counter() - tic)


def outcomes(labeler: Labeler, volumes: VolumeReader, workers: int
             ) -> Iterator[tuple[Path, Path, Outcome]]:
    """Every job's outcome, in the jobs' order. With ``workers`` > 1 that many volumes are
    labelled at a time in threads (the network must be ``concurrent``), at most one more read
    ahead, so that a long batch holds only a few volumes at once."""
    if workers <= 1:
        for image, output, loading in volumes:
            yield image, output, label_one(labeler, loading.result, output)
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        pending: deque[tuple[Path, Path, Future]] = deque()
        for image, output, loading in volumes:
            pending.append((image, output, pool.submit(label_one, labeler, loading.result,
                                                       output)))
            if len(pending) > workers:
                image, output, done = pending.popleft()
                yield image, output, done.result()
        while pending:
            image, output, done = pending.popleft()
            yield image, output, done.result()


def _is_nifti_name(path: Path) -> bool:
    return path.name.endswith((".nii", ".nii.gz"))


def _bids_jobs(root: Path, out: Path | None, contrasts: Sequence[str]) -> tuple[list, Path]:
    """(image, output) pairs of a BIDS dataset and the derivatives folder."""
    if not root.is_dir():
        raise InputError(f"{root}: BIDS root not found")
    deriv = (out or root / "derivatives") / "labels"
    jobs = []
    for image in sorted(root.glob("sub-*/**/anat/sub-*.nii*")):
        if "derivatives" in image.relative_to(root).parts:
            continue
        if not any(image.name.split(".")[0].endswith(f"_{c}") for c in contrasts):
            continue
        rel = image.parent.relative_to(root)
        jobs.append((image, deriv / rel / default_output(image).name))
    if not jobs:
        raise InputError(f"{root}: no {'/'.join(contrasts)} image in sub-*/anat")
    return jobs, deriv


def _jobs(args: argparse.Namespace) -> tuple[list[tuple[Path, Path]], Path | None]:
    if args.bids is not None:
        if args.images:
            raise InputError("give either IMAGE ... or --bids ROOT, not both")
        return _bids_jobs(args.bids, args.out, args.contrasts)
    if not args.images:
        raise InputError("no input: give IMAGE [IMAGE ...] or --bids ROOT")
    if args.out is None:
        return [(p, default_output(p)) for p in args.images], None
    if len(args.images) == 1 and _is_nifti_name(args.out):
        return [(args.images[0], args.out)], None
    if _is_nifti_name(args.out):
        raise InputError(f"{args.out}: -o must be a folder when labelling several images")
    return [(p, args.out / default_output(p).name) for p in args.images], None


def _write_qc(rgb: np.ndarray, folder: Path, output: Path) -> Path:
    from disclabel.viz.canvas import save_png

    path = folder / f"{nifti_stem(output)}_qc.png"
    save_png(path, rgb)
    return path


def _write_mosaic(folder: Path, pictures: list[np.ndarray], names: list[str],
                  shard: tuple[int, int]) -> Path:
    from disclabel.viz.canvas import save_png
    from disclabel.viz.qc import render_mosaic

    suffix = "" if shard == (1, 1) else f"_shard-{shard[0]}-of-{shard[1]}"
    path = folder / f"qc_overview{suffix}.png"
    save_png(path, render_mosaic(pictures, names))
    return path


def _body(args: argparse.Namespace) -> int:

    jobs, deriv = _jobs(args)
    sharded = args.shard != (1, 1)
    if sharded:
        jobs = shard_jobs(jobs, args.shard)
        print(f"shard {args.shard[0]}/{args.shard[1]}: {len(jobs)} images")
    with ThreadPoolExecutor(max_workers=1) as pool:
        volumes = VolumeReader(pool, jobs)  # the first volume is being read from here on
        # imported only now, the network's library (torch or onnxruntime) overlaps that reading
        from disclabel.labeling.labeler import Labeler
        from disclabel.labeling.runtime import check_weights

        weights = check_weights(args.weights)
        workers = min(LABEL_WORKERS, len(jobs))
        try:
            labeler = Labeler(weights, args.device, backend=args.backend,
                              polarity=args.polarity,
                              threads=max(1, available_cores() // workers) if workers > 1
                              else None)
        except ValueError as exc:
            raise InputError(str(exc)) from exc
        volumes.overlap = labeler.network.device != "cpu"
        if not labeler.network.concurrent:
            workers = 1
        return _label_all(args, jobs, deriv, outcomes(labeler, volumes, workers))


def _label_all(args: argparse.Namespace, jobs: list[tuple[Path, Path]], deriv: Path | None,
               done: Iterator[tuple[Path, Path, Outcome]]) -> int:
    """Report every job's outcome (the labels already written), draw its QC picture; returns
    the exit code."""
    failures = refused = warned = 0
    qc_pictures: list[np.ndarray] = []
    qc_names: list[str] = []
    for image_path, output, outcome in done:
        result = outcome.result
        if result is None:
            if isinstance(outcome.error, RefusedVolume):
                refused += 1
            else:
                failures += 1
            print(f"label.py: error: {outcome.error}", file=sys.stderr)
            continue
        names = " ".join(str(d.number) for d in result.discs)
        inverted = " read inverted" if result.read_inverted else ""
        print(f"{image_path}: {len(result.discs)} discs [{names}]{inverted} -> {output} "
              f"({outcome.seconds:.2f} s)")
        for warning in result.warnings:
            written = "; wrote an empty label file" if warning == NO_SPINE_WARNING else ""
            print(f"label.py: warning: {image_path}: {warning}{written}", file=sys.stderr)
        warned += bool(result.warnings)
        if args.explain:
            from disclabel.labeling.explain import vote_lines

            print("\n".join(vote_lines(result.chain, result.pixel_mm)))
        if args.qc is not None:
            from disclabel.viz.qc import label_qc

            rgb = label_qc(result)
            _write_qc(rgb, args.qc, output)
            if len(jobs) > 1:
                qc_pictures.append(rgb)
                qc_names.append(nifti_stem(image_path))
    if qc_pictures:
        print(f"QC overview: {_write_mosaic(args.qc, qc_pictures, qc_names, args.shard)}")
    if deriv is not None and not (deriv / "dataset_description.json").exists():
        from disclabel.version import __version__

        write_json(deriv / "dataset_description.json", {
            "Name": "Intervertebral disc labels", "BIDSVersion": "1.9.0",
            "DatasetType": "derivative",
            "GeneratedBy": [{"Name": "disclabel", "Version": __version__}]})
    if len(jobs) > 1:
        print(f"label.py: {len(jobs) - failures - refused} of {len(jobs)} images labelled "
              f"({warned} with warnings), {refused} refused, {failures} failed", file=sys.stderr)
    if failures or refused:
        print(f"label.py: {failures + refused} of {len(jobs)} images failed", file=sys.stderr)
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the script; returns the exit code."""
    return run_main(get_parser(), argv, _body)


def run() -> None:
    """Console entry point."""
    exit_now(main())
