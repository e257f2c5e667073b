"""What anyone may know of a raffle: the prize, the draw day, the entrants and each one's odds
(before the draw: the card holders now), and after it the seed, the entrants and the winners,
checked again (``domain.raffle.draw_winners`` on the recorded seed and entrants)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from eventsourcing.application import AggregateNotFoundError

from domain.errors import UnknownError
from domain.raffle import Raffle, draw_winners, odds
from services.handlers import ALL, LOYALTY_MEMBERS

if TYPE_CHECKING:
    from services.bootstrap import Journey


def raffle_report(journey: Journey, raffle_id: str) -> dict[str, Any]:
    """The raffle as it stands in the stream now; UnknownError when none was announced."""
    try:
        raffle: Raffle = journey.service.app.repository.get(Raffle.create_id(raffle_id))
    except AggregateNotFoundError:
        raise UnknownError("raffle", raffle_id) from None
    found: dict[str, Any] = {"raffle_id": raffle.raffle_id, "prize": raffle.prize, "prizes": raffle.prizes,
                             "draw_on": raffle.draw_on.isoformat(), "drawn": raffle.drawn}
    if raffle.drawn:
        chance = odds(len(raffle.entrants), raffle.prizes)
        found.update({
            "entrants": len(raffle.entrants), "odds": f"{chance.numerator}/{chance.denominator}",
            "drawn_at": raffle.drawn_at.isoformat(), "seed": str(raffle.seed), "winners": raffle.winners,
            "verified": draw_winners(raffle.entrants, raffle.seed, raffle.prizes) == raffle.winners,
        })
    else:
        entrants = len(journey.service.linked(LOYALTY_MEMBERS, ALL))
        chance = odds(entrants, raffle.prizes)
        found.update({"entrants": entrants, "odds": f"{chance.numerator}/{chance.denominator}", "drawn_at": None,
                      "seed": None, "winners": [], "verified": None})
    return found
