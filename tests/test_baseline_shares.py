"""The council-constrained planning-area baseline (placeplan.model.shares)."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from placeplan.model import baseline as bl
from placeplan.model import shares as sh
from placeplan.model.constants import N_NCY

# two councils: areas 0-2 primary of council 0, area 3 secondary of council 0, areas 4-5 primary of council 1
AREA_COUNCIL = np.array([0, 0, 0, 0, 1, 1])
PRIMARY = np.array([True, True, True, False, True, True])
MASK = np.where(PRIMARY[:, None], np.arange(N_NCY) < 7, np.arange(N_NCY) >= 7)

positive = arrays(float, (6, N_NCY), elements=st.floats(1, 1e4))
council_arr = arrays(float, (2, 5, N_NCY), elements=st.floats(0, 1e5))


def test_hand_example():
    # council of two areas, base Reception 30/10 and Y1 20/20; council projects R=50, Y1=60 next year
    rolls = np.zeros((2, N_NCY))
    rolls[:, 0] = [30, 10]
    rolls[:, 1] = [20, 20]
    council = np.zeros((1, 1, N_NCY))
    council[0, 0, :2] = [50, 60]
    out = sh.constrained_baseline(council, rolls, np.array([0, 0]))
    # new Reception takes the Reception share (3/4, 1/4); Y1 is last year's Reception (3/4, 1/4)
    np.testing.assert_allclose(out[:, 0, 0], [37.5, 12.5])
    np.testing.assert_allclose(out[:, 0, 1], [45.0, 15.0])
    # the synthetic cohort keeps each NCY's own share instead: Y1 half and half
    prog = sh.share_progression(sh.council_shares(rolls, np.array([0, 0])))
    out2 = sh.constrained_baseline(council, rolls, np.array([0, 0]), progression=prog)
    np.testing.assert_allclose(out2[:, 0, 1], [30.0, 30.0])
    np.testing.assert_allclose(out2[:, 0, 0], [37.5, 12.5])


@settings(max_examples=60, deadline=None)
@given(profile=arrays(float, N_NCY, elements=st.floats(1, 1e3)), scale=arrays(float, 6, elements=st.floats(0.01, 50)),
       council=council_arr, synthetic=st.booleans())
def test_uniform_profile_keeps_each_areas_share(profile, scale, council, synthetic):
    """Wards sharing one age profile (scaled): every area keeps its base share of its council."""
    rolls = scale[:, None] * profile[None, :] * MASK
    prog = sh.share_progression(sh.council_shares(rolls, AREA_COUNCIL)) if synthetic else None
    out = sh.constrained_baseline(council * 1.0, rolls, AREA_COUNCIL, progression=prog)
    phase_total = sh.council_sum(rolls, AREA_COUNCIL, 2)[AREA_COUNCIL]
    share = np.divide(rolls, phase_total, out=np.zeros_like(rolls), where=phase_total > 0)  # one share per area
    np.testing.assert_allclose(out, council[AREA_COUNCIL] * share[:, None, :], rtol=1e-9, atol=1e-9)


@settings(max_examples=60, deadline=None)
@given(rolls=positive, council=council_arr, synthetic=st.booleans(), entry=st.booleans())
def test_areas_sum_to_council_totals(rolls, council, synthetic, entry):
    rolls = rolls * MASK
    council = council.copy()
    council[1, :, 7:] = 0  # council 1 has no secondary area: nowhere to put secondary pupils
    shares = sh.council_shares(rolls, AREA_COUNCIL)
    prog = sh.share_progression(shares) if synthetic else None
    entry_shares = sh.council_shares(np.sqrt(rolls) * MASK * np.arange(1, 7)[:, None], AREA_COUNCIL) if entry else None
    out = sh.constrained_baseline(council, rolls, AREA_COUNCIL, entry_shares=entry_shares, progression=prog)
    np.testing.assert_allclose(sh.council_sum(out, AREA_COUNCIL, 2), council, rtol=1e-9, atol=1e-6)
    assert (out >= 0).all()
    assert np.all(out[~MASK[:, None, :].repeat(5, axis=1)] == 0)  # no pupils in a phase an area lacks


def test_synthetic_cohort_is_constant_ncy_shares():
    rng = np.random.default_rng(3)
    rolls = rng.uniform(10, 500, (6, N_NCY)) * MASK
    council = rng.uniform(100, 900, (2, 8, N_NCY))
    prog = sh.share_progression(sh.council_shares(rolls, AREA_COUNCIL))
    out = sh.constrained_baseline(council, rolls, AREA_COUNCIL, progression=prog)
    total = sh.council_sum(rolls, AREA_COUNCIL, 2)[AREA_COUNCIL]
    share = np.divide(rolls, total, out=np.zeros_like(rolls), where=total > 0)
    np.testing.assert_allclose(out, council[AREA_COUNCIL] * share[:, None, :])


@given(rolls=positive, synthetic=st.booleans())
@settings(max_examples=20, deadline=None)
def test_zero_pupils_give_zero(rolls, synthetic):
    prog = sh.share_progression(sh.council_shares(rolls, AREA_COUNCIL)) if synthetic else None
    out = sh.constrained_baseline(np.zeros((2, 4, N_NCY)), rolls, AREA_COUNCIL, progression=prog)
    assert np.all(out == 0)
    out = sh.constrained_baseline(np.ones((2, 4, N_NCY)), np.zeros((6, N_NCY)), AREA_COUNCIL)
    assert np.all(out == 0)  # no base pupils: no shares to distribute by


def test_history_progression_follows_real_cohorts():
    # area 0 gains a tenth of the council's cohort each year (families moving to the suburb)
    hist = np.zeros((2, 2, N_NCY))
    hist[:, 0, :7] = [[0.4], [0.6]]
    hist[:, 1, :7] = [[0.4], [0.6]]
    hist[0, 1, 1:7] = 0.5
    hist[1, 1, 1:7] = 0.5
    shares = sh.council_shares(hist, np.array([0, 0]), average=False)
    assert shares.shape == (2, 2, N_NCY)
    prog = sh.share_progression(shares)
    np.testing.assert_allclose(prog[0, 1:7], 0.5 / 0.4)
    np.testing.assert_allclose(prog[:, 0], 1.0)


def test_council_projection_sums_areas():
    rng = np.random.default_rng(0)
    rolls = rng.uniform(10, 100, (6, N_NCY)) * MASK
    res = rng.uniform(10, 100, (6, N_NCY, 4))
    out = sh.council_projection(rolls, res, AREA_COUNCIL, 2)
    rc = sh.council_sum(rolls, AREA_COUNCIL, 2)
    pc = sh.council_sum(res, AREA_COUNCIL, 2)
    np.testing.assert_allclose(out, bl.population_baseline(rc, pc))
    np.testing.assert_allclose(out[:, 0], rc * pc[:, :, 1] / pc[:, :, 0])


def test_entry_shares_averaged_over_the_history():
    hist = np.zeros((2, 2, N_NCY))
    hist[:, 0, 0] = [40, 60]  # Reception shares 0.4 / 0.6, then 0.6 / 0.4
    hist[:, 1, 0] = [60, 40]
    np.testing.assert_allclose(sh.council_shares(hist, np.array([0, 0]))[:, 0], [0.5, 0.5])
    # new intakes take the averaged share; the base year's cohorts keep theirs
    council = np.full((1, 2, N_NCY), 100.0)
    out = sh.constrained_baseline(council, hist[:, 1], np.array([0, 0]),
                                  entry_shares=sh.council_shares(hist, np.array([0, 0])))
    np.testing.assert_allclose(out[:, 0, 0], [50, 50])
    np.testing.assert_allclose(out[:, 0, 1], [60, 40])  # last year's Reception, aged a year


def test_constrain_to_councils_keeps_totals_and_uses_history():
    rng = np.random.default_rng(5)
    proj = rng.uniform(0, 300, (6, 6, N_NCY)) * MASK[:, None, :]
    rolls = rng.uniform(10, 300, (6, N_NCY)) * MASK
    for hist in (None, rolls[:, None, :], np.stack([rolls * rng.uniform(0.8, 1.2, rolls.shape), rolls], axis=1)):
        out = sh.constrain_to_councils(proj, rolls, AREA_COUNCIL, 2, history=hist)
        np.testing.assert_allclose(sh.council_sum(out, AREA_COUNCIL, 2), sh.council_sum(proj, AREA_COUNCIL, 2))
    single = sh.constrain_to_councils(proj, rolls, AREA_COUNCIL, 2)
    share = rolls / sh.council_sum(rolls, AREA_COUNCIL, 2)[AREA_COUNCIL].clip(min=1e-300)
    np.testing.assert_allclose(single, sh.council_sum(proj, AREA_COUNCIL, 2)[AREA_COUNCIL] * share[:, None, :])
