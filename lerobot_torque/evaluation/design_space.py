"""The paper's design-space tables on torque_press: the arms, the paper's numbers and the comparison.

Every row of the paper's Tables 1, 3, 5, 9 and 10 that the README maps to flags is one arm here
(`arms.DESIGNS`), trained on the same demonstrations with the same seeds and evaluated on the same
fresh episodes. The paper's column is its Button Pushing task (n = 20 per cell), the task closest to
torque_press; Tables 9 and 10 report only that task. Table 10's caption in the paper reads
"Inference Time for Different Designs"; its text (A.10) and numbers are the aggregators' success.

The comparison, per row: our success with its 95 % Wilson interval; a two-sided Fisher exact test
against the final model (π0+obs+obj, its training seeds pooled); and whether the paper's ordering
holds: the paper ranks every row of a table below that table's best row (its `reference`), so a row
agrees when ours is below our result for that reference too (with the Fisher p of that pair).

Left out for time (one line each in `DESIGN_SPACE_STUDY` to add): Table 9's β of π0+obj and the
values 0.2 and 0.5, Table 10's π0+obs row, Table 2 and 4 (noised/disrupted tokens), RDT (Table 6).
"""

from dataclasses import dataclass
from pathlib import Path

from lerobot_torque.evaluation.arms import (
    DESIGNS,
    SCRIPTED_ARMS,
    Arm,
    Report,
    Study,
    ablation_arms,
    trained_arm,
)
from lerobot_torque.evaluation.statistics import SuccessRate, fisher_exact_p, pooled

PAPER_EPISODES = 20  # trials per cell in every table of the paper
SEEDS = (1, 2, 3)  # training seeds of the final model, π0, act_torque and act
FINAL = "pi0_torque"
SEEDED = ("pi0", FINAL, "act", "act_torque")


def seeded(design: str) -> tuple[str, ...]:
    """Arm names of a design: one per training seed for the seeded designs, else seed 1 only."""
    seeds = SEEDS if design in SEEDED else (1,)
    return tuple(trained_arm(design, seed).name for seed in seeds)


@dataclass(frozen=True)
class PaperRow:
    """One row of a paper table: its label, our arms (training seeds pooled) and the paper's count."""

    row: str
    arms: tuple[str, ...]
    paper: int | None  # Button Pushing successes out of 20; None: the paper has no such row


def row(label: str, design: str, paper: int | None) -> PaperRow:
    """The row of a design (`arms.DESIGNS`), with all its training seeds."""
    return PaperRow(label, seeded(design), paper)


@dataclass(frozen=True)
class PaperTable:
    """A table of the paper with the row it ranks first (`reference`)."""

    name: str
    title: str
    rows: tuple[PaperRow, ...]
    reference: str | None  # the `row` label of the paper's best row; None: no ordering claimed


TABLES = (
    PaperTable(
        "Table 1",
        "where the current effort enters (paper §4.1)",
        (
            row("π0", "pi0", 5),
            row("Enc", "pi0_enc", 7),
            row("DePre", "pi0_depre", 8),
            row("DePost", "pi0_depost", 10),
        ),
        "DePost",
    ),
    PaperTable(
        "Table 3",
        "effort history: encoder or decoder, one token or one per frame (paper §4.2)",
        (
            row("π0", "pi0", 5),
            row("Enc-1", "pi0_enc_1", 1),
            row("Enc-H", "pi0_enc_h", 4),
            row("Dec-1", "pi0_obs", 15),
            row("Dec-H", "pi0_dec_h", 9),
        ),
        "Dec-1",
    ),
    PaperTable(
        "Table 5",
        "effort as observation, objective, or both (paper §6.2)",
        (
            row("ACT", "act", 2),
            row("act_torque (ours)", "act_torque", None),
            row("π0", "pi0", 5),
            row("π0+obs", "pi0_obs", 15),
            row("π0+obj (β = 1)", "pi0_obj", 11),
            row("π0+obs+obj (β = 0.1)", FINAL, 18),
        ),
        "π0+obs+obj (β = 0.1)",
    ),
    PaperTable(
        "Table 9",
        "β of the future-effort loss, π0+obs+obj (paper A.9)",
        (
            row("β = 0.01", "pi0_torque_beta_0.01", 14),
            row("β = 0.1", FINAL, 18),
            row("β = 1", "pi0_torque_beta_1", 12),
        ),
        "β = 0.1",
    ),
    PaperTable(
        "Table 10",
        "history aggregator, π0+obs+obj (paper A.10)",
        (
            row("MLP", FINAL, 18),
            row("RNN (GRU)", "pi0_torque_gru", 10),
            row("Attention", "pi0_torque_attention", 17),
        ),
        "MLP",
    ),
    PaperTable(
        "Checks",
        "does the final model use effort; what the scripts reach (this port)",
        (
            PaperRow("π0+obs+obj, effort zeroed", (FINAL + "_effort_zeroed",), None),
            PaperRow("π0+obs+obj, effort shuffled", (FINAL + "_effort_shuffled",), None),
            PaperRow("scripted expert (effort)", ("scripted_expert",), None),
            PaperRow("scripted best fixed depth (no effort)", ("scripted_fixed_depth",), None),
        ),
        None,
    ),
)


def design_space_arms() -> tuple[Arm, ...]:
    """Every arm the tables need, once: scripted, π0 and the final model first, extra training seeds last."""
    known = {
        arm.name: arm
        for arm in (
            *SCRIPTED_ARMS,
            *ablation_arms(FINAL),
            *(trained_arm(design, seed) for design in DESIGNS for seed in SEEDS),
        )
    }
    names = [*(arm.name for arm in SCRIPTED_ARMS), "pi0", FINAL]
    names += [name for table in TABLES for row in table.rows for name in row.arms]
    later_seed = lambda name: known[name].learner is not None and known[name].learner.seed != 1  # noqa: E731
    return tuple(known[name] for name in sorted(dict.fromkeys(names), key=later_seed))


DESIGN_SPACE_STUDY = Study(design_space_arms(), base="pi0", torque=FINAL, report=Report.PAPER_TABLES)


@dataclass
class RowResult:
    """A paper row with our pooled result and the tests; None where an arm has not finished."""

    table: str
    row: str
    arms: tuple[str, ...]
    paper: int | None
    ours: SuccessRate | None
    per_seed: list[int]
    p_vs_final: float | None
    reference: str | None
    p_vs_reference: float | None
    agrees: bool | None


def compare(rates: dict[str, SuccessRate], tables: tuple[PaperTable, ...] = TABLES) -> list[RowResult]:
    """Every row of `tables` with our result, its Fisher test against the final model and the ordering."""

    def ours(row: PaperRow) -> SuccessRate | None:
        found = [rates[name] for name in row.arms if name in rates]
        return pooled(row.row, found) if len(found) == len(row.arms) else None

    final = ours(PaperRow("π0+obs+obj", seeded(FINAL), None))
    out = []
    for table in tables:
        reference = next((row for row in table.rows if row.row == table.reference), None)
        ref_ours = ours(reference) if reference else None
        for row in table.rows:
            rate = ours(row)
            p_final = fisher_exact_p(rate, final) if rate and final and row.arms != seeded(FINAL) else None
            p_ref = agrees = None
            if rate and ref_ours and row is not reference and row.paper is not None:
                p_ref = fisher_exact_p(rate, ref_ours)
                agrees = sign(rate.percent - ref_ours.percent) == sign(row.paper - reference.paper)
            per_seed = (
                [rates[name].successes for name in row.arms if name in rates] if len(row.arms) > 1 else []
            )
            out.append(
                RowResult(
                    table.name,
                    row.row,
                    row.arms,
                    row.paper,
                    rate,
                    per_seed,
                    p_final,
                    table.reference if row is not reference else None,
                    p_ref,
                    agrees,
                )
            )
    return out


def sign(x: float) -> int:
    return (x > 0) - (x < 0)


def format_p(p: float | None) -> str:
    if p is None:
        return "—"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def format_rate(rate: SuccessRate) -> str:
    return f"{rate.successes}/{rate.episodes} ({rate.percent:.0f} %)"


def ordering_cell(result: RowResult, is_reference: bool) -> str:
    if is_reference:
        return "reference: the paper's best row"
    if result.agrees is None:
        return "—"
    answer, where = ("yes", "below") if result.agrees else ("no", "not below")
    return f"{answer}: {where} {result.reference} (p = {format_p(result.p_vs_reference)})"


def comparison_markdown(
    rates: dict[str, SuccessRate], failed: dict[str, str] | None = None, command: str = ""
) -> str:
    """The paper's tables side by side with ours, one markdown table per paper table."""
    failed = failed or {}
    results = compare(rates)
    lines = []
    for table in TABLES:
        paper_note = f" Paper: Button Pushing, n = {PAPER_EPISODES} per cell." if table.reference else ""
        lines += [
            f"**{table.name}**: {table.title}.{paper_note}",
            "",
            "| paper row | our arm (training seeds) | paper | ours | 95 % Wilson CI (%) "
            "| Fisher p vs π0+obs+obj | paper's ordering holds? |",
            "|---|---|---|---|---|---|---|",
        ]
        for result in (r for r in results if r.table == table.name):
            paper = (
                f"{result.paper}/{PAPER_EPISODES} ({100 * result.paper / PAPER_EPISODES:.0f} %)"
                if result.paper is not None
                else "—"
            )
            arms = f"`{result.arms[0]}`" + (
                f" (seeds {', '.join(map(str, SEEDS))})" if len(result.arms) > 1 else ""
            )
            if result.ours is not None:
                ours = format_rate(result.ours)
                if result.per_seed:
                    each = result.ours.episodes // len(result.per_seed)
                    ours += f"; per seed {', '.join(map(str, result.per_seed))} of {each}"
                low, high = result.ours.interval
                interval = f"[{low:.1f}, {high:.1f}]"
            else:
                broken = [name for name in result.arms if name in failed]
                ours = f"failed ({', '.join(broken)})" if broken else "not yet run"
                interval = "—"
            p_final = (
                "— (this is the final model)" if result.arms[0] == FINAL else format_p(result.p_vs_final)
            )
            lines.append(
                f"| {result.row} | {arms} | {paper} | {ours} | {interval} | {p_final} "
                f"| {ordering_cell(result, result.row == table.reference)} |"
            )
        lines.append("")
    if command:
        lines.append(f"Command: `{command}`")
    return "\n".join(lines).rstrip() + "\n"


def comparison_json(rates: dict[str, SuccessRate]) -> list[dict]:
    """`compare` as plain data for `results.json`."""
    return [
        {
            "table": r.table,
            "row": r.row,
            "arms": list(r.arms),
            "paper_successes": r.paper,
            "paper_episodes": PAPER_EPISODES if r.paper is not None else None,
            "successes": r.ours.successes if r.ours else None,
            "episodes": r.ours.episodes if r.ours else None,
            "wilson_95": list(r.ours.interval) if r.ours else None,
            "successes_per_seed": r.per_seed or None,
            "fisher_p_vs_final": r.p_vs_final,
            "paper_reference": r.reference,
            "fisher_p_vs_reference": r.p_vs_reference,
            "agrees_with_paper_ordering": r.agrees,
        }
        for r in compare(rates)
    ]


def plot_design_space(rates: dict[str, SuccessRate], path: Path) -> None:
    """One panel per table: our success with its Wilson interval, the paper's (n = 20) beside it."""
    from lerobot_torque.evaluation.plots import plot_paired_success

    panels = []
    for table in TABLES:
        rows = [r for r in compare(rates) if r.table == table.name]
        paper = [SuccessRate(r.row, r.paper, PAPER_EPISODES) if r.paper is not None else None for r in rows]
        panels.append((f"{table.name}: {table.title}", [r.row for r in rows], [r.ours for r in rows], paper))
    plot_paired_success(panels, path)
