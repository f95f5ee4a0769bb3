"""Teleoperators for our robots; importing registers their configs."""
