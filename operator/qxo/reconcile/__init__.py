"""Observe / plan / apply for each kind: plans are pure, apply is the only writer."""
