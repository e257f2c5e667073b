"""The raffle's draw (domain/raffle.py): the seed's, whatever order the entrants come in."""

from __future__ import annotations

from domain.raffle import draw_winners, odds


def test_the_draw_is_the_seeds_and_the_odds_are_prizes_over_entrants():
    entrants = [f"c{n}" for n in range(100)]
    assert draw_winners(entrants, 42, 3) == draw_winners(list(reversed(entrants)), 42, 3)  # order given counts not
    assert draw_winners(entrants, 42, 3) != draw_winners(entrants, 43, 3)
    assert sorted(draw_winners(entrants[:2], 42, 5)) == ["c0", "c1"]  # fewer entrants than prizes: all win
    assert (str(odds(100, 3)), odds(2, 5), odds(0, 1)) == ("3/100", 1, 0)
