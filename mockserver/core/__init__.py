"""Pieces every emulated service shares: the clock, the random source, the store and fixtures."""
