"""The legal tests: each finding names its rule, its jurisdiction and the figures that met it.

Tests are vectorised over members and networks; a finding's figures are a JSON object built
column-wise with Arrow, so a case with a million organizers costs no per-row Python. Networks
that are not pyramids (no entry fees, no recruitment rewards paid across levels) get one clean
finding per rule saying so, which is how legitimate look-alikes come out clean *with the reason*.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from ._metrics import MemberFigures, NetworkFigures
from ._profiles import Profile

FINDINGS_SCHEMA = pa.schema(
    [
        ("jurisdiction", pa.string()),
        ("rule_id", pa.string()),
        ("citation", pa.string()),
        ("subject_kind", pa.string()),
        ("subject_id", pa.string()),
        ("network_id", pa.string()),
        ("result", pa.string()),
        ("figures", pa.string()),
        ("explanation", pa.string()),
    ]
)


def _text(values: NDArray[Any] | pa.Array) -> pa.Array:
    array = values if isinstance(values, pa.Array) else pa.array(values)
    if pa.types.is_floating(array.type):
        array = pc.round(array, 4)
    if pa.types.is_string(array.type):
        escaped = pc.replace_substring(pc.replace_substring(array, "\\", "\\\\"), '"', '\\"')
        return pc.binary_join_element_wise('"', escaped, '"', "")
    return pc.cast(array, pa.string())


def json_objects(fields: Mapping[str, NDArray[Any] | pa.Array]) -> pa.Array:
    """One JSON object per row from equal-length columns, built without a Python loop."""
    pieces: list[pa.Array | str] = []
    for index, (name, values) in enumerate(fields.items()):
        pieces.append(("{" if index == 0 else ", ") + f'"{name}": ')
        pieces.append(_text(values))
    pieces.append("}")
    return pc.binary_join_element_wise(*pieces, "")


def sentence(*parts: NDArray[Any] | pa.Array | str) -> pa.Array:
    """Concatenate literal text and columns into one sentence per row."""
    pieces = [
        p if isinstance(p, str) else pc.cast(p if isinstance(p, pa.Array) else pa.array(p), pa.string())
        for p in parts
    ]
    return pc.binary_join_element_wise(*pieces, "")


@dataclass
class FindingBatch:
    rule: Mapping[str, object]
    jurisdiction: str
    subject_kind: str
    subject_id: pa.Array
    network_id: pa.Array
    result: pa.Array | str
    figures: pa.Array
    explanation: pa.Array

    def table(self) -> pa.Table:
        size = len(self.subject_id)

        def constant(value: str) -> pa.Array:
            return pa.array(np.full(size, value, dtype=object), pa.string())

        result = self.result if isinstance(self.result, pa.Array) else constant(self.result)
        return pa.table(
            [
                constant(self.jurisdiction),
                constant(str(self.rule["rule_id"])),
                constant(str(self.rule["citation"])),
                constant(self.subject_kind),
                self.subject_id,
                self.network_id,
                result,
                self.figures,
                self.explanation,
            ],
            schema=FINDINGS_SCHEMA,
        )


@dataclass
class Context:
    """What the tests read: figures plus ID lookups.

    ``is_pyramid`` (per network, aligned with ``networks.roots``) is any form of pyramid selling;
    ``headcount_based`` the narrower kind the criminal tests of the 2013 Opinions apply to: pay
    that comes from joining fees or recruiting, not team pay on sales (§5).
    """

    member_id: pa.Array
    members: MemberFigures
    networks: NetworkFigures
    is_pyramid: NDArray[np.bool_]
    headcount_based: NDArray[np.bool_]
    pyramid_reason: pa.Array
    repeat_offenders: frozenset[str]

    @property
    def network_ids(self) -> pa.Array:
        return self.member_id.take(pa.array(self.networks.roots))


@dataclass(frozen=True)
class Gate:
    is_pyramid: NDArray[np.bool_]
    headcount_based: NDArray[np.bool_]
    reason: pa.Array


def pyramid_gate(networks: NetworkFigures) -> Gate:
    """Pyramid selling: a fee to join, recruitment rewards across levels, or team pay on sales."""
    fees = networks.columns["fees_total"] > 0
    recruiting = networks.columns["recruitment_levels"] >= 2
    team_pay = networks.columns["team_sales_levels"] >= 2
    headcount_based = fees | recruiting
    reason = np.where(
        fees & recruiting,
        "entry fees are paid to join and recruitment rewards are paid across several levels",
        np.where(
            fees,
            "entry fees are paid to join",
            np.where(
                recruiting,
                "recruitment rewards are paid across several levels",
                np.where(
                    team_pay,
                    "team pay on downline sales across several levels; not headcount-based, so the "
                    "criminal tests of the 2013 Opinions do not apply (§5)",
                    "no entry fees, recruitment rewards reach at most one level and no team pay "
                    "on downline sales: not a pyramid",
                ),
            ),
        ),
    )
    return Gate(headcount_based | team_pay, headcount_based, pa.array(reason, pa.string()))


def _member_batch(
    ctx: Context,
    profile: Profile,
    rule: Mapping[str, object],
    codes: NDArray[np.int64],
    figures: Mapping[str, NDArray[Any]],
    explanation: pa.Array,
) -> FindingBatch:
    root = ctx.members.forest.root[codes]
    return FindingBatch(
        rule,
        profile.id,
        "member",
        ctx.member_id.take(pa.array(codes)),
        ctx.member_id.take(pa.array(root)),
        "met",
        json_objects(figures),
        explanation,
    )


def _network_batch(
    ctx: Context,
    profile: Profile,
    rule: Mapping[str, object],
    met: NDArray[np.bool_],
    figures: Mapping[str, NDArray[Any]],
    explanation: pa.Array,
    applies: NDArray[np.bool_] | None = None,
) -> FindingBatch:
    """One row per network: met / not met; where the rule cannot apply, the gate's reason."""
    result = np.where(met, "met", "not_met")
    scope = ctx.is_pyramid if applies is None else applies
    explained = pc.if_else(pa.array(scope | met), explanation, ctx.pyramid_reason)
    ids = ctx.network_ids
    return FindingBatch(
        rule, profile.id, "network", ids, ids, pa.array(result, pa.string()), json_objects(figures), explained
    )


def _organizer_codes(ctx: Context, min_members: int, min_levels: int) -> NDArray[np.int64]:
    m = ctx.members
    in_pyramid = np.zeros(m.forest.root.shape[0], dtype=np.bool_)
    in_pyramid[ctx.networks.roots[ctx.headcount_based]] = True
    in_pyramid = in_pyramid[m.forest.root] & m.in_network
    return np.flatnonzero(in_pyramid & (m.person_headcount >= min_members) & (m.person_levels >= min_levels))


def china(ctx: Context, profile: Profile) -> list[FindingBatch]:
    batches: list[FindingBatch] = []
    m, nets = ctx.members, ctx.networks.columns
    rule = profile.rule("organizer")
    if rule:
        low, depth = int(rule["min_members"]), int(rule["min_levels"])
        codes = _organizer_codes(ctx, low, depth)
        head, levels = m.person_headcount[codes], m.person_levels[codes]
        batches.append(
            _member_batch(
                ctx,
                profile,
                rule,
                codes,
                {
                    "headcount": head,
                    "levels": levels,
                    "downline_accounts": m.forest.downline[codes],
                    "direct_recruits": m.forest.direct_recruits[codes],
                    "level_in_network": m.forest.level[codes],
                    "fees_in_downline": m.money["fees_in_downline"][codes],
                },
                sentence(
                    "organizer or leader: heads ",
                    pa.array(head),
                    " people over ",
                    pa.array(levels),
                    f" levels, counting themselves (thresholds ≥ {low} people and ≥ {depth} levels)",
                ),
            )
        )
        met = ctx.headcount_based & (nets["persons"] >= low) & (nets["levels"] >= depth)
        batches.append(
            _network_batch(
                ctx,
                profile,
                rule,
                met,
                {"persons": nets["persons"], "accounts": nets["members"], "levels": nets["levels"]},
                sentence(
                    "the organization has ",
                    pa.array(nets["persons"]),
                    " people over ",
                    pa.array(nets["levels"]),
                    f" levels (thresholds ≥ {low} and ≥ {depth})",
                ),
                applies=ctx.headcount_based,
            )
        )
    rule = profile.rule("repeat_offender")
    if rule and ctx.repeat_offenders:
        low, depth = int(rule["min_members"]), int(rule["min_levels"])
        codes = _organizer_codes(ctx, low, depth)
        listed = np.isin(
            ctx.member_id.take(pa.array(codes)).to_numpy(zero_copy_only=False), list(ctx.repeat_offenders)
        )
        codes = codes[listed]
        batches.append(
            _member_batch(
                ctx,
                profile,
                rule,
                codes,
                {"headcount": m.person_headcount[codes], "levels": m.person_levels[codes]},
                sentence(
                    "repeat offender leading ",
                    pa.array(m.person_headcount[codes]),
                    " people over ",
                    pa.array(m.person_levels[codes]),
                    f" levels (thresholds ≥ {low} and ≥ {depth} after a prior sanction)",
                ),
            )
        )
    rule, organizer = profile.rule("serious"), profile.rule("organizer")
    if rule and organizer:
        codes = _organizer_codes(ctx, int(organizer["min_members"]), int(organizer["min_levels"]))
        many, fees = int(rule["min_members"]), float(rule["min_fees"])
        head, collected = m.person_headcount[codes], m.money["fees_in_downline"][codes]
        serious = (head >= many) | (collected >= fees)
        codes, head, collected = codes[serious], head[serious], collected[serious]
        batches.append(
            _member_batch(
                ctx,
                profile,
                rule,
                codes,
                {"headcount": head, "fees_in_downline": collected},
                sentence(
                    "serious circumstances: ",
                    pa.array(head),
                    f" people (≥ {many}) or ",
                    pa.array(np.round(collected, 2)),
                    f" {profile.currency} of entry fees in the downline (≥ {fees:,.0f})",
                ),
            )
        )
    rule = profile.rule("team_pay")
    if rule:
        headcount_based = nets["recruitment_rewards"] > nets["sales_rewards"]
        batches.append(
            _network_batch(
                ctx,
                profile,
                rule,
                ctx.is_pyramid & headcount_based,
                {"recruitment_rewards": nets["recruitment_rewards"], "sales_rewards": nets["sales_rewards"]},
                pa.array(
                    np.where(
                        headcount_based,
                        "team pay is based on headcount: recruitment rewards and fees exceed sales-based pay",
                        "team pay is based on sales volume (administrative, not criminal, under §5)",
                    ),
                    pa.string(),
                ),
            )
        )
    rule = profile.rule("regulations_art7")
    if rule:
        recruit = nets["recruitment_rewards"] > 0
        fees_charged = nets["fees_total"] > 0
        team = nets["team_sales_levels"] >= 2
        forms = [
            np.where(recruit, "(1) rewards for recruiting", ""),
            np.where(fees_charged, "(2) entry fees", ""),
            np.where(team, "(3) team pay on downline sales across levels", ""),
        ]
        listed = pc.binary_join_element_wise(*[pa.array(f) for f in forms], "; ")
        listed = pc.replace_substring_regex(
            pc.replace_substring_regex(listed, r"(; )+", "; "), r"^; |; $", ""
        )
        batches.append(
            _network_batch(
                ctx,
                profile,
                rule,
                ctx.is_pyramid & (recruit | fees_charged | team),
                {
                    "recruitment_rewards": nets["recruitment_rewards"],
                    "fees_total": nets["fees_total"],
                    "team_sales_levels": nets["team_sales_levels"],
                },
                sentence("forms of pyramid selling present: ", listed),
            )
        )
    rule = profile.rule("direct_selling_art24")
    if rule:
        # Art. 24 caps what a direct seller earns against their own sales; it applies to anyone
        # paid on sales (own or downline), in a pyramid or in a licensed direct-selling company.
        cap = float(rule["max_pay_share_of_own_sales"])
        own = m.money["own_sales_outside"] + m.money["own_sales_inside"]
        pay = m.money["rewards"]
        zero = np.zeros_like(pay)
        paid_on_sales = (
            m.money.get("commission_own_sales", zero) + m.money.get("commission_downline_sales", zero)
        ) > 0
        over = m.in_network & paid_on_sales & (pay > cap * own)
        codes = np.flatnonzero(over)
        ratio = np.divide(pay[codes], own[codes], out=np.full(codes.shape[0], np.inf), where=own[codes] > 0)
        batches.append(
            _member_batch(
                ctx,
                profile,
                rule,
                codes,
                {
                    "pay": pay[codes],
                    "own_sales": own[codes],
                    "pay_share": np.where(np.isinf(ratio), -1.0, ratio),
                },
                sentence(
                    "paid ",
                    pa.array(np.round(pay[codes], 2)),
                    " on own sales of ",
                    pa.array(np.round(own[codes], 2)),
                    f" (cap: {cap:.0%} of own sales)",
                ),
            )
        )
    return batches


def _outside_reward_share(nets: Mapping[str, NDArray[Any]]) -> NDArray[np.float64]:
    sales = nets["sales_outside"] + nets["sales_inside"]
    outside_part = np.divide(nets["sales_outside"], sales, out=np.zeros(sales.shape[0]), where=sales > 0)
    from_outside = nets["sales_rewards"] * outside_part
    rewards = nets["rewards_total"]
    share: NDArray[np.float64] = np.divide(
        from_outside, rewards, out=np.zeros(rewards.shape[0]), where=rewards > 0
    )
    return share


def united_states(ctx: Context, profile: Profile) -> list[FindingBatch]:
    batches: list[FindingBatch] = []
    nets = ctx.networks.columns
    rule = profile.rule("koscot")
    if rule:
        prong1 = nets["fees_total"] > 0
        prong2 = nets["recruitment_rewards"] > 0
        batches.append(
            _network_batch(
                ctx,
                profile,
                rule,
                ctx.is_pyramid & prong1 & prong2,
                {"fees_total": nets["fees_total"], "recruitment_rewards": nets["recruitment_rewards"]},
                pa.array(
                    np.where(
                        prong1 & prong2,
                        "both prongs: participants pay for the right to sell and are rewarded for recruiting",
                        np.where(
                            prong1,
                            "first prong only (payment to join)",
                            "second prong only (recruitment rewards)",
                        ),
                    ),
                    pa.string(),
                ),
            )
        )
    rule = profile.rule("retail_sales")
    if rule:
        floor = float(rule["min_outside_share"])
        share = _outside_reward_share(nets)
        batches.append(
            _network_batch(
                ctx,
                profile,
                rule,
                ctx.is_pyramid & (share <= floor),
                {"outside_reward_share": share, "rewards_total": nets["rewards_total"]},
                sentence(
                    "share of rewards coming from sales to non-participants: ",
                    pa.array(np.round(share, 3)),
                    f" (must exceed {floor:.0%})",
                ),
            )
        )
    rule = profile.rule("income_disclosure")
    if rule:
        disclosure = _network_batch(
            ctx,
            profile,
            rule,
            ctx.is_pyramid,
            {
                "share_no_income": nets["share_no_income"],
                "share_losing": nets["share_losing"],
                "top1_share": nets["top1_share"],
            },
            sentence(
                pa.array(np.round(nets["share_no_income"] * 100, 1)),
                "% earned nothing, ",
                pa.array(np.round(nets["share_losing"] * 100, 1)),
                "% lost money, the top 1% took ",
                pa.array(np.round(nets["top1_share"] * 100, 1)),
                "% of rewards",
            ),
        )
        # Disclosure is information to publish, not a breach: 'info' for pyramids.
        disclosure.result = pa.array(np.where(ctx.is_pyramid, "info", "not_met"), pa.string())
        batches.append(disclosure)
    return batches


def european_union(ctx: Context, profile: Profile) -> list[FindingBatch]:
    nets = ctx.networks.columns
    rule = profile.rule("ucpd_annex1_14")
    if not rule:
        return []
    cap = float(rule["max_recruitment_share"])
    rewards = nets["rewards_total"]
    share = np.divide(nets["recruitment_rewards"], rewards, out=np.zeros(rewards.shape[0]), where=rewards > 0)
    return [
        _network_batch(
            ctx,
            profile,
            rule,
            ctx.is_pyramid & (share > cap),
            {"recruitment_share": share, "rewards_total": rewards},
            sentence(
                "share of compensation from recruitment: ",
                pa.array(np.round(share, 3)),
                f" (primarily: > {cap:.0%})",
            ),
        )
    ]


TESTS = {"cn": china, "us": united_states, "eu": european_union}


def run_tests(ctx: Context, profiles: Sequence[Profile]) -> pa.Table:
    tables: list[pa.Table] = []
    for profile in profiles:
        runners = [TESTS[profile.id]] if profile.id in TESTS else list(TESTS.values())
        for runner in runners:
            tables.extend(batch.table() for batch in runner(ctx, profile) if len(batch.subject_id))
    if not tables:
        return FINDINGS_SCHEMA.empty_table()
    return pa.concat_tables(tables)
