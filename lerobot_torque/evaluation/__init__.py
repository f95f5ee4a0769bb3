"""Closed-loop evaluation of torque policies in our simulations (`lerobot-torque-benchmark`)."""
