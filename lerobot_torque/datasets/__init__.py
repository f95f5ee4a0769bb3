"""Datasets lerobot-torque writes itself (synthetic fixtures; simulated demonstrations)."""
