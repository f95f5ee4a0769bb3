"""Every member of the official code's `EffortType` enum has our flags in docs/policies.md, or a reason.

The members and what each does are read from TA-VLA `src/openpi/shared/effort_type.py` and its use in
`models/pi0.py` (`_process_effort_tokens`, `embed_suffix`, `compute_loss`) and `models/model.py`
(`preprocess_observation`).
"""

import re
from pathlib import Path

import torch

from lerobot.policies.common.vla_utils import make_att_2d_masks

from tests.test_benchmark_arms import parse_policy

POLICIES_MD = Path(__file__).parents[1] / "docs" / "policies.md"
MEMBERS = (  # in the enum's order
    "NO",
    "STATE",
    "LLM",
    "LLM_HIS_C",
    "LLM_HIS_T",
    "EXPERT",
    "EXPERT_HIS_C",
    "EXPERT_HIS_T",
    "EXPERT_FUT",
    "EXPERT_HIS_C_FUT",
    "EXPERT_HIS_C_L_FUT",
)
# (where the effort enters, which frames as how many tokens, effort input, future effort, loss weight);
# None where the member does not use it. The code weights the future-effort loss by 0.1 in every *_FUT.
OFFICIAL = {
    "NO": (None, None, False, False, None),
    "STATE": ("decoder_pre", "current", True, False, None),
    "LLM": ("encoder", "current", True, False, None),
    "LLM_HIS_C": ("encoder", "one_token", True, False, None),
    "LLM_HIS_T": ("encoder", "per_frame", True, False, None),
    "EXPERT": ("decoder_post", "current", True, False, None),
    "EXPERT_HIS_C": ("decoder_post", "one_token", True, False, None),
    "EXPERT_HIS_T": ("decoder_post", "per_frame", True, False, None),
    "EXPERT_FUT": (None, None, False, True, 0.1),
    "EXPERT_HIS_C_FUT": ("decoder_post", "one_token", True, True, 0.1),
}


def documented() -> dict[str, str]:
    """Member → the flags (or "not ported") of the table in docs/policies.md."""
    rows = re.findall(r"^\| `([A-Z_]+)` \| [^|]+ \| ([^|]+) \|", POLICIES_MD.read_text(), flags=re.MULTILINE)
    return {member: cell.strip().strip("`") for member, cell in rows}


def test_the_docs_map_every_member_and_port_all_but_the_token_after_the_actions():
    table = documented()
    assert tuple(table) == MEMBERS
    assert [member for member, flags in table.items() if flags == "not ported"] == ["EXPERT_HIS_C_L_FUT"]


def test_each_documented_mapping_builds_the_members_design():
    for member, flags in documented().items():
        if member not in OFFICIAL:
            continue
        config = parse_policy(flags.split())
        torque = config.torque
        got = (
            config.effort_placement.value,
            torque.history_mode.value,
            torque.use_effort_input,
            torque.predict_future_effort,
            torque.future_loss_weight,
        )
        expected = OFFICIAL[member]
        assert tuple(e if e is None else g for e, g in zip(expected, got, strict=True)) == expected, member


def test_a_token_after_the_actions_is_invisible_to_them():
    """EXPERT_HIS_C_L_FUT's layout: [prefix | state, actions, effort]; the effort token opens a block."""
    prefix, chunk = 4, 3
    att = torch.tensor([[0] * prefix + [1] + [1] + [0] * (chunk - 1) + [1]])  # openpi's ar_mask values
    mask = make_att_2d_masks(torch.ones_like(att, dtype=torch.bool), att)[0]
    effort, actions = mask.shape[0] - 1, slice(prefix + 1, prefix + 1 + chunk)
    assert not mask[actions, effort].any() and not mask[prefix, effort]  # neither actions nor state see it
    assert mask[effort, :effort].all()  # it sees everything, but its output is never read
