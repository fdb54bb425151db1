"""What the console page and the CLI ask of the profiles: one account's best matches
among the accounts the caller may see (ORG-2: the profile frame is read through the
caller's scoped unit of work, so neither the account nor its matches can lie outside)."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import pandas as pd
from sqlalchemy import select

from safegrid.analytics.profile.frame import profile_frame
from safegrid.analytics.profile.groups import GROUPS, LABELS
from safegrid.analytics.profile.similar import Match, projection, similar
from safegrid.analytics.profile.weights import ProfileWeights
from safegrid.org.models import OrgUnit
from safegrid.platform import clock
from safegrid.platform.errors import NotFoundError
from safegrid.platform.uow import UnitOfWork


@dataclasses.dataclass(frozen=True)
class Profile:
    account_id: int
    number: str
    org_unit_id: int
    category: str
    groups: dict[str, float]  # F(Ue_i)
    total: float  # F(U)
    matches: list[Match]
    units: dict[int, OrgUnit]  # the account's and its matches' units, for their names


@dataclasses.dataclass(frozen=True)
class WeightRow:
    group: str  # key
    group_label: str  # "中文 / English"
    lam: float
    feature_label: str
    omega: float
    rising: bool  # True: more of it leans towards arrears


def weight_rows(weights: ProfileWeights) -> list[WeightRow]:
    """The weights as the console lists them: group by group, each feature's ω."""
    rows = []
    for g in GROUPS:
        for column, _label in g.features:
            j = weights.features.index(column)
            rows.append(
                WeightRow(
                    group=g.key,
                    group_label=g.label,
                    lam=round(weights.lam[g.key], 3),
                    feature_label=LABELS[column],
                    omega=round(weights.omega[j], 3),
                    rising=weights.sign[j] > 0,
                )
            )
    return rows


def matches_for(
    uow: UnitOfWork,
    weights: ProfileWeights,
    number: str,
    k: int,
    now: datetime | None = None,
) -> Profile:
    """The account numbered ``number`` with its group and total scores and its ``k`` best
    matches; NotFoundError when it is not an active account in the caller's units."""
    with uow:
        frame = profile_frame(uow.session, now or clock.now())
        hit = frame.index[frame["number"] == number]
        if len(hit) == 0:
            raise NotFoundError(
                f"户号 {number} 不存在或不在您的管辖范围 / no active account {number} in your units",
                field="account",
            )
        matches = similar(weights, frame, int(hit[0]), k)
        ids = {int(frame.at[hit[0], "org_unit_id"])} | {m.org_unit_id for m in matches}
        units = {u.id: u for u in uow.session.scalars(select(OrgUnit).where(OrgUnit.id.in_(ids)))}
    me = frame.loc[[hit[0]]]
    return Profile(
        account_id=int(hit[0]),
        number=number,
        org_unit_id=int(me["org_unit_id"].iloc[0]),
        category=str(me["category"].iloc[0]),
        groups={g: round(float(v), 4) for g, v in weights.group_scores(me).iloc[0].items()},
        total=round(float(weights.total(me).iloc[0]), 4),
        matches=matches,
        units=units,
    )


def profile_map(uow: UnitOfWork, weights: ProfileWeights) -> pd.DataFrame:
    """The t-SNE map of (a sample of) the caller's accounts."""
    with uow:
        frame = profile_frame(uow.session, clock.now())
    return projection(weights, frame)
