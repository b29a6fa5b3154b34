"""narcotics-kg."""
