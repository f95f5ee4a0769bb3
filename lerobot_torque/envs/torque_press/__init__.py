"""`--env.type=torque_press`: press a spring-loaded button of hidden stiffness to a force band.

`scene` (MJCF and sizes) → `servo` (position servo, effort sensor) → `sim` (physics of one episode)
→ `env` (the gymnasium env) and `expert` (the scripted expert); `demos` is what the demonstration
writer needs. The config is `lerobot_torque.envs.configs.TorquePressEnvConfig`.
"""
