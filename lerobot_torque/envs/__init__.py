"""Simulated contact-rich tasks with joint effort in the observation; importing registers configs."""
