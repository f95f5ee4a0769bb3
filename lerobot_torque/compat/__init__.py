"""Compatibility code for the LeRobot version we pin; see each module's docstring."""
