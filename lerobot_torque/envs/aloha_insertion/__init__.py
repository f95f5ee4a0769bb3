"""`--env.type=aloha_insertion_torque`: gym-aloha's bimanual peg insertion with joint effort.

`model` (what we use of gym-aloha's MuJoCo model: names and index ranges) → `env` (the gymnasium
env) and `expert` (the scripted expert); `demos` is what the demonstration writer needs. The config
is `lerobot_torque.envs.configs.AlohaInsertionTorqueEnvConfig`.
"""
