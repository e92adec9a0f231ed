"""Strategy writes and the payoff computation."""
