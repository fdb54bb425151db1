"""AUD-3: changes of key fields (bank account, payment status, tariff, meter multiplier,
permissions) alert the managers of the object's unit at once, through the notification
outbox (SMS), in the same transaction as the change; values are masked (DATA-3)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from safegrid.alerts import services as alert_services
from safegrid.alerts.key_fields import declared_key_fields
from safegrid.alerts.models import Alert
from safegrid.billing.services import do_reverse_bill
from safegrid.customers.models import Account, Customer, Meter
from safegrid.customers.schemas import DirectDebitUpdate
from safegrid.customers.services import do_set_direct_debit
from safegrid.notifications.models import Notification
from safegrid.platform.errors import ConflictError, NotFoundError
from safegrid.platform.paging import PageQuery
from safegrid.security.models import AuditEntry, StaffAccount
from safegrid.security.policy import Post
from safegrid.tariffs import services as tariff_services
from safegrid.tariffs.models import Tariff
from safegrid.tariffs.schemas import VersionCreate, VersionUpdate
from tests.fixtures.billing import SYSTEM, billed_account, new_account, seed_tariffs
from tests.fixtures.world import Staff, World


def _manager(world: World, post: Post, unit: str, mobile: str | None = None) -> Staff:
    staff = world.staff(post, unit)
    if mobile:
        with world.platform.engine.begin() as conn:
            conn.execute(
                update(StaffAccount).where(StaffAccount.id == staff.id).values(mobile=mobile)
            )
    return staff


def _alerts(world: World) -> list[Alert]:
    with world.platform.uow(SYSTEM, readonly=True) as uow:
        return list(uow.session.scalars(select(Alert).order_by(Alert.id)).all())


def _sms(world: World) -> list[Notification]:
    with world.platform.uow(SYSTEM, readonly=True) as uow:
        return list(
            uow.session.scalars(
                select(Notification).where(Notification.topic == "alert.key_field")
            ).all()
        )


def _set_multiplier(world: World, meter_id: int, value: int, *, commit: bool = True) -> None:
    with world.platform.uow(SYSTEM) as uow:
        meter = uow.session.get_one(Meter, meter_id)
        meter.multiplier = value
        uow.audit("meter.update", object_type="meter", object_id=meter_id)
        if commit:
            uow.commit()


def test_aud_3_every_key_field_is_declared_on_its_column() -> None:
    declared = {(t, c): k for t, c, k in declared_key_fields()}
    assert declared[("meters", "multiplier")] == "meter_multiplier"
    assert declared[("accounts", "tariff_category")] == "tariff"
    assert declared[("accounts", "bank_account")] == "bank_account"
    assert declared[("bills", "status")] == "payment_status"
    assert declared[("staff_accounts", "post")] == "permissions"
    assert declared[("tariff_versions", "base_price")] == "tariff"


def test_aud_3_meter_multiplier_change_alerts_the_units_managers_by_sms(world: World) -> None:
    head = _manager(world, Post.DEPARTMENT_HEAD, "countyA", mobile="13900001111")
    _manager(world, Post.DEPARTMENT_HEAD, "countyB", mobile="13900002222")  # another county
    meter_id = world.meter(world.customer("stationA"), world.reading_area("stationA"))
    assert _alerts(world) == []  # installing a meter sets its first multiplier: no alert
    _set_multiplier(world, meter_id, 80)
    (alert,) = _alerts(world)
    assert (alert.key_field, alert.object_type, alert.object_id) == (
        "meter_multiplier",
        "meters",
        str(meter_id),
    )
    assert (alert.before, alert.after, alert.changed_by) == ("1", "80", SYSTEM.username)
    assert alert.recipients == head.username
    assert alert.org_unit_id == world.units["stationA"]
    (sms,) = _sms(world)
    assert sms.recipient == "13900001111"
    assert sms.channel == "sms"
    assert "电表倍率" in sms.body
    assert "“1”改为“80”" in sms.body
    assert sms.subject_id == str(alert.id)
    with world.platform.uow(SYSTEM, readonly=True) as uow:
        entry = uow.session.get_one(AuditEntry, alert.audit_seq)
    assert entry.action == "meter.update"


def test_aud_3_nearest_unit_with_managers_is_told(world: World) -> None:
    leader = _manager(world, Post.TEAM_LEADER, "stationA", mobile="13900003333")
    _manager(world, Post.DEPARTMENT_HEAD, "countyA", mobile="13900001111")
    meter_id = world.meter(world.customer("stationA"), world.reading_area("stationA"))
    _set_multiplier(world, meter_id, 40)
    (alert,) = _alerts(world)
    assert alert.recipients == leader.username
    assert [n.recipient for n in _sms(world)] == ["13900003333"]


def test_aud_3_manager_without_mobile_is_listed_but_no_sms_is_queued(world: World) -> None:
    head = _manager(world, Post.DEPARTMENT_HEAD, "countyA")
    meter_id = world.meter(world.customer("stationA"), world.reading_area("stationA"))
    _set_multiplier(world, meter_id, 30)
    (alert,) = _alerts(world)
    assert (alert.recipients, alert.notified) == (head.username, 0)
    assert _sms(world) == []


def test_aud_3_rolled_back_change_raises_no_alert(world: World) -> None:
    _manager(world, Post.DEPARTMENT_HEAD, "countyA", mobile="13900001111")
    meter_id = world.meter(world.customer("stationA"), world.reading_area("stationA"))
    _set_multiplier(world, meter_id, 80, commit=False)
    assert _alerts(world) == []
    assert _sms(world) == []


def test_aud_3_other_columns_raise_no_alert(world: World) -> None:
    customer_id = world.customer("stationA")
    with world.platform.uow(SYSTEM) as uow:
        uow.session.get_one(Customer, customer_id).name = "改名"
        uow.audit("customer.update", object_type="customer", object_id=customer_id)
        uow.commit()
    assert _alerts(world) == []


def test_aud_3_account_tariff_category_change_alerts(world: World) -> None:
    _manager(world, Post.HALL_MANAGER, "countyA", mobile="13900004444")
    account_id, _meter = new_account(world, "stationA", category="commercial")
    (alert,) = _alerts(world)
    assert (alert.key_field, alert.object_type, alert.object_id) == (
        "tariff",
        "accounts",
        str(account_id),
    )
    assert (alert.before, alert.after) == ("residential", "commercial")


def test_aud_3_bank_account_change_alert_is_masked(world: World) -> None:
    _manager(world, Post.DEPARTMENT_HEAD, "countyA", mobile="13900001111")
    account_id, _meter = new_account(world, "stationA")
    number = "6222020200112233445"
    do_set_direct_debit(
        world.platform.uow(SYSTEM),
        account_id,
        DirectDebitUpdate(bank_name="工商银行", bank_account=number),
    )
    (alert,) = _alerts(world)
    assert alert.key_field == "bank_account"
    assert alert.before == "—"
    assert alert.after == "*" * (len(number) - 4) + "3445"
    (sms,) = _sms(world)
    assert number not in sms.body
    assert "3445" in sms.body


def test_aud_3_bill_reversal_changes_payment_status_and_alerts(world: World) -> None:
    bill_id = billed_account(world, "stationA")
    _manager(world, Post.DEPARTMENT_HEAD, "countyA", mobile="13900001111")
    before = len(_alerts(world))
    do_reverse_bill(world.platform.uow(SYSTEM), bill_id, "抄表错误")
    new = _alerts(world)[before:]
    assert [(a.key_field, a.object_id, a.before, a.after) for a in new] == [
        ("payment_status", str(bill_id), "issued", "reversed")
    ]


def test_aud_3_staff_post_change_alerts_as_a_permission_change(world: World) -> None:
    head = _manager(world, Post.DEPARTMENT_HEAD, "countyA", mobile="13900001111")
    clerk = world.staff(Post.HALL_AGENT, "hallA")
    with world.platform.uow(SYSTEM) as uow:
        uow.session.get_one(StaffAccount, clerk.id).post = Post.HALL_MANAGER
        uow.audit("staff.post", object_type="staff_account", object_id=clerk.id)
        uow.commit()
    (alert,) = _alerts(world)
    assert (alert.key_field, alert.object_label) == ("permissions", clerk.username)
    assert (alert.before, alert.after) == ("hall_agent", "hall_manager")
    assert alert.recipients == head.username


def test_aud_3_tariff_seed_is_quiet_but_a_new_price_version_alerts(world: World) -> None:
    _manager(world, Post.DEPARTMENT_HEAD, "prov", mobile="13900005555")
    seed_tariffs(world)
    assert _alerts(world) == []  # creating tariffs with their first versions is not a change
    with world.platform.uow(SYSTEM, readonly=True) as uow:
        tariff_id = uow.session.scalars(select(Tariff.id).where(Tariff.code == "ZJ-COM")).one()
    version_id = tariff_services.do_add_tariff_version(
        world.platform.uow(SYSTEM),
        tariff_id,
        VersionCreate(
            effective_from=date(2031, 1, 1), base_price=Decimal("0.7000"), close_current=True
        ),
    )
    (added,) = _alerts(world)
    assert (added.key_field, added.object_id) == ("tariff", str(version_id))
    assert "base_price=0.7000" in (added.after or "")
    assert added.org_unit_id == world.units["prov"]  # tariffs are utility-wide
    tariff_services.do_update_tariff_version(
        world.platform.uow(SYSTEM), version_id, VersionUpdate(base_price=Decimal("0.7100"))
    )
    changed = _alerts(world)[-1]
    assert (changed.fields, changed.before, changed.after) == ("base_price", "0.7000", "0.7100")


def test_aud_3_alert_inbox_is_scoped_and_acknowledged_once(world: World) -> None:
    meter_id = world.meter(world.customer("stationA"), world.reading_area("stationA"))
    _set_multiplier(world, meter_id, 80)
    (alert,) = _alerts(world)
    inside = world.actor(world.staff(Post.DEPARTMENT_HEAD, "countyA"))
    outside = world.actor(world.staff(Post.DEPARTMENT_HEAD, "countyB"))
    page = alert_services.list_alerts(world.platform.uow(outside, readonly=True), True, PageQuery())
    assert page.total == 0
    with pytest.raises(NotFoundError):
        alert_services.do_acknowledge(world.platform.uow(outside), alert.id)
    done = alert_services.do_acknowledge(world.platform.uow(inside), alert.id)
    assert done.acknowledged_by == inside.username
    with pytest.raises(ConflictError):
        alert_services.do_acknowledge(world.platform.uow(inside), alert.id)
    still_open = alert_services.list_alerts(
        world.platform.uow(inside, readonly=True), True, PageQuery()
    )
    assert still_open.total == 0


def test_aud_3_bulk_core_updates_are_not_slowed_or_seen(world: World) -> None:
    """Detection is ORM-level by design: a set-based Core statement (bill runs, accruals)
    pays nothing for it. Documented in safegrid.alerts.key_fields."""
    account_id, _meter = new_account(world, "stationA")
    count = len(_alerts(world))
    with world.platform.uow(SYSTEM) as uow:
        uow.session.execute(
            update(Account).where(Account.id == account_id).values(tariff_category="industrial")
        )
        uow.audit("test.bulk", object_type="account")
        uow.commit()
    assert len(_alerts(world)) == count
