"""Raffles among the loyalty card holders, on both stores: every holder enters with one
ticket, the draw is once and on or after its day, and anyone can check the winners from the
recorded seed and entrants."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain import commands as c
from domain.errors import AlreadyExistsError, DomainError, InvalidTransitionError, UnknownError
from domain.raffle import draw_winners
from domain.values import Department, Principal
from services.privacy import Privacy
from services.raffles import raffle_report
from tests.integration.helpers import SALES, START, event_names

MEMBERS = [f"m{n}" for n in range(7)]


@pytest.fixture
def members(journey):
    for customer in [*MEMBERS, "outsider"]:
        journey.service.execute(c.RegisterCustomer(customer, "Kim", f"{customer}@example.org"), SALES)
    for customer in MEMBERS:
        journey.service.execute(c.EnrollInLoyalty(customer), SALES)
    return MEMBERS


def test_every_card_holder_enters_once_and_the_winners_can_be_checked(journey, members, clock):
    journey.service.execute(c.AnnounceRaffle("R-1", "cordless-drill", 2, START.date() + timedelta(days=7)), SALES)
    before = raffle_report(journey, "R-1")
    assert (before["drawn"], before["entrants"], before["odds"], before["winners"]) == (False, 7, "2/7", [])
    with pytest.raises(InvalidTransitionError, match="drawn on"):
        journey.service.execute(c.DrawRaffle("R-1"), SALES)
    clock.advance(days=7)

    drawn = journey.service.execute(c.DrawRaffle("R-1"), SALES)

    winners = drawn.answer["winners"]
    assert len(winners) == 2 and set(winners) <= set(members) and drawn.answer["entrants"] == 7
    assert draw_winners(members, int(drawn.answer["seed"]), 2) == winners  # anyone can check it
    assert event_names(journey)[-3:] == ["Raffle.Drawn", "LoyaltyCard.RaffleWon", "LoyaltyCard.RaffleWon"]
    report = raffle_report(journey, "R-1")
    assert (report["drawn"], report["verified"], report["winners"], report["seed"]) == (
        True, True, winners, drawn.answer["seed"])
    journey.catch_up_views()
    won = journey.reads.loyalty(winners[0])["history"][-1]
    assert (won["type"], won["raffle_id"], won["prize"]) == ("RaffleWon", "R-1", "cordless-drill")
    assert journey.reads.journey(winners[0])["touchpoints"][-1]["summary"] == "won cordless-drill in raffle R-1"
    with pytest.raises(InvalidTransitionError, match="was drawn"):
        journey.service.execute(c.DrawRaffle("R-1"), SALES)


def test_a_card_holder_whose_data_was_erased_takes_part_no_more(journey, members, clock):
    Privacy(journey).erase("m3", Principal(Department.PRIVACY))
    journey.service.execute(c.AnnounceRaffle("R-1", "voucher", 10, START.date()), SALES)

    drawn = journey.service.execute(c.DrawRaffle("R-1"), SALES)

    assert drawn.answer["entrants"] == 6 and "m3" not in drawn.answer["winners"]
    assert sorted(drawn.answer["winners"]) == sorted(m for m in members if m != "m3")  # 10 prizes: all win


def test_a_raffle_is_announced_once_for_the_future_and_an_unknown_one_is_named(journey, members):
    journey.service.execute(c.AnnounceRaffle("R-1", "voucher", 1, START.date()), SALES)
    with pytest.raises(AlreadyExistsError):
        journey.service.execute(c.AnnounceRaffle("R-1", "voucher", 1, START.date()), SALES)
    with pytest.raises(DomainError, match="in the past"):
        journey.service.execute(c.AnnounceRaffle("R-2", "voucher", 1, START.date() - timedelta(days=1)), SALES)
    with pytest.raises(UnknownError):
        journey.service.execute(c.DrawRaffle("R-9"), SALES)
    with pytest.raises(UnknownError):
        raffle_report(journey, "R-9")
