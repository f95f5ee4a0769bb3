"""Robots that report joint effort next to positions; importing registers their configs."""
