"""Core of the fake."""
