"""Raffles of the loyalty card: every card holder takes part, one ticket each, with published
odds; the draw is reproducible: its seed and the entrants are recorded with the winners, and
``draw_winners`` on them gives the same winners to anyone who checks.

A raffle is the company's, not a customer's: its events name no customer and record the
department that acted, not the person (who acted is personal data, sealed with a customer's
key). The winners learn of it on their cards (``LoyaltyCard.RaffleWon``, in the same write)."""

from __future__ import annotations

import random
from datetime import date, datetime
from fractions import Fraction
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import DomainError, InvalidTransitionError
from domain.values import Principal, aggregate_id


def draw_winners(entrants: list[str], seed: int, prizes: int) -> list[str]:
    """The winners of a draw: ``prizes`` of the entrants (all of them when fewer), picked by a
    pseudo-random generator seeded with ``seed`` from the entrants in sorted order."""
    ordered = sorted(entrants)
    return random.Random(seed).sample(ordered, min(prizes, len(ordered)))  # noqa: S311 -- reproducible on purpose


def odds(entrants: int, prizes: int) -> Fraction:
    """Each entrant's chance of winning: prizes over entrants (one ticket each)."""
    return Fraction(min(prizes, entrants), entrants) if entrants else Fraction(0)


class Raffle(Aggregate):
    """A raffle among the loyalty card holders, known by its id."""

    @staticmethod
    def create_id(raffle_id: str) -> UUID:
        return aggregate_id("raffle", raffle_id)

    @event("Announced")
    def __init__(self, raffle_id: str, prize: str, prizes: int, draw_on: date, at: datetime, by: Principal) -> None:
        self.raffle_id = raffle_id
        self.prize = prize
        self.prizes = prizes
        self.draw_on = draw_on
        self.drawn = False

    @staticmethod
    def check_announcement(prizes: int, draw_on: date, today: date) -> None:
        if not 1 <= prizes <= 10_000:
            raise DomainError("a raffle has 1 to 10,000 prizes", "invalid-prizes")
        if draw_on < today:
            raise DomainError(f"the draw on {draw_on} would be in the past", "draw-in-the-past")

    def draw(self, *, entrants: list[str], seed: int, at: datetime, by: Principal) -> list[str]:
        """Draw the winners among ``entrants`` with ``seed``; once, on or after the draw day."""
        if self.drawn:
            raise InvalidTransitionError(f"raffle {self.raffle_id} was drawn", "raffle-drawn")
        if at.date() < self.draw_on:
            raise InvalidTransitionError(f"raffle {self.raffle_id} is drawn on {self.draw_on}", "raffle-not-due")
        winners = draw_winners(entrants, seed, self.prizes)
        self._drawn(seed=seed, entrants=sorted(entrants), winners=winners, at=at, by=Principal(by.department))
        return winners

    @event("Drawn")
    def _drawn(self, seed: int, entrants: list[str], winners: list[str], at: datetime, by: Principal) -> None:
        self.drawn = True
        self.seed, self.entrants, self.winners, self.drawn_at = seed, entrants, winners, at
