"""Text → vectors and vectors → nearest neighbours. Knows nothing of qa."""
