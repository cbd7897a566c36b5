"""The labelled real volumes of ../shared/data, linked (never copied) into a BIDS tree.

Subjects and sessions follow what the volumes are: ``sct_testing_data/t1`` and ``t2`` are crops
of the subject of ``sub-sctexample`` (see ../shared/data/SOURCES.md), so they are its session
``ses-crop``, and every split by subject keeps them on the side of ``sub-sctexample``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
LABEL_SUFFIX = "labels-disc-manual"
"""Suffix given to the linked label files (whatever their name in ../shared/data)."""


@dataclass(frozen=True)
class RealVolume:
    """One labelled real volume: BIDS subject, session (or ""), contrast, image and disc label
    paths relative to ../shared/data, and whether the shipped model may train on it."""

    subject: str
    session: str
    contrast: str
    image: str
    label: str
    trainable: bool = True

    @property
    def prefix(self) -> str:
        return f"{self.subject}_{self.session}" if self.session else self.subject

    def bids_paths(self, root: Path) -> tuple[Path, Path]:
        """(image, label) paths of this volume in a BIDS tree at ``root``."""
        rel = Path(self.subject, self.session) if self.session else Path(self.subject)
        image = root / rel / "anat" / f"{self.prefix}_{self.contrast}.nii.gz"
        label = (root / "derivatives" / "labels" / rel / "anat" /
                 f"{self.prefix}_{self.contrast}_{LABEL_SUFFIX}.nii.gz")
        return image, label


_ERRSM = "sct_errsm_t2"
_DERIVED = "labels-disc-derived"


def _errsm(subject: str) -> RealVolume:
    return RealVolume(subject, "", "T2w", f"{_ERRSM}/{subject}/anat/{subject}_T2w.nii.gz",
                      f"{_ERRSM}/derivatives/labels/{subject}/anat/{subject}_T2w_{_DERIVED}.nii.gz")


REAL_VOLUMES: tuple[RealVolume, ...] = (
    _errsm("sub-errsm11"), _errsm("sub-errsm20"), _errsm("sub-errsm22"),
    _errsm("sub-sctexample"),
    RealVolume("sub-sctexample", "ses-crop", "T2w", "sct_testing_data/t2/t2.nii.gz",
               f"sct_testing_data/t2/t2_{_DERIVED}.nii.gz"),
    RealVolume("sub-sctexample", "ses-crop", "T1w", "sct_testing_data/t1/t1w.nii.gz",
               f"sct_testing_data/t1/t1w_{_DERIVED}.nii.gz"),
    RealVolume("sub-pam50", "", "T2w", "sct_testing_data/template/PAM50_small_t2.nii.gz",
               "sct_testing_data/template/PAM50_small_label_discPosterior.nii.gz"),
    # image origin undocumented (DESIGN section 4): evaluation only, never the shipped model
    RealVolume("sub-tptbox", "", "T2w", "tptbox_sample_mri/sub-mri_label-6_T2w.nii.gz",
               f"tptbox_sample_mri/sub-mri_label-6_T2w_{_DERIVED}.nii.gz", trainable=False),
)
LOSO_SUBJECTS: tuple[str, ...] = ("sub-errsm11", "sub-errsm20", "sub-errsm22", "sub-sctexample")
"""The four real subjects of one protocol (neck to upper thorax, 1 mm T2w), each held out once."""


def available() -> bool:
    """Whether ../shared/data is present (a user's fresh clone has none)."""
    return all((SHARED / v.image).is_file() for v in REAL_VOLUMES)


def link_bids(root: Path, volumes: tuple[RealVolume, ...] = REAL_VOLUMES) -> Path:
    """A BIDS tree at ``root`` of symbolic links to ``volumes`` and their disc labels."""
    for volume in volumes:
        for src, dst in zip((volume.image, volume.label), volume.bids_paths(root), strict=True):
            dst.parent.mkdir(parents=True, exist_ok=True)
            if not dst.is_symlink():
                dst.symlink_to(SHARED / src)
    return root
