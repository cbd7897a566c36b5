"""Scoring another tree's label.py (tools/labeller_against.py): run as a process of a source
tree, its label files are found and scored as the in-process labeller's results are."""

from __future__ import annotations

import pytest

from conftest import ERRSM, REPO, needs_shared, tool_module
from disclabel.evaluation.scoring import reference_discs
from disclabel.labeling.runtime import default_weights

ERRSM20 = ERRSM / "sub-errsm20" / "anat"


@needs_shared(ERRSM20)
def test_a_tree_run_as_a_process_scores_as_in_process(tmp_path):
    """This tree's label.py run the way another commit's is (a process with the tree's
    ``src`` on PYTHONPATH) names the same discs as the in-process labeller, its errors within
    the rounding of a label file's voxel (half the diagonal of a 1 mm voxel), and gives a
    summary table per change."""
    if not default_weights().is_file():
        pytest.skip("the shipped model is not installed")
    against = tool_module("labeller_against")
    harness = tool_module("harness")
    image = ERRSM20 / "sub-errsm20_T2w.nii.gz"
    reference = reference_discs(next(ERRSM.glob(
        "derivatives/labels/sub-errsm20/anat/sub-errsm20_T2w_labels-disc*.nii.gz")))
    items = [("sub-errsm20", "unchanged", image, reference)]
    process = against.score_revision(REPO, default_weights(), items, tmp_path / "labels")
    in_process = harness.score_volumes(default_weights(), [("sub-errsm20 unchanged", image,
                                                            reference)])
    assert (tmp_path / "labels" / "sub-errsm20_T2w_labels-disc.nii.gz").is_file()
    for key in ("n_identified", "n_ref", "false_positives"):
        assert process[0][key] == in_process[0][key], key
    for key in ("errors_mm", "errors_3d_mm"):
        assert process[0][key] == pytest.approx(in_process[0][key], abs=0.87), key
    text, summaries = against.table("this tree", items, process)
    row = f"| **unchanged** | {process[0]['n_identified']}/{len(reference)} |"
    assert list(summaries) == ["unchanged"] and row in text
