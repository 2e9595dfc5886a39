"""The legal tests: each finding names its rule, its jurisdiction and the figures that met it.

Each test is its text's elements (see ``_elements`` and docs/legal.md) combined as the text
combines them, compared in its own profile's currency. Tests are vectorised over members and
networks; a finding's figures are a JSON object built column-wise with Arrow (money as exact
decimals), so a case with a million organizers costs no per-row Python. A network that does not
meet a rule gets a finding saying which element is missing, which is how legitimate look-alikes
come out clean *with the reason*. What the records cannot show (a person's role, intent, fraud)
is said in the explanation, not guessed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from ._elements import Elements, measure
from ._ids import MemberIds
from ._inputs import PyramidInputs
from ._metrics import MemberFigures, NetworkFigures
from ._money import bincount_units, money_words, threshold_units, units_text
from ._offenders import RepeatOffender
from ._profiles import Profile
from ._tour import preorder, range_sums

FINDINGS_SCHEMA = pa.schema(
    [
        ("jurisdiction", pa.string()),
        ("rule_id", pa.string()),
        ("citation", pa.string()),
        ("subject_kind", pa.string()),
        ("subject_id", pa.string()),
        ("network_id", pa.string()),
        ("result", pa.string()),
        ("currency", pa.string()),
        ("figures", pa.string()),
        ("explanation", pa.string()),
    ]
)


@dataclass(frozen=True)
class Money:
    """Int64 units of 1/10,000 to be written as an exact JSON number (``2925000.0000``)."""

    units: NDArray[np.int64]


def _text(values: NDArray[Any] | pa.Array | Money) -> pa.Array:
    if isinstance(values, Money):
        return units_text(values.units)
    array = values if isinstance(values, pa.Array) else pa.array(values)
    if pa.types.is_floating(array.type):
        array = pc.round(array, 4)
    if pa.types.is_string(array.type):
        escaped = pc.replace_substring(pc.replace_substring(array, "\\", "\\\\"), '"', '\\"')
        return pc.fill_null(pc.binary_join_element_wise('"', escaped, '"', ""), "null")
    return pc.fill_null(pc.cast(array, pa.string()), "null")


def json_objects(fields: Mapping[str, NDArray[Any] | pa.Array | Money]) -> pa.Array:
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
    currency: str = ""

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
                constant(self.currency),
                self.figures,
                self.explanation,
            ],
            schema=FINDINGS_SCHEMA,
        )


@dataclass
class Context:
    """What the tests read: inputs, figures, ID lookups and the elements per currency.

    ``gate`` holds the elements in the report currency with the first profile's evidence
    settings; they give ``pyramid_networks.is_pyramid`` and its assessment sentence.
    """

    member_id: MemberIds
    inputs: PyramidInputs
    members: MemberFigures
    networks: NetworkFigures
    gate: Elements
    repeat_offenders: Sequence[RepeatOffender] = ()
    gate_evidence: Mapping[str, Any] | None = None
    """The evidence settings ``gate`` was measured with (it is reused for profiles that share them)."""
    _cache: dict[tuple[object, ...], Elements] | None = None

    _network_ids: pa.Array | None = None

    @property
    def network_ids(self) -> pa.Array:
        """Each network's name (its root's ID), fetched once: every network finding needs them."""
        if self._network_ids is None:
            self._network_ids = self.member_id.take(self.networks.roots)
        return self._network_ids

    @property
    def is_pyramid(self) -> NDArray[np.bool_]:
        return self.gate.is_pyramid

    def elements(self, profile: Profile) -> Elements:
        key = (profile.currency, *sorted(profile.evidence.items()))
        if self._cache is None:
            self._cache = {}
            if self.gate_evidence is not None:
                self._cache[(self.gate.currency, *sorted(self.gate_evidence.items()))] = self.gate
        if key not in self._cache:
            self._cache[key] = measure(
                self.inputs, self.members, self.networks, profile.currency, profile.evidence
            )
        return self._cache[key]


def _member_batch(
    ctx: Context,
    profile: Profile,
    rule: Mapping[str, object],
    codes: NDArray[np.int64],
    figures: Mapping[str, NDArray[Any] | Money],
    explanation: pa.Array,
    result: pa.Array | str = "met",
) -> FindingBatch:
    named = ctx.members.network_root
    root = ctx.members.forest.root[codes]
    if named is not None:
        root = np.where(named[codes] >= 0, named[codes], root)
    return FindingBatch(
        rule,
        profile.id,
        "member",
        ctx.member_id.take(pa.array(codes)),
        ctx.member_id.take(pa.array(root)),
        result,
        json_objects(figures),
        explanation,
        profile.currency,
    )


def _network_batch(
    ctx: Context,
    profile: Profile,
    rule: Mapping[str, object],
    result: NDArray[Any],
    figures: Mapping[str, NDArray[Any] | Money],
    explanation: pa.Array,
    keep: NDArray[np.bool_] | None = None,
) -> FindingBatch:
    """One row per network (or per network in ``keep``) with its result and reasons."""
    ids = ctx.network_ids
    explained = explanation
    table_figures = json_objects(figures)
    results = pa.array(np.asarray(result, dtype=object), pa.string())
    if keep is not None:
        chosen = pa.array(np.flatnonzero(keep))
        ids, explained, table_figures, results = (
            ids.take(chosen),
            explanation.take(chosen),
            table_figures.take(chosen),
            results.take(chosen),
        )
    return FindingBatch(
        rule, profile.id, "network", ids, ids, results, table_figures, explained, profile.currency
    )


def _met(flags: NDArray[np.bool_]) -> NDArray[Any]:
    return np.where(flags, "met", "not_met")


def _text_if(mask: NDArray[np.bool_], yes: pa.Array | str, no: pa.Array | str) -> pa.Array:
    size = mask.shape[0]

    def arr(value: pa.Array | str) -> pa.Array:
        return (
            value
            if isinstance(value, pa.Array)
            else pa.array(np.full(size, value, dtype=object), pa.string())
        )

    return pc.if_else(pa.array(mask), arr(yes), arr(no))


def _share(part: NDArray[Any], whole: NDArray[Any]) -> NDArray[np.float64]:
    out: NDArray[np.float64] = np.divide(
        part.astype(np.float64), whole.astype(np.float64), out=np.zeros(part.shape[0]), where=whole > 0
    )
    return out


# --- China ----------------------------------------------------------------------------------

_ROLE = "the role under §2 (organizer or leader) is for the investigator"


def _qualifying_codes(ctx: Context, e: Elements, min_members: int, min_levels: int) -> NDArray[np.int64]:
    """Members of art. 224-1 schemes whose own organization (by persons) meets the numbers."""
    m = ctx.members
    index = ctx.networks.index
    scheme = np.zeros(max(1, e.headcount_based.shape[0]), dtype=np.bool_)
    scheme[: e.headcount_based.shape[0]] = e.headcount_based
    inside = (index >= 0) & scheme[np.maximum(index, 0)]
    return np.flatnonzero(inside & (m.person_headcount >= min_members) & (m.person_levels >= min_levels))


def _merge_notes(ctx: Context, codes: NDArray[np.int64], low: int, depth: int) -> pa.Array:
    """What a phone or device merge, and §1 ¶3 for a departed leader, did to each count."""
    m = ctx.members
    notes = pa.array(np.full(codes.size, "", dtype=object), pa.string())
    if m.weak_headcount is not None and m.weak_levels is not None:
        head, levels = m.weak_headcount[codes], m.weak_levels[codes]
        differs = (head != m.person_headcount[codes]) | (levels != m.person_levels[codes])
        flips = ((head >= low) & (levels >= depth)) != (
            (m.person_headcount[codes] >= low) & (m.person_levels[codes] >= depth)
        )
        kinds = " or ".join(m.weak_kinds)
        note = sentence(
            f"; merging accounts that share only a {kinds} (not counted: weaker than an ID number or bank "
            "account) would give ",
            pa.array(head),
            " people over ",
            pa.array(levels),
            " levels",
        )
        notes = _text_if(
            differs, _join_text(note, _text_if(flips, ", which would change this result", "")), notes
        )
    if m.departed is not None and m.raw_headcount is not None and m.raw_levels is not None:
        left = m.departed[codes]
        note = sentence(
            "; left the organization: recruits who joined after they left and were no longer paid are not "
            "counted (§1 ¶3), otherwise ",
            pa.array(m.raw_headcount[codes]),
            " people over ",
            pa.array(m.raw_levels[codes]),
            " levels",
        )
        notes = _join_text(notes, _text_if(left, note, ""))
    return notes


def _levels(m: MemberFigures, codes: NDArray[np.int64]) -> NDArray[Any]:
    """Members' levels in their network: the person's level when accounts were merged."""
    persons = m.legal_persons
    if persons is None:
        return m.forest.level[codes]
    out: NDArray[Any] = persons.level[persons.node[codes]]
    return out


def _join_text(*parts: pa.Array) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


def china(ctx: Context, profile: Profile) -> list[FindingBatch]:
    e = ctx.elements(profile)
    batches: list[FindingBatch] = []
    m, nets = ctx.members, ctx.networks.columns
    cur = profile.currency
    criminal_scheme = _text_if(
        e.headcount_based,
        "the scheme has the elements of art. 224-1",
        _text_if(
            e.entry_consideration,
            "not an art. 224-1 scheme: nobody is paid by the number of people recruited",
            "not an art. 224-1 scheme: no payment to join found (art. 224-1 requires joining by paying a fee "
            "or buying goods or services)",
        ),
    )
    rule = profile.rule("organizer")
    if rule:
        low, depth = int(rule["min_members"]), int(rule["min_levels"])
        codes = _qualifying_codes(ctx, e, low, depth)
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
                    "level_in_network": _levels(m, codes),
                    "fees_in_downline": Money(m.units(cur, "fees_in_downline")[codes]),
                },
                _join_text(
                    sentence(
                        "meets the §1 numbers: ",
                        pa.array(head),
                        " people over ",
                        pa.array(levels),
                        f" levels in their own organization, counting themselves (§7; "
                        f"thresholds ≥ {low} people "
                        f"and ≥ {depth} levels), in a scheme with the elements of art. 224-1; {_ROLE}",
                    ),
                    _merge_notes(ctx, codes, low, depth),
                ),
            )
        )
        if m.weak_headcount is not None and m.weak_levels is not None:
            # Members who would meet the numbers only if a shared phone or device merged accounts.
            index = ctx.networks.index
            scheme = np.zeros(max(1, e.headcount_based.shape[0]), dtype=np.bool_)
            scheme[: e.headcount_based.shape[0]] = e.headcount_based
            weak_only = (
                (index >= 0)
                & scheme[np.maximum(index, 0)]
                & (m.weak_headcount >= low)
                & (m.weak_levels >= depth)
                & ~((m.person_headcount >= low) & (m.person_levels >= depth))
            )
            codes = np.flatnonzero(weak_only)
            if codes.size:
                batches.append(
                    _member_batch(
                        ctx,
                        profile,
                        rule,
                        codes,
                        {
                            "headcount": m.person_headcount[codes],
                            "levels": m.person_levels[codes],
                            "headcount_if_weak_merge": m.weak_headcount[codes],
                            "levels_if_weak_merge": m.weak_levels[codes],
                        },
                        _join_text(
                            sentence(
                                "below the §1 numbers by persons merged on an ID number or bank account: ",
                                pa.array(m.person_headcount[codes]),
                                " people over ",
                                pa.array(m.person_levels[codes]),
                                " levels",
                            ),
                            _merge_notes(ctx, codes, low, depth),
                            sentence("; whether those accounts are one person is for the investigator"),
                        ),
                        "not_met",
                    )
                )
        numbers = (nets["persons"] >= low) & (nets["levels"] >= depth)
        met = e.headcount_based & numbers
        batches.append(
            _network_batch(
                ctx,
                profile,
                rule,
                _met(met),
                {
                    "persons": nets["persons"],
                    "accounts": nets["members"],
                    "levels": nets["levels"],
                    "entry_consideration": e.entry_consideration,
                    "pay_by_headcount": e.headcount_pay,
                },
                sentence(
                    "the organization has ",
                    pa.array(nets["persons"]),
                    " people over ",
                    pa.array(nets["levels"]),
                    f" levels (thresholds ≥ {low} and ≥ {depth}); ",
                    criminal_scheme,
                    "; ",
                    e.reason,
                    "; whether the organizers defrauded participants (§3) is for the investigator",
                ),
            )
        )
    _repeat_offenders(ctx, profile, e, batches)
    rule, organizer = profile.rule("serious"), profile.rule("organizer")
    if rule and organizer:
        codes = _qualifying_codes(ctx, e, int(organizer["min_members"]), int(organizer["min_levels"]))
        many, fees = int(rule["min_members"]), threshold_units(rule["min_fees"])
        # §4(二): funds participants paid in — entry fees and purchases tied to joining — below them.
        funds = m.units(cur, "fees_in_downline")
        if e.starter_member.any():
            from ._forest import subtree_sum

            first = ctx.inputs.first_buy_units.get(cur, np.zeros(ctx.inputs.n, np.int64))
            funds = funds + subtree_sum(
                m.check.parent, np.where(e.starter_member, first, 0), include_self=False
            ).astype(np.int64)
        head, collected = m.person_headcount[codes], funds[codes]
        serious = (head >= many) | (collected >= fees)
        codes, head, collected = codes[serious], head[serious], collected[serious]
        reasons = _join_text(
            _text_if(head >= many, sentence(pa.array(head), f" people (§4(一): ≥ {many})"), ""),
            _text_if((head >= many) & (collected >= fees), "; ", ""),
            _text_if(
                collected >= fees,
                sentence(
                    units_text(collected),
                    f" {cur} paid to join by the people below them (entry fees and "
                    f"purchases tied to joining; "
                    f"§4(二): ≥ {money_words(fees, cur)}, funds collected, not profit)",
                ),
                "",
            ),
        )
        batches.append(
            _member_batch(
                ctx,
                profile,
                rule,
                codes,
                {"headcount": head, "entry_funds_in_downline": Money(collected)},
                _join_text(sentence("serious circumstances: "), reasons, sentence(f"; {_ROLE}")),
            )
        )
    rule = profile.rule("team_pay")
    if rule and e.has_sales:
        # §5 distinguishes pay on real sales from team pay that in substance pays by headcount.
        team = e.team_pay > 0
        substance = team & (e.headcount_pay | e.entry_consideration)
        outside = _share(e.sales_outside, e.sales_outside + e.sales_inside)
        batches.append(
            _network_batch(
                ctx,
                profile,
                rule,
                _met(substance),
                {
                    "team_pay": Money(e.team_pay),
                    "recruitment_pay": Money(e.recruitment_pay),
                    "entry_paid": Money(e.entry_total),
                    "share_of_sales_to_non_participants": outside,
                },
                _text_if(
                    substance,
                    sentence(
                        "team pay in form, but the scheme also pays by headcount or charges to "
                        "join: in substance "
                        "art. 224-1 (§5, last sentence); ",
                        e.reason,
                    ),
                    _text_if(
                        team,
                        sentence(
                            "pure team pay on sales: not treated as a crime (§5), still pyramid "
                            "selling under "
                            "Regulations art. 7(3); share of sales made to non-participants: ",
                            pa.array(np.round(outside, 3)),
                        ),
                        "no team pay on downline sales",
                    ),
                ),
            )
        )
    rule = profile.rule("regulations_art7")
    if rule:
        one, two, three = e.headcount_pay, e.entry_consideration, e.team_pay > 0
        met = two | three | (one & two)
        review = one & ~met
        forms = [
            np.where(one, "(1) pay by the number of people developed", ""),
            np.where(two, "(2) a payment to join (a fee, or goods bought to join)", ""),
            np.where(three, "(3) upline pay on the downline's sales", ""),
        ]
        listed = pc.binary_join_element_wise(*[pa.array(f, pa.string()) for f in forms], "; ")
        listed = pc.replace_substring_regex(
            pc.replace_substring_regex(listed, r"(; )+", "; "), r"^; |; $", ""
        )
        batches.append(
            _network_batch(
                ctx,
                profile,
                rule,
                np.where(met, "met", np.where(review, "review", "not_met")),
                {
                    "recruitment_pay": Money(e.recruitment_pay),
                    "entry_paid": Money(e.entry_total),
                    "team_pay": Money(e.team_pay),
                },
                _text_if(
                    met,
                    sentence("forms of pyramid selling present: ", listed),
                    _text_if(
                        review,
                        "pay by the number of people developed (form (1)) but nobody pays to join: whether "
                        "recruits were required to recruit and the organizer sought illegal "
                        "profit (牟取非法利益) "
                        "is for the investigator",
                        sentence("none of the forms of art. 7: ", e.reason),
                    ),
                ),
            )
        )
    rule = profile.rule("direct_selling_art24")
    if rule and e.has_sales:
        batches.extend(_art24(ctx, profile, rule, e))
    return batches


def _repeat_offenders(ctx: Context, profile: Profile, e: Elements, batches: list[FindingBatch]) -> None:
    """§2(四) and §4(三): persons the offender developed after the penalty, counted by person.

    A criminal penalty has no time limit (its date, when given, starts the count); an
    administrative one counts recruits who joined within the window after it. Offenders are
    few (named on the command line), so each is one vectorised range over their downline.
    """
    rule, serious = profile.rule("repeat_offender"), profile.rule("serious")
    if not rule or not ctx.repeat_offenders:
        return
    low, depth, window_days = (
        int(rule["min_members"]),
        int(rule["min_levels"]),
        int(rule["administrative_window_days"]),
    )
    legal = ctx.members.legal
    tour = legal.ensure_tour()
    index = ctx.member_id.codes_of([offender.member_id for offender in ctx.repeat_offenders])
    rows: dict[str, list[Any]] = {k: [] for k in ("code", "head", "levels", "label", "met", "serious")}
    for offender in ctx.repeat_offenders:
        code = index.get(offender.member_id)
        if code is None:
            continue
        node = int(legal.node[code])
        start = int(tour.position[node])
        below = tour.at[start + 1 : start + int(tour.size[node])]
        joined = legal.joined[below]
        keep = np.ones(below.size, dtype=np.bool_)
        if offender.date is not None:
            begin = _epoch_us(offender.date)
            keep &= joined >= begin
            if offender.kind == "administrative":
                keep &= joined <= begin + window_days * 86_400_000_000
        kept = below[keep]
        head = 1 + int(kept.size)
        levels = 1 + (int((legal.level[kept] - legal.level[node]).max()) if kept.size else 0)
        network = ctx.networks.index[code]
        scheme = bool(network >= 0 and e.headcount_based[network])
        rows["code"].append(code)
        rows["head"].append(head)
        rows["levels"].append(levels)
        rows["label"].append(offender.label)
        rows["met"].append(scheme and head >= low and levels >= depth)
        rows["serious"].append(scheme and serious is not None and head >= int(serious["min_repeat_members"]))
    if not rows["code"]:
        return
    codes = np.array(rows["code"], dtype=np.int64)
    head_a, levels_a = np.array(rows["head"]), np.array(rows["levels"])
    met = np.array(rows["met"], dtype=np.bool_)
    label = pa.array(rows["label"], pa.string())
    batches.append(
        _member_batch(
            ctx,
            profile,
            rule,
            codes,
            {"developed_after_penalty": head_a, "levels": levels_a, "penalty": label},
            sentence(
                "after a ",
                label,
                ", developed ",
                pa.array(head_a),
                " people over ",
                pa.array(levels_a),
                f" levels counting themselves, matched by person (§2(四): ≥ {low} and ≥ {depth}"
                f"; an administrative penalty counts for {window_days} days); ",
                _text_if(
                    met,
                    f"meets the §2(四) numbers; {_ROLE}",
                    "below the §2(四) numbers or not an art. 224-1 scheme",
                ),
            ),
            _met(met),
        )
    )
    if serious is not None:
        flagged = np.array(rows["serious"], dtype=np.bool_)
        many = int(serious["min_repeat_members"])
        if flagged.any():
            batches.append(
                _member_batch(
                    ctx,
                    profile,
                    serious,
                    codes[flagged],
                    {"developed_after_penalty": head_a[flagged], "penalty": label.filter(pa.array(flagged))},
                    sentence(
                        "serious circumstances: after a ",
                        label.filter(pa.array(flagged)),
                        ", developed ",
                        pa.array(head_a[flagged]),
                        f" people (§4(三): ≥ {many}); {_ROLE}",
                    ),
                )
            )


def _epoch_us(day: Any) -> int:
    import datetime as dt

    moment = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
    return int(moment.timestamp()) * 1_000_000


def _art24(ctx: Context, profile: Profile, rule: Mapping[str, Any], e: Elements) -> list[FindingBatch]:
    """Art. 24: pay only on the seller's own sales to consumers, and at most 30% of them.

    Applies to members paid in networks that pay on sales (own or downline), over the whole
    period of the records; the denominator is the seller's own sales to non-participants.
    """
    m = ctx.members
    cur = profile.currency
    cap = float(rule["max_pay_share_of_own_sales"])
    pay = m.units(cur, "rewards")
    own = m.units(cur, "own_sales_outside")
    other = pay - m.units(cur, "commission_own_sales")
    index = ctx.networks.index
    sales_based = (e.team_pay > 0) | (ctx.networks.money[cur]["sales_rewards"] > 0)
    selling = np.zeros(max(1, sales_based.shape[0]), dtype=np.bool_)
    selling[: sales_based.shape[0]] = sales_based
    scope = (index >= 0) & selling[np.maximum(index, 0)] & (pay > 0)
    over = pay.astype(np.float64) > cap * own.astype(np.float64)
    codes = np.flatnonzero(scope & (over | (other > 0)))
    ratio = np.divide(
        pay[codes].astype(np.float64),
        own[codes].astype(np.float64),
        out=np.full(codes.shape[0], -1.0),
        where=own[codes] > 0,
    )
    cap_text = f"{cap:.0%}"
    return [
        _member_batch(
            ctx,
            profile,
            rule,
            codes,
            {
                "pay": Money(pay[codes]),
                "own_sales_to_consumers": Money(own[codes]),
                "pay_share": ratio,
                "pay_not_on_own_sales": Money(other[codes]),
            },
            sentence(
                "paid ",
                units_text(pay[codes]),
                f" {cur} against own sales to consumers of ",
                units_text(own[codes]),
                f" {cur} (cap {cap_text})",
                _text_if(over[codes], ": over the cap", ""),
                _text_if(
                    other[codes] > 0,
                    sentence("; ", units_text(other[codes]), f" {cur} of it is not pay on their own sales"),
                    "",
                ),
                "; whether they are a licensed direct seller is for the investigator",
            ),
        )
    ]


# --- United States --------------------------------------------------------------------------


def united_states(ctx: Context, profile: Profile) -> list[FindingBatch]:
    e = ctx.elements(profile)
    batches: list[FindingBatch] = []
    nets = ctx.networks.columns
    cur = profile.currency
    sales = e.sales_outside + e.sales_inside
    # Omnitrition: pay computed on participants' own orders is not pay on sales to ultimate users.
    # Sales-based pay is split by the network's share of sales made to participants.
    inside_share = _share(e.sales_inside, sales)
    sales_pay = ctx.networks.money[cur]["sales_rewards"]
    on_purchases = np.round(sales_pay * inside_share).astype(np.int64)
    rule = profile.rule("koscot")
    if rule:
        prong1 = e.entry_consideration
        prong2 = e.headcount_pay | (on_purchases > 0)
        batches.append(
            _network_batch(
                ctx,
                profile,
                rule,
                _met(prong1 & prong2),
                {
                    "entry_paid": Money(e.entry_total),
                    "recruitment_pay": Money(e.recruitment_pay),
                    "pay_on_participants_purchases": Money(on_purchases),
                },
                sentence(
                    _text_if(
                        prong1,
                        "participants pay money to join (first element)",
                        "no payment by participants to join found (first element missing)",
                    ),
                    "; ",
                    _text_if(
                        prong2,
                        sentence(
                            "rewards unrelated to sales to ultimate users (second element): ",
                            units_text(e.recruitment_pay),
                            f" {cur} for recruiting and ",
                            units_text(on_purchases),
                            f" {cur} computed on participants' own purchases (Omnitrition)",
                        ),
                        "no rewards for recruiting or on participants' own purchases (second element missing)"
                        if e.has_sales
                        else "no rewards for recruiting (second element missing; no orders, so pay on "
                        "participants' purchases cannot be measured)",
                    ),
                ),
            )
        )
    rule = profile.rule("retail_sales")
    if rule and e.has_sales:
        batches.append(_vemma(ctx, profile, rule, e))
    rule = profile.rule("income_disclosure")
    if rule:
        paying = e.compensation > 0
        disclosure = _network_batch(
            ctx,
            profile,
            rule,
            np.where(paying, "info", "not_met"),
            {
                "share_no_income": nets["share_no_income"],
                "share_losing": nets["share_losing"],
                "top1_share": nets["top1_share"],
            },
            sentence(
                pa.array(np.round(nets["share_no_income"] * 100, 1)),
                "% earned nothing, ",
                pa.array(np.round(nets["share_losing"] * 100, 1)),
                "% lost money (payments and orders bought count as money paid), the top 1% took ",
                pa.array(np.round(nets["top1_share"] * 100, 1)),
                "% of rewards; compare with the income the scheme claims (not in the records)",
            ),
        )
        batches.append(disclosure)
    return batches


def _vemma(ctx: Context, profile: Profile, rule: Mapping[str, Any], e: Elements) -> FindingBatch:
    """Per participant and pay period: did most of the revenue of them and their downline come
    from non-participants? A participant's purchases are revenue they generate; a sale to a
    non-participant is revenue of the seller. Pay in a failing period is pay the order bars."""
    inputs, m = ctx.inputs, ctx.members
    cur = profile.currency
    floor = float(rule["min_outside_share"])
    k = ctx.networks.roots.size
    n = inputs.n
    # accounts, not persons: the order speaks of a participant and their downline
    account_tour = preorder(m.check.parent.astype(np.int64), m.forest.downline.astype(np.int64) + 1)
    buyer_in = np.zeros(inputs.sale_buyer.shape[0], dtype=np.bool_)
    known = inputs.sale_buyer >= 0
    buyer_in[known] = m.participant[inputs.sale_buyer[known]]
    source = np.where(buyer_in, inputs.sale_buyer, inputs.sale_seller)
    amount = inputs.sale_amount.get(cur, np.zeros(source.shape[0], np.int64))
    keys = inputs.sale_month * np.int64(n) + account_tour.position[source]
    order = np.argsort(keys, kind="stable")
    keys, amount, outside = keys[order], amount[order], np.where(buyer_in[order], 0, amount[order])
    member, month = inputs.pay_member, inputs.pay_month
    pay = inputs.pay_units.get(cur, np.zeros(member.shape[0], np.int64))
    lo = month * np.int64(n) + account_tour.position[member]
    hi = lo + account_tour.size[member]
    total = range_sums(keys, amount, lo, hi)
    from_outside = range_sums(keys, outside, lo, hi)
    fails = (pay > 0) & ~(from_outside.astype(np.float64) > floor * total.astype(np.float64))
    network = ctx.networks.index[member]
    counted = network >= 0
    periods = np.bincount(network[counted & (pay > 0)], minlength=k)
    failing = np.bincount(network[counted & fails], minlength=k)
    failing_pay = bincount_units(network[counted & fails], pay[counted & fails], k)
    all_pay = bincount_units(network[counted], pay[counted], k)
    share = _share(failing_pay, all_pay)
    met = share > 0.5
    return _network_batch(
        ctx,
        profile,
        rule,
        _met(met),
        {
            "paid_participant_periods": periods,
            "failing_participant_periods": failing,
            "pay_in_failing_periods": Money(failing_pay),
            "share_of_pay_in_failing_periods": share,
        },
        sentence(
            pa.array(failing),
            " of ",
            pa.array(periods),
            f" participant-months with pay had no more than {floor:.0%} of the "
            f"revenue of the participant and "
            "their downline from non-participants; ",
            units_text(failing_pay),
            f" {cur} (share ",
            pa.array(np.round(share, 3)),
            ") was paid in those months",
            _text_if(met, ": most of the scheme's pay is pay the order bars", ""),
        ),
        keep=all_pay > 0,
    )


# --- European Union -------------------------------------------------------------------------


def european_union(ctx: Context, profile: Profile) -> list[FindingBatch]:
    rule = profile.rule("ucpd_annex1_14")
    if not rule:
        return []
    e = ctx.elements(profile)
    floor = float(rule["min_newcomer_share"])
    cur = profile.currency
    # Compensation funded by newcomers: recruitment-linked pay, up to what newcomers paid in.
    funded = np.minimum(np.maximum(e.recruitment_pay, 0), e.entry_total)
    share = _share(funded, e.compensation)
    met = e.entry_consideration & (share > floor)
    return [
        _network_batch(
            ctx,
            profile,
            rule,
            _met(met),
            {
                "entry_paid": Money(e.entry_total),
                "compensation": Money(e.compensation),
                "funded_by_newcomers": Money(funded),
                "newcomer_share": share,
            },
            sentence(
                _text_if(
                    e.entry_consideration,
                    "participants give consideration to join",
                    "no consideration from participants found: point 14 requires one, of "
                    "any amount (C-515/12 "
                    "4finance)",
                ),
                "; ",
                units_text(funded),
                f" {cur} of ",
                units_text(e.compensation),
                f" {cur} of compensation is recruitment pay covered by newcomers' payments (share ",
                pa.array(np.round(share, 3)),
                f"; primarily: > {floor:.0%})",
                _text_if(
                    e.compensation > 0,
                    "; a link through other funds (C-667/15: the link may be indirect) is "
                    "for the investigator",
                    "",
                ),
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
