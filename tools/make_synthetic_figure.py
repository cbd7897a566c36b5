#!/usr/bin/env python
"""Figure of synthetic spine MRI: mid-sagittal slices of generated T1w-like and T2w-like volumes
(and random-contrast ones), then 2-D training samples, with their disc labels drawn and numbered.

    python tools/make_synthetic_figure.py [--out images/synthetic_examples.png] [--subjects 4]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import nibabel as nib  # noqa: E402
import numpy as np  # noqa: E402

from disclabel.synthetic import generate_subject, sample_2d  # noqa: E402

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "images" / "synthetic_examples.png"
PANEL_INCHES = 3.2
LABEL_COLOUR = "#ff3b30"
FIGURE_DPI = 80


def mid_sagittal(image: np.ndarray, labels: np.ndarray, affine: np.ndarray
                 ) -> tuple[np.ndarray, list[tuple[float, float, int]], tuple[float, float]]:
    """The labelled sagittal slice, head up and anterior left, through nibabel's RAS reorientation.

    Returns the slice (rows superior -> inferior, cols anterior -> posterior), the labels as
    (row, col, disc number) and the (row, col) pixel size in mm for the aspect ratio."""
    img = nib.as_closest_canonical(nib.Nifti1Image(image, affine))
    lab = nib.as_closest_canonical(nib.Nifti1Image(labels, affine))
    a = np.asarray(img.dataobj)
    lv = np.asarray(lab.dataobj)
    pts = np.argwhere(lv > 0)
    x = int(pts[0, 0]) if len(pts) else a.shape[0] // 2
    sl = a[x].T[::-1, ::-1]  # RAS (y, z) -> (z down, y anterior-first)
    ny, nz = a.shape[1], a.shape[2]
    marks = [(nz - 1 - p[2], ny - 1 - p[1], int(lv[tuple(p)])) for p in pts]
    zooms = img.header.get_zooms()
    return sl, marks, (float(zooms[2]), float(zooms[1]))


def _show(ax, sl: np.ndarray, marks, title: str, aspect: float = 1.0) -> None:
    lo, hi = np.nanpercentile(sl, (0.5, 99.5))
    ax.imshow(np.clip((sl - lo) / max(hi - lo, 1e-6), 0, 1), cmap="gray", aspect=aspect,
              interpolation="bilinear")
    for r, c, n in marks:
        ax.plot(c, r, "o", ms=3.5, mfc=LABEL_COLOUR, mec="white", mew=0.5)
        ax.text(c + 6, r, str(n), color=LABEL_COLOUR, fontsize=7, va="center", clip_on=True)
    ax.set_title(title, fontsize=8)
    ax.set_axis_off()


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output PNG")
    p.add_argument("--subjects", type=int, default=4, help="subjects (columns)")
    p.add_argument("--seed", type=int, default=0, help="first subject seed")
    return p


def main(argv: list[str] | None = None) -> int:
    args = get_parser().parse_args(argv)
    n = args.subjects
    rows = 4
    fig, axes = plt.subplots(rows, n, figsize=(PANEL_INCHES * n, PANEL_INCHES * rows * 1.1))
    axes = np.asarray(axes).reshape(rows, n)
    for j in range(n):
        seed = args.seed + j
        vols = generate_subject(seed, ("T1w", "T2w"))
        for i, contrast in enumerate(("T1w", "T2w")):
            v = vols[contrast]
            sl, marks, (dr, dc) = mid_sagittal(v.image, v.labels, v.affine)
            codes = "".join(nib.aff2axcodes(v.affine))
            _show(axes[i, j], sl, marks,
                  f"seed {seed} {contrast} {codes} {v.image.shape}", aspect=dr / dc)
        v = generate_subject(seed + 1000, ("T2w",), mode="random")["T2w"]
        sl, marks, (dr, dc) = mid_sagittal(v.image, v.labels, v.affine)
        _show(axes[2, j], sl, marks, f"seed {seed + 1000} random contrast", aspect=dr / dc)
        img, kp = sample_2d(np.random.default_rng(seed))
        marks = [(r, c, k + 1) for k, (r, c) in enumerate(kp) if np.isfinite(r)]
        _show(axes[3, j], img, marks, f"sample_2d rng({seed}) 256x256")
    fig.tight_layout()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, dpi=FIGURE_DPI)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
