"""Side-by-side timing shared by the benchmarks: interleaved calls, medians, a ratio table."""

import statistics
import time

import torch

from lerobot_torque.evaluation.machine import machine_line


def timed(function, *args) -> float:
    start = time.perf_counter()
    function(*args)
    return time.perf_counter() - start


def train_step(policy, optimizer, batch: dict) -> None:
    loss, _ = policy.forward(batch)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()


def interleaved_medians(tasks: dict[str, list], repeats: int) -> dict[str, float]:
    """Median seconds per call of each named `[function, *args]`, alternating tasks (and their
    order) every round so machine load affects all alike."""
    times: dict[str, list[float]] = {name: [] for name in tasks}
    names = list(tasks)
    for round_index in range(repeats):
        for name in names if round_index % 2 == 0 else reversed(names):
            function, *args = tasks[name]
            times[name].append(timed(function, *args))
    return {name: statistics.median(values) for name, values in times.items()}


def print_ratio_table(title: str, base: str, ours: str, rows: list[tuple[str, float, float, str]]) -> None:
    """Print `| measure | base | ours | ratio ours/base | target |` with the machine it ran on."""
    print(title)
    print(f"{machine_line()}, {torch.get_num_threads()} torch thread(s)")
    print(f"| measure | {base} | {ours} | ratio {ours}/{base} | target |\n|---|---|---|---|---|")
    for label, base_value, ours_value, target in rows:
        print(f"| {label} | {base_value:.4g} | {ours_value:.4g} | {ours_value / base_value:.3f} | {target} |")
