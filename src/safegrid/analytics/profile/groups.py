"""The seed's five feature groups, as far as the utility holds data for them. Each
feature is one column of profile frame (safegrid.analytics.profile.frame); its label is
what the console shows beside its weight.

Two groups are absent, on purpose:

* social (家庭/社会关系): the utility records no relation between customers. Linking
  them through shared addresses or phone numbers would mean decrypting those fields for
  profiling, which the data-use rules (DATA-4/5) do not allow for this purpose.
* movement (出行/位置): a meter's coordinates are a fixed asset's, not a person's
  movements; the utility has no location traces of its customers and should not start
  collecting them for a marketing profile.
"""

from __future__ import annotations

import dataclasses
from typing import Final


@dataclasses.dataclass(frozen=True)
class Group:
    key: str
    label: str  # "中文 / English"
    features: tuple[tuple[str, str], ...]  # (column, "中文 / English")


OWN: Final = Group(
    "own",
    "自身属性 / own facts",
    (
        ("log_kwh", "月均用电量（对数） / monthly kWh (log)"),
        ("kwh_cv", "月用电波动 / month-to-month variation"),
        ("tou_meter", "分时电表 / time-of-use meter"),
        ("log_capacity", "报装容量（对数） / contracted capacity (log)"),
        ("years_open", "开户年限 / years since the account opened"),
        ("enterprise", "企业客户 / enterprise customer"),
        ("residential", "居民电价 / residential tariff"),
        ("commercial", "商业电价 / commercial tariff"),
        ("industrial", "工业电价 / industrial tariff"),
    ),
)
BUSINESS: Final = Group(
    "business",
    "业务往来 / business",
    (
        ("log_bill", "月均电费（对数） / mean bill (log)"),
        ("late_share", "逾期缴费占比 / share of bills paid late"),
        ("fee_days", "违约金天数 / late-fee days"),
        ("reminders", "催费次数 / reminders"),
        ("plans", "分期协议 / instalment plans"),
        ("open_bills", "欠费账单数 / bills owed"),
        ("debit_share", "银行代扣占比 / share paid by direct debit"),
        ("complaints", "投诉次数 / complaints"),
        ("applications", "业扩申请 / business applications"),
    ),
)
ONLINE: Final = Group(
    "online",
    "线上行为 / online behaviour",
    (
        ("portal_bound", "绑定网上营业厅 / bound to the portal"),
        ("online_share", "线上缴费占比 / share paid online"),
        ("portal_feedback", "网上留言 / portal messages"),
        ("portal_applications", "网上办理 / applications filed online"),
    ),
)
GROUPS: Final = (OWN, BUSINESS, ONLINE)
ABSENT: Final = (
    ("social", "社会关系 / social", "无客户间关系数据 / no relations between customers are held"),
    ("movement", "出行轨迹 / movement", "无客户位置轨迹 / no location traces of customers"),
)
FEATURES: Final = tuple(column for g in GROUPS for column, _label in g.features)
LABELS: Final = {column: label for g in GROUPS for column, label in g.features}
