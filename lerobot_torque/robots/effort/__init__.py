"""Robot-agnostic effort code: unit conversions, block reads, the safety guard, external torque.

Nothing here imports a motor SDK or MuJoCo at package import; the buses and the dynamics model load
them when built.
"""
