"""Unit tests per actor kind, each on a small model stepped by hand."""

import datetime as dt

import numpy as np
import pytest

from sim.model.actors.funder import budget_schedule
from sim.model.model import InfluenceModel
from tests.conftest import make_scenario


def model(changes=None, seed=1, **kw) -> InfluenceModel:
    return InfluenceModel(make_scenario(changes), seed, **kw)


def leaked_by(m: InfluenceModel, account: str) -> int:
    return sum(r.cents for r in m.ledger.rows if r.kind == "leak" and r.source == account)


# -- funder ---------------------------------------------------------------------------------------
def test_budget_schedule_spreads_total_exactly_by_profile():
    s = make_scenario(
        {
            "funders": [
                {"id": "f", "budget": {"total_usd": 1000.01, "yearly_profile": {2020: 3, 2021: 1}}}
            ]
        }
    )
    m = InfluenceModel(s, 0)
    sched = budget_schedule(s.funders[0], m.dates)
    assert sched.sum() == 100_001
    assert sched[:12].sum() == 75_001 or sched[:12].sum() == 75_000
    assert abs(sched[:12].sum() - 3 * sched[12:].sum()) <= 4
    assert sched.max() - sched[:12].min() <= 1 + sched[:12].max() - sched[:12].min()


def test_budget_schedule_yearly_amounts():
    s = make_scenario(
        {
            "funders": [
                {"id": "f", "budget": {"total_usd": None, "yearly_usd": {2020: 120, 2021: 0}}}
            ]
        }
    )
    sched = budget_schedule(s.funders[0], InfluenceModel(s, 0).dates)
    assert list(sched[:12]) == [1000] * 12
    assert sched[12:].sum() == 0


def test_funder_splits_by_allocation_and_belief():
    m = model()
    m.step()
    paid = {r.destination: r.cents for r in m.ledger.rows if r.kind == "disbursement"}
    assert paid["intermediary:cur"] == pytest.approx(2 * paid["intermediary:med"], abs=2)
    f = m.funders_by_id["f"]
    f.belief["cur"], f.belief["med"] = 0.5, 1.0
    m.step()
    second = [r for r in m.ledger.rows if r.kind == "disbursement" and r.step == 2]
    paid = {r.destination: r.cents for r in second}
    assert paid["intermediary:cur"] == pytest.approx(paid["intermediary:med"], abs=2)


def test_counterfactual_funder_pays_nothing():
    m = model(counterfactual=True)
    for _ in range(5):
        m.step()
    assert m.ledger.rows == ()


def test_inflated_reports_keep_belief_up_and_honest_reports_lower_it():
    def belief_after(inflation: float) -> float:
        m = model(
            {
                "funders": [{"id": "f", "audit_probability": 0.0, "initial_belief": 1.0}],
                "intermediaries": [
                    {"id": "cur", "report_inflation": inflation},
                    {"id": "med", "report_inflation": inflation},
                ],
            }
        )
        for _ in range(12):
            m.step()
        return m.funders_by_id["f"].belief["cur"]

    complacent, informed = belief_after(1.0), belief_after(0.0)
    assert complacent == pytest.approx(1.0)  # reports hide the whole shortfall
    assert informed < 0.5  # honest reports show that half the money is kept
    assert belief_after(0.5) == pytest.approx((complacent + informed) / 2, abs=0.15)


def test_audits_reveal_and_replace_everyone_above_tolerance():
    m = model(
        {
            "funders": [
                {
                    "id": "f",
                    "audit_probability": 1.0,
                    "audit_tolerance": 0.2,
                    "replacement_integrity": 0.95,
                    "replacement_integrity_sd": 0.0,
                }
            ],
            "ngos": [{"id": "fake_ngo", "integrity": 0.3}],
        }
    )
    while not any(e["kind"] == "audit" and e["target"] == "cur" for e in m.events):
        m.step()
    cur = m.intermediaries_by_id["cur"]
    assert cur.replacements == 1 and cur.integrity == 0.95
    fake, real = m.actors["ngo"]["fake_ngo"], m.actors["ngo"]["real_ngo"]
    assert fake.replacements == 1 and fake.integrity == 0.95  # a grantee in the audited chain
    assert real.replacements == 0  # keeps ~7%: not above tolerance
    # Every change of leadership is in the events log, named by the holder's account.
    logged = [e["target"] for e in m.events if e["kind"] == "replacement"]
    assert {"intermediary:cur", "ngo:fake_ngo"} <= set(logged)
    for holder in m.holders:
        assert logged.count(holder.account) == holder.replacements, holder.account
    assert m.funders_by_id["f"].belief["cur"] < 0.6  # the audit showed the truth


def test_every_holder_feels_the_current_oversight():
    """The funder keeps its chain risk in step with audits and publication, wherever they change."""
    from sim.model.actors.funder import chain_risk
    from sim.model.actors.holder import take_share

    m = model({"funders": [{"id": "f", "audit_probability": 0.1}]})
    f = m.funders_by_id["f"]

    def expected_takes(audit_probability, publication):
        risk = chain_risk(f.spec, audit_probability, publication)
        return [take_share(h.integrity, risk) for h in m.holders]

    assert [h.take for h in m.holders] == expected_takes(0.1, 0.0)
    f.publish(0.5)
    assert [h.take for h in m.holders] == expected_takes(0.1, 0.5)
    f.start_audit_drive(0.9, m.dates[2])
    assert [h.take for h in m.holders] == expected_takes(0.9, 0.5)
    while m.steps < 5:  # the drive ends after its last date: back to the scenario's rate
        m.step()
    assert f.audit_probability == 0.1 and f.audit_until is None
    assert [h.take for h in m.holders] == expected_takes(0.1, 0.5)


def test_replacements_draw_integrity_from_a_beta_distribution():
    m = model({"funders": [{"id": "f", "replacement_integrity": 0.5}]})
    f = m.funders_by_id["f"]
    draws = np.array([f.newcomer_integrity() for _ in range(4000)])
    assert draws.mean() == pytest.approx(0.5, abs=0.01)
    assert draws.std() == pytest.approx(0.15, abs=0.01)
    assert ((draws > 0) & (draws < 1)).all()


@pytest.mark.parametrize("step", ["week", "month"])
def test_yearly_audit_rate_gives_about_that_many_audits_a_year(step):
    m = model(
        {
            "time": {"step": step, "end": "2029-12-31"},
            "funders": [{"id": "f", "audit_probability": 1.0, "audit_tolerance": 1.0}],
            "audience": {"population": 50},
        }
    )
    while m.running:
        m.step()
    per_year = sum(e["kind"] == "audit" for e in m.events) / 2 / 10  # two intermediaries
    assert per_year == pytest.approx(1.0, abs=0.3)


# -- NGOs --------------------------------------------------------------------------------------
def test_ngo_skims_and_spends_its_mix():
    m = model()
    m.step()
    ngo = m.actors["ngo"]["real_ngo"]
    granted = sum(r.cents for r in m.ledger.rows if r.destination == ngo.account)
    assert leaked_by(m, ngo.account) == int(granted * ngo.take)
    assert ngo.take == pytest.approx(0.1)  # integrity 0.9, no audits
    spent = {
        r.destination: r.cents
        for r in m.ledger.rows
        if r.source == ngo.account and r.kind in ("for_show", "substantive")
    }
    assert spent["activity:course"] == pytest.approx(3 * spent["activity:party"], abs=2)
    assert m.ledger.balance(ngo.account) == 0


def test_facade_ngo_spends_everything_for_show_and_persuades_nobody():
    m = model()
    m.step()
    kinds = {r.kind for r in m.ledger.rows if r.source == "ngo:fake_ngo" and r.kind != "leak"}
    assert kinds == {"for_show"}
    only_fake = model(
        {
            "intermediaries": [
                {"id": "cur", "grantees": ["fake_ngo"]},
                {"id": "med", "grantees": ["fake_ngo"]},
            ]
        }
    )
    only_fake.step()
    assert only_fake.contacts.sum() > 0 and only_fake.strength.sum() == 0


def test_banned_activity_is_not_run_and_money_waits():
    m = model(
        {
            "shocks": [
                {
                    "id": "ban",
                    "type": "activity_ban",
                    "date": "2020-01-01",
                    "activities": ["course", "party"],
                    "until": "2020-03-31",
                }
            ]
        }
    )
    m.step()
    ngo = m.actors["ngo"]["real_ngo"]
    assert not any(
        r.source == ngo.account and r.kind != "leak"
        for r in m.ledger.rows
        if r.source == ngo.account and r.kind != "grant"
    )
    held = m.ledger.balance(ngo.account)
    assert held > 0
    for _ in range(3):
        m.step()  # April: the ban is over
    assert m.date == dt.date(2020, 4, 1)
    assert m.ledger.balance(ngo.account) == 0


# -- outlets -----------------------------------------------------------------------------------
def test_outlet_capacity_follows_funding_and_media_control():
    rich = model({"funders": [{"id": "f", "allocation": {"med": 100, "cur": 1}}]})
    rich.step()
    poor = model({"funders": [{"id": "f", "budget": {"total_usd": 24_000}}]})
    poor.step()
    tv_rich, tv_poor = rich.outlets_by_id["tv"], poor.outlets_by_id["tv"]
    assert tv_poor.delivered < tv_rich.delivered
    # Fully funded: reach = share x segment x language x (1 - control).
    young = 0.1 * 0.4 * 100_000 * 0.5 * 0.5
    old = 0.3 * 0.6 * 100_000 * 1.0 * 0.5
    assert tv_rich.delivered == pytest.approx(young + old)


def test_outlet_shutdown_stops_spending_and_reach():
    m = model(
        {
            "shocks": [
                {
                    "id": "close",
                    "type": "outlet_shutdown",
                    "date": "2020-03-15",
                    "outlet": "tv",
                    "detained": 3,
                }
            ]
        }
    )
    for _ in range(4):
        m.step()
    tv = m.outlets_by_id["tv"]
    ops = [r.step for r in m.ledger.rows if r.destination == "operations:tv"]
    assert max(ops) == 2 and tv.delivered == 0 and tv.status == "shut"
    assert m.host.detained == 3
    assert any(e["kind"] == "outlet_shutdown" for e in m.events)


# -- host state --------------------------------------------------------------------------------
def test_host_policy_changes_filters():
    m = model(
        {
            "shocks": [
                {
                    "id": "open",
                    "type": "host_policy",
                    "date": "2020-02-01",
                    "media_control": 0.0,
                    "stance": -0.5,
                }
            ]
        }
    )
    m.step()
    before = m.outlets_by_id["tv"].delivered
    m.step()
    assert m.host.media_control == 0.0 and m.host.stance == -0.5
    assert m.outlets_by_id["tv"].delivered > 1.5 * before


def test_ban_dates_are_inclusive():
    m = model()
    m.host.ban("party", dt.date(2020, 5, 31))
    assert m.host.is_banned("party", dt.date(2020, 5, 31))
    assert not m.host.is_banned("party", dt.date(2020, 6, 1))
    assert not m.host.is_banned("course", dt.date(2020, 5, 1))
    activities = ["party", "course"]
    assert m.host.allowed(activities, dt.date(2020, 5, 31)) == ["course"]
    assert m.host.allowed(activities, dt.date(2020, 6, 1)) == activities


# -- shocks on the audience ----------------------------------------------------------------------
def test_sentiment_shock_shifts_chosen_segments_only():
    m = model(
        {
            "audience": {"peer": {"rule": "none"}},
            "shocks": [
                {
                    "id": "s",
                    "type": "sentiment",
                    "date": "2020-01-01",
                    "segments": ["old"],
                    "delta": -0.3,
                }
            ],
        }
    )
    a = m.audience
    before = a.segment_means(a.opinion).copy()
    m.step()
    after = a.segment_means(a.opinion)
    old, young = m.segment_index["old"], m.segment_index["young"]
    assert after[old] - before[old] < -0.2
    assert abs(after[young] - before[young]) < 0.05


def test_budget_change_and_restructure_rescale_the_rest():
    m = model(
        {
            "shocks": [
                {
                    "id": "cut",
                    "type": "budget_change",
                    "date": "2021-01-01",
                    "funder": "f",
                    "factor": 0.5,
                }
            ]
        }
    )
    f = m.funders_by_id["f"]
    planned = f.schedule.copy()
    while m.running:
        m.step()
    assert np.array_equal(f.schedule[:12], planned[:12])
    assert abs(f.schedule[12:].sum() - planned[12:].sum() / 2) <= 12
