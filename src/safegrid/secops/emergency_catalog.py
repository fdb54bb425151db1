"""The six emergency plans (OPS-5) and the drill calendar: March intrusion, June typhoon
offline operation, September data-leak notification, and one more drill every quarter."""

from __future__ import annotations

from typing import Any, Final

_DSO = {
    "role": "数据安全专员 / data security officer",
    "duty": "牵头处置、对外通报 / leads, notifies",
}
_ADMIN = {"role": "系统管理员 / system administrator", "duty": "隔离、恢复 / isolates, restores"}
_HEAD = {"role": "部门负责人 / department head", "duty": "决策、调度 / decides, dispatches"}
_HALL = {"role": "营业厅主任 / hall manager", "duty": "现场指挥 / commands on site"}
_CONTACTS = [
    {"name": "信息中心值班 / IT duty desk", "phone": "0571-00000001"},
    {"name": "网信办 / Cyberspace Administration", "phone": "12377"},
]

PLANS: Final[tuple[dict[str, Any], ...]] = (
    {"code": "data_leak", "title": "数据泄露 / Data leak", "roles": [_DSO, _ADMIN, _HEAD],
     "steps": ["冻结涉事账号、吊销授权 / freeze accounts, revoke grants",
               "追溯导出文件水印 / trace the export watermark",
               "72 小时内向监管与用户通报 / notify regulator and customers within 72 h",
               "复盘整改 / review and fix"]},
    {"code": "intrusion", "title": "网络入侵 / Intrusion", "roles": [_ADMIN, _DSO, _HEAD],
     "steps": ["隔离受影响主机 / isolate hosts", "保全日志与审计链 / preserve logs and chain",
               "轮换密钥与口令 / rotate keys and passwords", "从已校验备份恢复 / restore"]},
    {"code": "payment_outage", "title": "支付系统中断 / Payment-system outage",
     "roles": [_HEAD, _ADMIN, _HALL],
     "steps": ["营业厅转离线收费 / halls take payments offline",
               "暂停线上渠道并公告 / pause online channels, announce",
               "恢复后对账 / reconcile after recovery"]},
    {"code": "typhoon_offline", "title": "台风断网 / Typhoon, network loss",
     "roles": [_HALL, _HEAD, _ADMIN],
     "steps": ["营业厅本地节点收费（双人复核）/ local node with dual control",
               "每日现金入保险柜 / cash to the safe daily",
               "恢复联网后同步、核对 / sync and check after the link returns"]},
    {"code": "hall_fire", "title": "营业厅火灾 / Fire at a hall", "roles": [_HALL, _HEAD],
     "steps": ["疏散客户与员工 / evacuate", "转移现金与凭证 / secure cash and vouchers",
               "启用邻近营业厅 / open the nearest hall"]},
    {"code": "mass_complaint", "title": "群体投诉 / Mass complaint", "roles": [_HEAD, _HALL, _DSO],
     "steps": ["统一口径答复 / one answer", "核查账单与计费 / check bills and pricing",
               "必要时退补 / re-price if due"]},
)  # fmt: skip
for _plan in PLANS:
    _plan["contacts"] = _CONTACTS

# (month, plan, title) per year; a drill is held on the first working day from the 15th.
CALENDAR: Final[tuple[tuple[int, str, str], ...]] = (
    (2, "payment_outage", "一季度支付中断演练 / Q1 payment outage"),
    (3, "intrusion", "三月网络入侵演练 / March intrusion"),
    (5, "hall_fire", "二季度营业厅消防演练 / Q2 hall fire"),
    (6, "typhoon_offline", "六月台风离线营业演练 / June typhoon offline operation"),
    (8, "mass_complaint", "三季度群体投诉演练 / Q3 mass complaint"),
    (9, "data_leak", "九月数据泄露通报演练 / September data-leak notification"),
    (11, "payment_outage", "四季度支付中断演练 / Q4 payment outage"),
    (12, "intrusion", "四季度网络入侵复演 / Q4 intrusion re-drill"),
)
