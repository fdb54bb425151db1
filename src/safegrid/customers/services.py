"""Customer archive use cases (BILL-1). Every change: one unit of work, scoped, audited."""

from __future__ import annotations

from safegrid.customers.events import CustomerRegistered, MeterInstalled
from safegrid.customers.models import (
    Account,
    Customer,
    Meter,
    SupplyContract,
    SupplyPoint,
)
from safegrid.customers.repository import CustomerRepository
from safegrid.customers.schemas import (
    AccountOut,
    ContractOut,
    CustomerCreate,
    CustomerDetail,
    CustomerOut,
    CustomerUpdate,
    DirectDebitOut,
    DirectDebitUpdate,
    MeterCreate,
    MeterOut,
)
from safegrid.platform import clock
from safegrid.platform.errors import ConflictError, NotFoundError, ValidationProblem
from safegrid.platform.integrity import conflict_on
from safegrid.platform.paging import Page, PageQuery
from safegrid.platform.uow import UnitOfWork
from safegrid.security.masking import mask, snapshot

NOT_FOUND = "客户不存在 / customer not found"
ACCOUNT_NOT_FOUND = "账户不存在 / account not found"
ID_NUMBER_TAKEN = "该身份证号已建档 / this ID number already has an archive"
ONE_ARCHIVE = "uq_customers_id_number_bidx"
ASSET_TAKEN = "资产编号已存在 / asset number already registered"


def search_customers(
    uow: UnitOfWork, q: str | None, kind: str | None, org_unit_id: int | None, paging: PageQuery
) -> Page[CustomerOut]:
    from safegrid.customers.models import CustomerKind

    try:
        kind_value = CustomerKind(kind) if kind else None
    except ValueError:
        raise ValidationProblem(f"unknown customer kind {kind!r}", field="kind") from None
    with uow:
        rows, total = CustomerRepository(uow).search(q, kind_value, org_unit_id, paging)
        items = [CustomerOut.masked(c, name) for c, name in rows]
    return Page[CustomerOut](items=items, total=total, page=paging.page, size=paging.size)


def get_customer(uow: UnitOfWork, customer_id: int) -> CustomerDetail:
    with uow:
        repo = CustomerRepository(uow)
        c = repo.get_detail(customer_id)
        if c is None:
            raise NotFoundError(NOT_FOUND)
        base = CustomerOut.masked(c, repo.unit_name(c.org_unit_id))
        accounts = [
            AccountOut(
                id=a.id,
                number=a.number,
                tariff_category=a.tariff_category,
                status=a.status,
                opened_on=a.opened_on,
                bank_name=a.bank_name,
                bank_account=mask("bank_account", a.bank_account),
                supply_address=mask("address", a.supply_points[0].address)
                if a.supply_points
                else None,
                meters=[_meter_out(m) for sp in a.supply_points for m in sp.meters],
            )
            for a in c.accounts
        ]
        contracts = [
            ContractOut(
                id=k.id,
                number=k.number,
                signed_on=k.signed_on,
                valid_from=k.valid_from,
                valid_to=k.valid_to,
                capacity_kva=k.capacity_kva,
            )
            for k in c.contracts
        ]
        return CustomerDetail(**base.model_dump(), accounts=accounts, contracts=contracts)


def _meter_out(m: Meter) -> MeterOut:
    return MeterOut.model_validate(m, from_attributes=True)


def get_meter(uow: UnitOfWork, meter_id: int) -> MeterOut:
    with uow:
        m = CustomerRepository(uow).meter(meter_id)
        if m is None:
            raise NotFoundError("电表不存在 / meter not found")
        return _meter_out(m)


def list_meters(uow: UnitOfWork, reading_area_id: int | None, paging: PageQuery) -> Page[MeterOut]:
    with uow:
        items, total = CustomerRepository(uow).meters(reading_area_id, paging)
        return Page[MeterOut](
            items=[_meter_out(m) for m in items], total=total, page=paging.page, size=paging.size
        )


def do_register_customer(uow: UnitOfWork, data: CustomerCreate) -> int:
    now = clock.now()
    with uow:
        repo = CustomerRepository(uow)
        unit = repo.unit(data.org_unit_id)
        if unit is None:  # outside the caller's subtree looks exactly like absent
            raise ValidationProblem("组织单位不存在 / unknown org unit", field="org_unit_id")
        customer = Customer(
            number=repo.take_number(f"K{unit.id:04d}"),
            kind=data.kind,
            name=data.name,
            id_number=data.id_number,
            credit_code=data.credit_code,
            mobile=data.mobile,
            address=data.address,
            is_key_customer=data.is_key_customer,
            org_unit_id=unit.id,
            created_at=now,
            updated_at=now,
        )
        uow.session.add(customer)
        # One person, one archive is the unique blind index: a registration that loses a
        # race to another one of the same person waits for it, then gets this conflict.
        with conflict_on(ONE_ARCHIVE, ConflictError(ID_NUMBER_TAKEN, field="id_number")):
            uow.session.flush()
        uow.audit(
            "customer.register",
            object_type="customer",
            object_id=customer.id,
            org_unit_id=unit.id,
            after=snapshot(customer),
        )
        uow.emit(CustomerRegistered(customer_id=customer.id, org_unit_id=unit.id))
        uow.commit()
        return customer.id


def do_update_customer(uow: UnitOfWork, customer_id: int, data: CustomerUpdate) -> None:
    changes = data.model_dump(exclude_unset=True)
    if not changes:
        raise ValidationProblem("没有要修改的字段 / nothing to change")
    with uow:
        customer = CustomerRepository(uow).get(customer_id)
        if customer is None:
            raise NotFoundError(NOT_FOUND)
        before = snapshot(customer)
        for key, value in changes.items():
            if value is None and key in {"name", "address", "is_key_customer", "status"}:
                raise ValidationProblem(f"{key} cannot be empty", field=key)
            setattr(customer, key, value)
        customer.updated_at = clock.now()
        uow.audit(
            "customer.update",
            object_type="customer",
            object_id=customer.id,
            org_unit_id=customer.org_unit_id,
            before=before,
            after=snapshot(customer),
        )
        uow.commit()


def do_install_meter(uow: UnitOfWork, customer_id: int, data: MeterCreate) -> int:
    """New connection: an account, its supply point and meter, and a supply contract."""
    now = clock.now()
    with uow:
        repo = CustomerRepository(uow)
        customer = repo.get(customer_id)
        if customer is None:
            raise NotFoundError(NOT_FOUND)
        area = repo.reading_area(data.reading_area_id)
        if area is None:
            raise ValidationProblem(
                "抄表区段不存在 / unknown reading area", field="reading_area_id"
            )
        unit_id = customer.org_unit_id
        account = Account(
            number=repo.take_number(f"A{unit_id:04d}"),
            customer_id=customer.id,
            tariff_category=data.tariff_category,
            opened_on=data.installed_on,
            org_unit_id=unit_id,
        )
        uow.session.add(account)
        uow.session.flush()
        point = SupplyPoint(
            account_id=account.id,
            address=data.supply_address or customer.address,
            voltage_kv=data.voltage_kv,
            capacity_kva=data.capacity_kva,
            org_unit_id=unit_id,
        )
        uow.session.add(point)
        uow.session.flush()
        meter = Meter(
            asset_no=data.asset_no,
            supply_point_id=point.id,
            reading_area_id=area.id,
            model=data.model,
            multiplier=data.multiplier,
            is_tou=data.is_tou,
            latitude=data.latitude,
            longitude=data.longitude,
            installed_on=data.installed_on,
            org_unit_id=unit_id,
        )
        contract = SupplyContract(
            number=f"HT{account.number}",
            customer_id=customer.id,
            signed_on=now.date(),
            valid_from=data.installed_on,
            valid_to=None,
            capacity_kva=data.capacity_kva,
            org_unit_id=unit_id,
        )
        uow.session.add_all([meter, contract])
        with conflict_on("uq_meters_asset_no", ConflictError(ASSET_TAKEN, field="asset_no")):
            uow.session.flush()
        uow.audit(
            "meter.install",
            object_type="meter",
            object_id=meter.id,
            org_unit_id=unit_id,
            after={"account": snapshot(account), "meter": snapshot(meter)},
        )
        uow.emit(MeterInstalled(meter_id=meter.id, customer_id=customer.id, org_unit_id=unit_id))
        uow.commit()
        return meter.id


def get_direct_debit(uow: UnitOfWork, account_id: int) -> DirectDebitOut:
    """The current sign-up of one billing account, bank account masked (DATA-3)."""
    with uow:
        account = CustomerRepository(uow).account(account_id)
        if account is None:
            raise NotFoundError(ACCOUNT_NOT_FOUND)
        return DirectDebitOut(
            account_id=account.id,
            account_number=account.number,
            customer_id=account.customer_id,
            customer_number=account.customer.number,
            customer_name=account.customer.name,
            bank_name=account.bank_name,
            bank_account=mask("bank_account", account.bank_account),
        )


def do_set_direct_debit(uow: UnitOfWork, account_id: int, data: DirectDebitUpdate) -> None:
    """Sign up (or cancel) bank direct debit; the audit shows the account masked (DATA-3)."""
    with uow:
        account = CustomerRepository(uow).account(account_id)
        if account is None:
            raise NotFoundError(ACCOUNT_NOT_FOUND)
        before = snapshot(account)
        account.bank_name = data.bank_name
        account.bank_account = data.bank_account
        uow.audit(
            "account.direct_debit",
            object_type="account",
            object_id=account.id,
            org_unit_id=account.org_unit_id,
            before=before,
            after=snapshot(account),
        )
        uow.commit()
