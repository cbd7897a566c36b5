"""The chain decoder on hand-made heatmaps: one numbering for the whole chain, gaps only where
the spacing shows a missed disc, the offset chosen by every detection's evidence with its margin,
and no spine reported from a lone peak or from peaks that do not form a chain."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from conftest import SHARED_DATA, needs_shared, tool_module
from disclabel.constants import NUM_DISCS
from disclabel.data.heatmaps import render_heatmaps
from disclabel.labeling import anchors, nospine, numbering, peaks
from disclabel.labeling import spacing as prior
from disclabel.labeling.chain import ChainResult, decode_chain
from disclabel.labeling.links import disc_spacing, drop_short_links, relative_numbers
from disclabel.labeling.nospine import MIN_CHAIN_DISCS, MIN_CHAIN_IDENTITY
from disclabel.labeling.numbering import anchor_weights, offset_certainty, vote_offsets

PIXEL_MM = 1.0
SHAPE = (64, 48)  # output pixels: 256 x 192 input pixels at 1 mm
SIGMA = 1.0


def _maps(points: list[tuple[float, float, dict[int, float]]]) -> np.ndarray:
    """Heatmaps (25, h, w) with a Gaussian at each (row, col) input point, of height
    ``weights[disc]`` in the channel of each disc listed."""
    maps = np.zeros((NUM_DISCS, *SHAPE), np.float32)
    for row, col, weights in points:
        for disc, weight in weights.items():
            kp = np.full((NUM_DISCS, 2), np.nan)
            kp[disc - 1] = (row, col)
            maps += weight * render_heatmaps(kp, SHAPE, SIGMA)
    return maps


def _column(discs, top=30.0, spacing=16.0, col=100.0, weights=None):
    """Discs down one column; ``weights(i, disc)`` gives the channel evidence of detection i."""
    weights = weights or (lambda i, d: {d: 1.0})
    return [(top + i * spacing, col, weights(i, d)) for i, d in enumerate(discs)]


def _found(result: ChainResult) -> list[int]:
    return result.numbers


def test_clean_chain_is_numbered_with_a_clear_margin():
    discs = list(range(3, 12))
    result = decode_chain(_maps(_column(discs)), PIXEL_MM)
    assert _found(result) == discs and result.offset == 3 and result.gaps == []
    assert result.margin > 10 and result.offset_probability > 0.99
    rows = result.coords[np.array(discs) - 1, 0]
    assert np.allclose(rows, 30 + 16 * np.arange(len(discs)), atol=0.3)
    assert np.all(result.confidence[np.array(discs) - 1] > 0.9)


def test_one_wrong_channel_does_not_shift_the_chain():
    # the network calls disc 5 "7" and disc 8 "9": the chain keeps one numbering
    wrong = {2: 7, 5: 9}
    pts = _column(range(3, 12), weights=lambda i, d: {wrong.get(i, d): 1.0})
    result = decode_chain(_maps(pts), PIXEL_MM)
    assert _found(result) == list(range(3, 12))


def test_a_missed_disc_leaves_a_gap_and_the_rest_keeps_its_numbers():
    pts = [p for p in _column(range(3, 12)) if 6 not in p[2]]
    result = decode_chain(_maps(pts), PIXEL_MM)
    assert _found(result) == [3, 4, 5, 7, 8, 9, 10, 11] and result.gaps == [6]


def test_an_inserted_peak_between_discs_is_dropped():
    pts = _column(range(3, 10))
    pts.append((30 + 16 * 2.5, 100.0, {6: 0.6}))  # on a vertebral body, between discs 5 and 6
    result = decode_chain(_maps(pts), PIXEL_MM)
    assert _found(result) == list(range(3, 10))
    # disc 6 stays where it is (the inserted peak's tail pulls its sub-pixel peak a little)
    assert abs(result.coords[5, 0] - (30 + 16 * 3)) < 2.0


def test_the_anchor_decides_when_the_other_discs_are_unsure():
    # only the top disc knows it is C2/C3; the others spread their evidence over 5 channels
    def weights(i, d):
        return {3: 1.0} if i == 0 else {d + k: 0.2 for k in range(-2, 3)}

    result = decode_chain(_maps(_column(range(3, 10), weights=weights)), PIXEL_MM)
    assert _found(result) == list(range(3, 10)) and result.margin > 2


def test_the_vote_follows_the_majority_and_reports_a_small_margin_when_split(monkeypatch):
    # four detections say the chain starts at 3, three that it starts at 4 (the evidence vote
    # alone: these evenly spaced columns fit no level of the template's spacing profile)
    monkeypatch.setattr(prior, "SPACING_WEIGHT", 0.0)

    def weights(i, d):
        return {d: 1.0} if i < 4 else {d + 1: 1.0}

    result = decode_chain(_maps(_column(range(3, 10), weights=weights)), PIXEL_MM)
    assert result.offset == 3
    split = decode_chain(_maps(_column(range(3, 9), weights=lambda i, d: {d: 0.5, d + 1: 0.5})),
                         PIXEL_MM)
    assert abs(split.margin) < 0.05 and split.offset_probability == pytest.approx(0.5, abs=0.02)


def test_identity_split_between_two_channels_is_still_one_disc():
    pts = _column(range(5, 12), weights=lambda i, d: {d: 0.55, d + 1: 0.45})
    result = decode_chain(_maps(pts), PIXEL_MM)
    assert _found(result) == list(range(5, 12))
    assert np.all(result.confidence[4:11] > 0.9)
    assert np.all((result.identity[4:11] > 0.45) & (result.identity[4:11] < 0.55))


def test_a_detection_above_c2_c3_is_dropped_not_numbered_3():
    # a disc-like peak at the dens base that the network half calls C1/C2: the chain's top is
    # numbered 2 by the vote and dropped; the real discs keep their names
    pts = _column(range(3, 10), top=60.0)
    pts.append((38.0, 100.0, {2: 0.5, 3: 0.5}))
    result = decode_chain(_maps(pts), PIXEL_MM)
    assert _found(result)[-7:] == list(range(3, 10)) and result.offset == 3
    assert abs(result.coords[2, 0] - 60.0) < 1.0


def test_landmarks_one_and_two_are_placed_above_c2_c3():
    pts = _column(range(3, 8), top=60.0)
    pts += [(35.0, 98.0, {2: 1.0}), (24.0, 96.0, {1: 1.0})]
    result = decode_chain(_maps(pts), PIXEL_MM)
    assert _found(result) == [1, 2, 3, 4, 5, 6, 7]
    # without C2/C3 in the chain the landmarks are not placed
    pts = _column(range(4, 8), top=76.0) + [(35.0, 98.0, {2: 1.0})]
    assert _found(decode_chain(_maps(pts), PIXEL_MM)) == [4, 5, 6, 7]


def test_a_lumbar_spacing_chain_is_followed():
    discs = list(range(20, 26))
    result = decode_chain(_maps(_column(discs, top=20.0, spacing=36.0)), PIXEL_MM)
    assert _found(result) == discs


def test_spacing_is_measured_in_mm():
    pts = _maps(_column(range(3, 9), spacing=16.0))
    # 16 pixels are 16 mm at 1 mm and 40 mm at 2.5 mm: both plausible disc spacings
    assert _found(decode_chain(pts, 1.0)) == list(range(3, 9))
    assert _found(decode_chain(pts, 2.5)) == list(range(3, 9))
    # at 0.4 mm they are 6.4 mm: too close to be consecutive discs
    assert len(_found(decode_chain(pts, 0.4))) < 6


@pytest.mark.parametrize("case", ["zeros", "haze", "lone-peak", "side-by-side", "too-far",
                                  "horizontal"])
def test_no_spine_without_a_chain(case):
    """The no-spine rule: a spine needs at least MIN_CHAIN_DISCS detections forming a chain."""
    assert MIN_CHAIN_DISCS == 2
    rng = np.random.default_rng(0)
    maps = {
        "zeros": np.zeros((NUM_DISCS, *SHAPE), np.float32),
        # a low haze over every channel (a network unsure of everything) sums to nothing
        "haze": rng.uniform(0.0, 0.09, (NUM_DISCS, *SHAPE)).astype(np.float32),
        "lone-peak": _maps([(100.0, 100.0, {3: 1.0})]),
        "side-by-side": _maps([(100.0, 40.0, {3: 1.0}), (100.0, 150.0, {4: 1.0})]),
        "too-far": _maps([(10.0, 100.0, {3: 1.0}), (240.0, 100.0, {4: 1.0})]),
        "horizontal": _maps([(100.0, 20.0, {3: 1.0}), (110.0, 160.0, {4: 1.0})]),
    }[case]
    result = decode_chain(maps, PIXEL_MM)
    assert _found(result) == [] and result.offset is None and math.isnan(result.margin)
    assert not result.confidence.any()


def _unsure(i, d):
    """Evidence spread evenly over the nine channels around disc ``d`` (each above the channel
    floor): a strong disc-like peak whose identity share is 1/9, below MIN_CHAIN_IDENTITY."""
    return {c: 0.25 for c in range(d - 4, d + 5)}


def test_an_unrecognised_regular_column_of_discs_is_still_a_spine():
    """The no-spine decision is separate from the discs' identity: six strong, separate,
    evenly spaced peaks whose evidence no channel claims (a lumbar spine the network cannot
    name) are a spine, numbered and reported unrecognised; the same peaks named clearly are
    recognised."""
    assert 1.0 / 9 < MIN_CHAIN_IDENTITY and nospine.MIN_UNNAMED_DISCS <= 6
    discs = list(range(14, 20))
    unsure = decode_chain(_maps(_column(discs, top=20.0, spacing=32.0, weights=_unsure)),
                          PIXEL_MM)
    assert len(_found(unsure)) == 6 and not unsure.recognised
    assert np.diff(_found(unsure)).tolist() == [1] * 5 and unsure.anchors == []
    assert unsure.identity[unsure.identity > 0].mean() < MIN_CHAIN_IDENTITY
    clear = decode_chain(_maps(_column(discs, top=20.0, spacing=32.0)), PIXEL_MM)
    assert _found(clear) == discs and clear.recognised
    # a missed disc below a run of four: still a spine, the gap kept
    missed = [p for i, p in enumerate(_column(discs, top=20.0, spacing=32.0, weights=_unsure))
              if i != 4]
    result = decode_chain(_maps(missed), PIXEL_MM)
    found = _found(result)
    assert len(found) == 5 and not result.recognised and result.gaps == [found[3] + 1]


@pytest.mark.parametrize("case", ["short", "long-links", "skipped-disc"])
def test_an_unrecognised_row_of_blobs_is_no_spine_unless_a_regular_column(case):
    """An unrecognised chain needs a run of MIN_UNNAMED_DISCS consecutive members and links of
    at most MAX_UNNAMED_LINK_MM per disc: three blobs (the false chains of the no-spine set had
    three members at most), blobs 60 mm apart, or six blobs in two runs of three (one missed
    between them) give no disc, though the same blobs named clearly would be a chain."""
    assert nospine.MIN_UNNAMED_DISCS == 4 and nospine.MAX_UNNAMED_LINK_MM < 60.0
    rows = {"short": [40.0, 72.0, 104.0], "long-links": [10.0, 70.0, 130.0, 190.0],
            "skipped-disc": [10.0, 42.0, 74.0, 138.0, 170.0, 202.0]}[case]
    pts = [(r, 100.0, _unsure(i, 14 + i)) for i, r in enumerate(rows)]
    result = decode_chain(_maps(pts), PIXEL_MM)
    assert _found(result) == [] and result.offset is None and not result.confidence.any()
    named = decode_chain(_maps([(r, c, {14 + i: 1.0}) for i, (r, c, _) in enumerate(pts)]),
                         PIXEL_MM)
    assert len(_found(named)) == len(rows) and named.recognised


def test_the_numbering_is_anchored_only_at_a_recognised_end_of_the_spine():
    """``anchors``: "C2" for a chain from C2/C3 with C1/C2 found above it, "sacrum" for one
    ending at L5/S1 with at least SACRUM_ANCHOR_SHARE of that disc's evidence on L5/S1."""
    neck = _column(range(3, 8), top=60.0) + [(35.0, 98.0, {2: 1.0}), (24.0, 96.0, {1: 1.0})]
    assert decode_chain(_maps(neck), PIXEL_MM).anchors == ["C2"]
    cropped = _column(range(4, 8), top=76.0) + [(35.0, 98.0, {2: 1.0})]
    assert decode_chain(_maps(cropped), PIXEL_MM).anchors == []
    lumbar = _column(range(20, 26), top=20.0, spacing=36.0)
    result = decode_chain(_maps(lumbar), PIXEL_MM)
    assert _found(result) == list(range(20, 26)) and result.anchors == ["sacrum"]
    # L5/S1 found but not recognised: a quarter of its evidence on L5/S1
    unsure_end = lumbar[:-1] + [(lumbar[-1][0], 100.0, {25: 0.25, 24: 0.4, 23: 0.35})]
    result = decode_chain(_maps(unsure_end), PIXEL_MM)
    assert _found(result) == list(range(20, 26))
    assert result.identity[24] < anchors.SACRUM_ANCHOR_SHARE and result.anchors == []


@pytest.mark.parametrize("discs", [[6, 7], [5, 6, 7]])
def test_peaks_along_one_unbroken_ridge_are_no_spine(discs):
    """The valley rule: discs strung along a continuous band of disc evidence (the skull's
    curve in a brain-only slab looks so to the network) give no disc, while the same discs as
    separate blobs give the chain. The band: 0.6 in the upper disc's channel on every output
    pixel of the column between two discs (the peaks, 1.0, stay the maxima)."""
    rows = [100.0 + 16.0 * i for i in range(len(discs))]
    blobs = _maps([(r, 100.0, {d: 1.0}) for r, d in zip(rows, discs, strict=True)])
    spine = decode_chain(blobs, PIXEL_MM)
    assert _found(spine) == discs
    band = blobs.copy()
    col = int(round((100.0 - 1.5) / 4))  # input pixel -> output pixel
    for r, d in zip(rows[:-1], discs, strict=False):
        top, bottom = int(round((r - 1.5) / 4)), int(round((r + 16.0 - 1.5) / 4))
        band[d - 1, top + 1:bottom, col] = np.maximum(band[d - 1, top + 1:bottom, col], 0.6)
    assert len(peaks.detect(np.clip(band[2:] - peaks.CHANNEL_FLOOR, 0, None).sum(0), 0.3)) \
        == len(discs)  # the same peaks, now joined
    ridge = decode_chain(band, PIXEL_MM)
    assert _found(ridge) == [] and ridge.offset is None and not ridge.confidence.any()


def test_link_valleys_by_hand():
    disc_map = np.zeros((10, 10))
    disc_map[2, 5] = disc_map[8, 5] = 1.0
    disc_map[3:8, 5] = 0.5
    disc_map[5, 5] = 0.2
    np.testing.assert_allclose(nospine.link_valleys(disc_map, np.array([[2, 5], [8, 5]])), [0.2])
    assert nospine.link_valleys(disc_map, np.array([[2, 5]])).shape == (0,)


def test_a_missed_disc_beside_regular_links_does_not_make_them_look_short():
    """Three discs 30 mm apart, then one across a missed disc (75 mm): the median of a regular
    link's neighbours would be (30 + 75) / 2 and the link 0.57 of it, "short"; counted as a link
    across two discs, the missed disc's link is 37.5 mm per disc and every member stays."""
    points = np.array([[0, 0], [30, 0], [60, 0], [135, 0]], float)
    strength = np.array([1.0, 1.0, 0.5, 0.5])
    assert drop_short_links(points, strength, [0, 1, 2, 3]) == [0, 1, 2, 3]
    assert disc_spacing(np.array([30.0, 30.0, 75.0]), 1) == pytest.approx(33.75)
    pts = [p for p in _column(range(18, 23), spacing=30.0) if 21 not in p[2]]
    result = decode_chain(_maps(pts), PIXEL_MM)
    assert _found(result) == [18, 19, 20, 22] and result.gaps == [21]


def test_a_duplicate_is_dropped_even_in_a_short_chain():
    """A second peak 5 mm below a disc, in a chain of three: its link is short against the other
    one (30 mm), which is not taken for a link across a missed disc."""
    points = np.array([[0, 0], [30, 0], [35, 0]], float)
    assert drop_short_links(points, np.array([1.0, 1.0, 0.4]), [0, 1, 2]) == [0, 1]
    points = np.array([[0, 0], [30, 0], [35, 0], [65, 0], [95, 0]], float)
    assert drop_short_links(points, np.array([1.0, 1.0, 0.4, 1.0, 1.0]),
                            [0, 1, 2, 3, 4]) == [0, 1, 3, 4]


def test_two_discs_are_enough_for_a_chain():
    result = decode_chain(_maps(_column([6, 7], top=100.0, spacing=20.0)), PIXEL_MM)
    assert _found(result) == [6, 7]


def test_relative_numbers_skip_only_at_long_links():
    pts = np.array([[0, 0], [16, 0], [32, 0], [64, 0], [80, 0], [96, 0], [144, 0]], float)
    assert relative_numbers(pts).tolist() == [0, 1, 2, 4, 5, 6, 9]
    # a gradual growth of the spacing (cervical to thoracic) is no gap
    pts = np.cumsum([[0, 0], [15, 0], [17, 0], [19, 0], [22, 0], [25, 0]], axis=0).astype(float)
    assert relative_numbers(pts).tolist() == [0, 1, 2, 3, 4, 5]


def test_vote_and_certainty_by_hand():
    evidence = np.zeros((3, NUM_DISCS))
    evidence[0, 2] = evidence[1, 3] = evidence[2, 5] = 1.0   # discs 3, 4, 6 with a gap at 5
    scores, shares = vote_offsets(evidence, np.array([0, 1, 3]))
    # the top may be numbered 1 or 2 (then dropped) as long as one member stays a disc
    assert min(scores) == 1 and max(scores) == NUM_DISCS - 3
    best, margin, probability = offset_certainty(scores)
    assert best == 3 and margin > 5 and probability > 0.99
    assert np.allclose(shares.sum(axis=1), 1.0)


def test_torch_input_and_bad_input():
    maps = _maps(_column(range(3, 8)))
    assert _found(decode_chain(torch.from_numpy(maps), PIXEL_MM)) == list(range(3, 8))
    with pytest.raises(ValueError, match="shape"):
        decode_chain(np.zeros((2, 8, 8)), PIXEL_MM)
    with pytest.raises(ValueError, match="pixel_mm"):
        decode_chain(maps, 0.0)


def _anchored_chain() -> np.ndarray:
    """C2/C3 and C3/C4 sure of their numbers (shares 0.64 / 0.36 on the next number), then six
    discs whose identities all lean one level low (shares 0.42 on the next number, 0.33 on
    their own, 0.25 on the one after): the pattern of the thoracic discs of real volumes."""
    def weights(i, d):
        return {d: 0.9, d + 1: 0.5} if i < 2 else {d + 1: 0.5, d: 0.4, d + 2: 0.3}
    return _maps(_column(list(range(3, 11)), weights=weights))


def test_the_anchors_number_the_chain_not_a_run_of_unsure_discs(monkeypatch):
    """Votes are weighted by how sure each disc is of its identity: the two anchors outweigh
    six unsure discs that lean one level off together; with equal weights (ANCHOR_POWER 0)
    the six win and every name is one level off."""
    monkeypatch.setattr(prior, "SPACING_WEIGHT", 0.0)  # the evidence vote alone
    maps = _anchored_chain()
    result = decode_chain(maps, PIXEL_MM)
    assert _found(result)[:8] == list(range(3, 11)) and result.offset == 3 and result.margin > 0
    monkeypatch.setattr(numbering, "ANCHOR_POWER", 0.0)
    assert decode_chain(maps, PIXEL_MM).offset == 4


def test_anchor_weights_sum_to_the_chain_length_and_favour_sure_discs():
    shares = np.array([[0.8, 0.1, 0.1], [0.4, 0.3, 0.3], [0.34, 0.33, 0.33]])
    weights = anchor_weights(shares)
    assert weights.sum() == pytest.approx(3.0) and weights[0] > weights[1] > weights[2]
    assert np.allclose(anchor_weights(shares, power=0.0), 1.0)


def _template_column(discs, top=20.0, col=100.0, scale=1.0, weights=None):
    """Discs down one column at the PAM50 template's spacing (times ``scale``)."""
    weights = weights or (lambda i, d: {d: 1.0})
    rows = top + scale * np.r_[0.0, np.cumsum([prior.TEMPLATE_LINKS_MM[d] for d in discs[:-1]])]
    pairs = zip(rows, discs, strict=True)
    return [(float(r), col, weights(i, d)) for i, (r, d) in enumerate(pairs)]


def test_spacing_log_likelihood_by_hand():
    numbers = np.arange(5, 12)
    rows = np.r_[0.0, np.cumsum([prior.TEMPLATE_LINKS_MM[n] for n in numbers[:-1]])]
    pts = np.stack([rows, np.zeros_like(rows)], axis=1)
    assert prior.spacing_log_likelihood(pts, numbers) == pytest.approx(0.0, abs=1e-9)
    # a body 10 % larger: every residual is log 1.1, fitted by the scale alone
    expected = -math.log(1.1) ** 2 / (2 * prior.SPACING_SCALE_SIGMA ** 2)
    assert prior.spacing_log_likelihood(1.1 * pts, numbers) == pytest.approx(expected)
    # one level lower the same links fit worse (the jump at C7/T1 moves)
    assert prior.spacing_log_likelihood(pts, numbers + 1) < -1.0
    # a skipped disc is one link over two template links
    gap = np.delete(pts, 3, axis=0)
    assert prior.spacing_log_likelihood(gap, np.delete(numbers, 3)) == pytest.approx(0.0, abs=1e-9)
    # links below L1/L2 are not scored; a chain with none scored has no likelihood
    assert prior.template_distance(20, 21) == prior.TEMPLATE_LINKS_MM[20]
    assert prior.template_distance(20, 22) is None
    assert prior.spacing_log_likelihood(pts[:3], np.array([22, 23, 24])) is None
    scores = prior.spacing_scores(pts[:3], np.arange(3), [19, 20, 21, 22])
    assert scores[22] == min(scores[19], scores[20], scores[21])  # the floor of the others
    assert prior.spacing_scores(pts[:2], np.arange(2), [3, 4]) == {3: 0.0, 4: 0.0}


def test_the_spacing_prior_numbers_a_chain_whose_evidence_is_split(monkeypatch):
    """C4/C5 to T5/T6 (discs 5-13) at the template's spacing (scaled to a smaller body),
    every disc's evidence split evenly between its own number and the next: the evidence
    cannot choose between offsets 5 and 6, the spacing profile (the jump at C7/T1) does;
    without the prior the decoder reports a tie."""
    discs = list(range(5, 14))
    pts = _template_column(discs, scale=0.95, weights=lambda i, d: {d: 0.5, d + 1: 0.5})
    maps = _maps(pts)
    result = decode_chain(maps, PIXEL_MM)
    assert _found(result) == discs and result.margin > 1.0
    monkeypatch.setattr(prior, "SPACING_WEIGHT", 0.0)
    tie = decode_chain(maps, PIXEL_MM)
    assert abs(tie.margin) < 0.05


def test_sure_evidence_outweighs_the_spacing_prior():
    """The prior breaks ties; it does not overrule discs that know their numbers: a chain at the
    template's spacing of discs 5-13 whose channels all say 6-14 is numbered 6-14."""
    pts = _template_column(list(range(5, 14)), weights=lambda i, d: {d + 1: 1.0})
    assert _found(decode_chain(_maps(pts), PIXEL_MM)) == list(range(6, 15))


@needs_shared(SHARED_DATA / "sct_testing_data" / "template")
def test_the_template_table_is_pam50s_spacing():
    tool = tool_module("template_spacing")
    assert tool.template_links() == prior.TEMPLATE_LINKS_MM
    assert tool.main([]) == 0


@needs_shared(SHARED_DATA / "sct_testing_data" / "template")
def test_the_template_fits_its_own_numbers_best(capsys):
    """PAM50's own discs score 0 at their true numbers (the scale prior and residuals vanish)
    and clearly less one level high or low, whole or with the top two discs cut away."""
    tool = tool_module("template_spacing")
    for drop in (0, 2):
        fits = tool.fit_shifts(tool.SHARED / tool.TEMPLATE, drop)
        assert fits[0] == pytest.approx(0.0, abs=0.05)
        assert max(fits[-1], fits[1]) < fits[0] - 5.0
    assert tool.main(["--fit"]) == 0
    assert "sub-pam50_T2w top two cut: one high" in capsys.readouterr().out


def test_synthetic_spacing_tool_by_hand():
    """The template's own links are always preferred at their true numbers; the generator's
    links are drawn deterministically, one row per anatomy, and lie in a plausible range."""
    tool = tool_module("template_spacing")
    row = np.full(24, 20.0)
    for n, mm in prior.TEMPLATE_LINKS_MM.items():
        row[n - 1] = mm
    assert tool.prefers_true(np.stack([row, 1.05 * row]), 3, 21) == 1.0
    links = tool.synthetic_links(3, seed=5)
    assert links.shape == (3, 24) and np.array_equal(links, tool.synthetic_links(3, seed=5))
    assert np.all((links[:, 2:20] > 10) & (links[:, 2:20] < 45))


def test_detect_strongest_first_strictly_above_threshold_and_none_on_a_constant_map():
    disc_map = np.zeros((12, 12), np.float32)
    disc_map[2, 3], disc_map[9, 9], disc_map[6, 1] = 0.5, 0.8, 0.3  # 0.3: at the threshold
    disc_map[4, 8] = disc_map[4, 10] = 0.6  # two equal peaks: row-major order
    found = peaks.detect(disc_map, 0.3)
    np.testing.assert_array_equal(found[:, 3:], [[9, 9], [4, 8], [4, 10], [2, 3]])
    np.testing.assert_allclose(found[:, 2], [0.8, 0.6, 0.6, 0.5])
    assert len(peaks.detect(np.full((12, 12), 0.9, np.float32), 0.3)) == 0
