"""Side-by-side timing shared by the benchmarks: paired rounds, a control, a ratio table.

Each round times the base, the base again (the control) and ours, in alternating order, on the
same inputs. A ratio is the median over rounds of the per-round ratio, so slow phases of a shared
machine cancel out; the control's ratio (base against itself) shows how much noise is left.
"""

import ctypes
import ctypes.util
import statistics
import time
from dataclasses import dataclass

import torch

from lerobot_torque.evaluation.machine import machine_line

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc <malloc.h>
MMAP_THRESHOLD_MAX = 32 * 2**20  # glibc's largest on 64-bit (mallopt(3))


def keep_freed_memory() -> None:
    """Make glibc keep freed memory in the process, so that a tensor allocated again reuses pages.

    With glibc's defaults, blocks above an adaptive threshold are mapped afresh and freed memory
    above another is returned to the kernel; every call of a model then pays page faults in
    proportion to the size of its temporaries, which varies with the sizes a run went through
    (mallopt(3)). Here the trim threshold is 2 GB and blocks up to 32 MB come from the heap.
    """
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    if not (libc.mallopt(M_TRIM_THRESHOLD, 2**31 - 1) and libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_MAX)):
        raise RuntimeError("mallopt refused the allocator settings: is this glibc on Linux?")


def train_step(policy, optimizer, batch: dict) -> None:
    loss, _ = policy.forward(batch)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()


@dataclass
class Measure:
    """Seconds per call of the base, the base again and ours, one entry per round.

    With `samples_per_call` the table shows throughput (samples/s) and the ratio of throughputs.
    """

    label: str
    base: list[float]
    control: list[float]
    ours: list[float]
    target: str
    samples_per_call: int | None = None

    def ratio(self, times: list[float]) -> float:
        pairs = zip(self.base, times, strict=True)
        return statistics.median(b / t if self.samples_per_call else t / b for b, t in pairs)

    def value(self, times: list[float]) -> float:
        seconds = statistics.median(times)
        return self.samples_per_call / seconds if self.samples_per_call else seconds


def measure(
    label: str,
    base: list,
    ours: list,
    rounds: int,
    target: str,
    control: list | None = None,
    samples_per_call: int | None = None,
) -> Measure:
    """Time `[function, *args]` of the base, the control (default: the base) and ours per round.

    Stateful calls (a data-loader iterator) need their own control so that every round sees the
    same inputs in all three.
    """
    tasks = {"base": base, "control": control or base, "ours": ours}
    times: dict[str, list[float]] = {name: [] for name in tasks}
    order = list(tasks)
    for round_index in range(rounds):
        for name in order if round_index % 2 == 0 else reversed(order):
            function, *args = tasks[name]
            start = time.perf_counter()
            function(*args)
            times[name].append(time.perf_counter() - start)
    return Measure(label, times["base"], times["control"], times["ours"], target, samples_per_call)


def print_ratio_table(title: str, base: str, ours: str, measures: list[Measure]) -> None:
    """Print the measures as a Markdown table, with the machine it ran on."""
    print(title)
    print(f"{machine_line()}, {torch.get_num_threads()} torch thread(s)")
    print(
        f"| measure | rounds | {base} | {ours} | ratio {ours}/{base} | target | control: {base}/{base} |\n"
        "|---|---|---|---|---|---|---|"
    )
    for m in measures:
        print(
            f"| {m.label} | {len(m.base)} | {m.value(m.base):.4g} | {m.value(m.ours):.4g} | "
            f"{m.ratio(m.ours):.3f} | {m.target} | {m.ratio(m.control):.3f} |"
        )
