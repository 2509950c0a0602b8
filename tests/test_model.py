"""Whole-model properties: books balance, determinism, matched counterfactual, audience."""

import filecmp

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.model.model import InfluenceModel
from sim.output import TABLES, write_run
from sim.run import simulate
from tests.conftest import make_scenario
from tests.kind_examples import SHOCK_EXAMPLES, shock

share = st.floats(min_value=0.0, max_value=1.0)


@st.composite
def scenarios(draw):
    dates = st.dates(
        min_value=__import__("datetime").date(2020, 1, 1),
        max_value=__import__("datetime").date(2020, 12, 31),
    )
    # Every registered shock kind may appear (kind_examples has one of each).
    drawn = {
        "budget_change": {"factor": draw(st.floats(0, 3))},
        "audit_drive": {"audit_probability": draw(share)},
        "staff_detention": {"target": draw(st.sampled_from(["real_ngo", "fake_ngo", "tv"]))},
    }
    shocks = [
        shock(kind, date=str(draw(dates)), **drawn.get(kind, {}))
        for kind in sorted(SHOCK_EXAMPLES)
        if draw(st.booleans())
    ]
    return make_scenario(
        {
            "time": {
                "start": "2020-01-01",
                "end": "2020-12-31",
                "step": draw(st.sampled_from(["week", "month"])),
            },
            "funders": [
                {
                    "id": "f",
                    "budget": {"total_usd": draw(st.floats(0, 1e8)).__round__(2)},
                    "allocation": {
                        "cur": draw(st.floats(0.01, 10)),
                        "med": draw(st.floats(0.01, 10)),
                    },
                    "audit_probability": draw(share),
                    "audit_tolerance": draw(share),
                }
            ],
            "intermediaries": [
                {
                    "id": "cur",
                    "integrity": draw(share),
                    "grantee_choice": draw(st.sampled_from(["loyalty", "capability"])),
                },
                {"id": "med", "integrity": draw(share)},
            ],
            "ngos": [
                {"id": "real_ngo", "integrity": draw(share)},
                {"id": "fake_ngo", "integrity": draw(share)},
            ],
            "outlets": [
                {
                    "id": "tv",
                    "integrity": draw(share),
                    "funder_dependence": draw(share),
                    "running_cost_usd_per_year": draw(st.floats(0, 1e7)),
                }
            ],
            "audience": {"population": 200},
            "shocks": shocks,
        }
    )


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(), st.integers(0, 2**32))
def test_books_balance_for_random_valid_scenarios(scenario, seed):
    result = simulate(scenario, seed)  # raises if the books do not balance
    m = result.money
    assert m.disbursed == m.leaked + m.for_show + m.substantive + m.unspent
    assert result.trajectories["disbursed_usd"].iloc[-1] == pytest.approx(m.disbursed / 100)
    assert result.ledger["cents"].dtype == np.int64
    assert result.ledger.loc[result.ledger["kind"] == "leak", "cents"].sum() == m.leaked
    assert result.books_balance and m.balanced


def test_same_seed_same_bytes_different_seed_differs(tmp_path, small):
    a = write_run(simulate(small, 3), tmp_path / "a")
    b = write_run(simulate(small, 3), tmp_path / "b")
    c = write_run(simulate(small, 4), tmp_path / "c")
    names = [f"{t}.csv" for t in TABLES]
    match, mismatch, errors = filecmp.cmpfiles(a, b, names, shallow=False)
    assert match == names and not mismatch and not errors
    assert (a / "trajectories.csv").read_bytes() != (c / "trajectories.csv").read_bytes()


def test_counterfactual_shares_network_and_start_and_spends_nothing(small):
    actual = InfluenceModel(small, 11)
    cf = InfluenceModel(small, 11, counterfactual=True)
    assert (actual.audience.network != cf.audience.network).nnz == 0
    assert np.array_equal(actual.audience.opinion, cf.audience.opinion)
    actual.run()
    cf.run()
    assert cf.ledger.rows == ()
    assert not np.array_equal(actual.audience.opinion, cf.audience.opinion)


def test_counterfactual_differs_only_where_money_does(small):
    # With no budget at all, the run and its counterfactual are identical.
    broke = make_scenario(
        {
            "funders": [{"id": "f", "budget": {"total_usd": 0}}],
            "outlets": [{"id": "tv", "funder_dependence": 1.0}],
        }
    )
    result = simulate(broke, 5)
    assert (result.trajectories["attributable_opinion"] == 0).all()
    assert (result.segments["attributable_opinion"] == 0).all()


def test_no_contacts_means_no_exposure_and_relaxation_to_predisposition(small):
    m = InfluenceModel(
        make_scenario(
            {
                "audience": {"peer": {"rule": "none"}},
                "host_state": {"state_media_pull_per_year": 0.0},
            }
        ),
        2,
        counterfactual=True,
    )
    a = m.audience
    a.opinion = a.predisposition + 0.1
    m.step()
    assert not a.stock.any()
    gap = a.opinion - a.predisposition
    inside = np.abs(a.predisposition) < 0.85  # away from the clipping bounds
    assert np.all(gap[inside] > 0) and np.all(gap[inside] < 0.1)


def test_backlash_pushes_people_far_from_the_message_away():
    s = make_scenario(
        {
            "audience": {
                "peer": {"rule": "none"},
                "exposure": {"latitude": 0.5, "backlash": 1.0, "predisposition_pull_per_year": 0.0},
            },
            "host_state": {"state_media_pull_per_year": 0.0},
        }
    )
    m = InfluenceModel(s, 3)
    a = m.audience
    a.opinion[:] = np.where(np.arange(a.size) % 2 == 0, 0.9, -0.5)
    a.predisposition[:] = a.opinion
    a.stock[:] = 5.0
    a.live[:] = True  # the stocks hold exposure now
    before = a.opinion.copy()
    nothing = np.zeros((len(a.half_lives), 2))
    a.step(nothing, nothing, 0.0, 0.0, m.streams["peer"])
    near, far = before > 0.5, before < 0
    assert np.all(a.opinion[near] > before[near])  # within the latitude: pulled toward +1
    assert np.all(a.opinion[far] < before[far])  # outside it: pushed away


def test_shocks_and_audits_are_logged_in_order(small):
    s = make_scenario(
        {
            "funders": [{"id": "f", "audit_probability": 0.9}],
            "shocks": [
                {"id": "b", "type": "host_policy", "date": "2021-03-03", "stance": 0.4},
                {
                    "id": "a",
                    "type": "sentiment",
                    "date": "2020-06-01",
                    "segments": ["all"],
                    "delta": 0.1,
                    "label": "good news",
                },
            ],
        }
    )
    events = simulate(s, 1).events
    shocks = events[events["kind"].isin(["host_policy", "sentiment"])]
    assert list(shocks["target"]) == ["a", "b"]
    assert list(shocks["date"]) == ["2020-06-01", "2021-03-01"]
    assert "good news" in shocks["detail"].iloc[0]
    assert (events["kind"] == "audit").any()
    assert list(events["step"]) == sorted(events["step"])


def test_mesa_deprecations_are_errors_in_the_test_suite():
    import mesa

    with pytest.raises((DeprecationWarning, FutureWarning)):
        mesa.Model(seed=1)  # the deprecated spelling of Model(rng=...)


def test_reported_influence_per_segment_adds_up_to_the_overall_figure(small):
    r = simulate(small, 2)
    seg = r.segments.merge(
        pd.DataFrame({"segment": ["young", "old"], "share": [0.4, 0.6]}), on="segment"
    )
    weighted = (seg["reported_influence"] * seg["share"]).groupby(seg["step"]).sum()
    overall = r.trajectories.set_index("step")["reported_influence"]
    assert overall.iloc[-1] > 0
    assert np.allclose(weighted.to_numpy(), overall.to_numpy(), rtol=1e-9, atol=1e-15)


def test_run_and_counterfactual_in_two_threads_give_the_same_result(small, monkeypatch):
    import sim.run

    alone = simulate(small, 6)
    monkeypatch.setattr(sim.run, "CONCURRENT_FROM", 0)  # both runs step at the same time
    ticks = []
    together = simulate(small, 6, progress=ticks.append)
    pd.testing.assert_frame_equal(together.trajectories, alone.trajectories, check_exact=True)
    pd.testing.assert_frame_equal(together.segments, alone.segments, check_exact=True)
    pd.testing.assert_frame_equal(together.ledger, alone.ledger, check_exact=True)
    assert len(ticks) == 2 * len(alone.trajectories)
