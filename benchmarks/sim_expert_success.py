"""Success rates of the scripted experts that write our simulated demonstrations.

    python benchmarks/sim_expert_success.py --env.type=torque_press --episodes=100 --seed=100000
    python benchmarks/sim_expert_success.py --env.type=aloha_insertion_torque --episodes=40 --seed=100

Runs the expert of `lerobot-torque-sim-demos` (state-only observations, no camera) on seeds
`seed … seed + episodes - 1` and prints the success rate with its 95 % Wilson interval, the seeds that
failed, the command, versions and machine.
"""

import argparse
import shlex
import sys
import time
from dataclasses import replace

from lerobot.envs.factory import make_env_config

import lerobot_torque  # noqa: F401  (registers the env types)
from lerobot_torque.datasets.sim_demos import scripted_task
from lerobot_torque.evaluation.machine import machine_line
from lerobot_torque.evaluation.statistics import wilson_interval


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--env.type", dest="env_type", default="torque_press")
    parser.add_argument("--episodes", type=int, default=40)
    parser.add_argument("--seed", type=int, default=100)
    args = parser.parse_args(argv)

    config = replace(make_env_config(args.env_type), obs_type="agent_pos")
    task = scripted_task(config)
    env = task.make_env(config)
    start, failed = time.time(), []
    for seed in range(args.seed, args.seed + args.episodes):
        observation, info = env.reset(seed=seed)
        expert = task.make_expert(env, observation)
        for _ in range(config.episode_length):
            observation, _, terminated, truncated, info = env.step(expert.act(observation))
            expert.executed(env)
            if terminated or truncated:
                break
        if not info["is_success"]:
            failed.append(seed)
    env.close()
    successes = args.episodes - len(failed)
    low, high = wilson_interval(successes, args.episodes)
    print("command: python " + " ".join(shlex.quote(a) for a in [sys.argv[0], *argv]))
    rate, last = 100 * successes / args.episodes, args.seed + args.episodes - 1
    print(
        f"{args.env_type} scripted expert: {successes}/{args.episodes} = {rate:.1f} % "
        f"[95 % Wilson {100 * low:.1f}, {100 * high:.1f}], seeds {args.seed}..{last}, failed {failed}"
    )
    print(f"{machine_line()}, {time.time() - start:.0f} s")


if __name__ == "__main__":
    main()
