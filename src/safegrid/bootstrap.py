"""Composition root: builds the engine, session factory and unit-of-work factory once,
for the API, CLI and jobs alike."""

from __future__ import annotations

import dataclasses
from functools import cached_property
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, inspect
from sqlalchemy.orm import sessionmaker

from safegrid import tables  # noqa: F401 - registers every table
from safegrid.alerts.raise_alert import raise_alert
from safegrid.analytics.portal_advice import newest_advice
from safegrid.billing import reversal_steps
from safegrid.billing.correction_repricing import reprice_after_correction
from safegrid.billing.tariff_use import BillsUseVersions
from safegrid.collection.field_orders import disconnection_problems
from safegrid.collection.writeoffs import apply_reversal
from safegrid.config import REPO_ROOT, Settings, get_settings
from safegrid.fieldwork import gates as field_gates
from safegrid.platform.db import make_engine, make_session_factory
from safegrid.platform.uow import UnitOfWork
from safegrid.portal import tariff_advice as portal_advice
from safegrid.readings import repricing
from safegrid.security import alarms, audit, key_store, keyring
from safegrid.security.actor import Actor
from safegrid.security.keyring import KeyRing
from safegrid.tariffs import usage as tariff_usage

# Domains that build on others answer their ports here, so each dependency runs one way:
# tariffs ask billing whether a version priced bills; a bill reversal runs collection's step;
# security raises its alerts (a password spray) through the alerts domain; field work asks
# collection whether a disconnection's notice still stands; an approved usage correction
# asks billing to re-price; the portal reads a customer's tariff advice from analytics.
tariff_usage.register(BillsUseVersions())
reversal_steps.register(apply_reversal)
alarms.register(raise_alert)
field_gates.register("disconnection_notice", disconnection_problems)
repricing.register(reprice_after_correction)
portal_advice.register(newest_advice)


@dataclasses.dataclass
class Platform:
    settings: Settings

    @cached_property
    def engine(self) -> Engine:
        if self.settings.is_sqlite:
            db_path = self.settings.database_url.split("///", 1)[-1]
            if db_path and db_path != ":memory:":
                Path(db_path).parent.mkdir(parents=True, exist_ok=True)
        engine = make_engine(self.settings.database_url)
        keyring.attach(engine, lambda: self.keyring)
        return engine

    @cached_property
    def session_factory(self) -> sessionmaker[Any]:
        return make_session_factory(self.engine, offline_node=self.settings.offline_node)

    @cached_property
    def keyring(self) -> KeyRing:
        return key_store.make_ring(self.engine, self.settings)

    def uow(self, actor: Actor, *, readonly: bool = False) -> UnitOfWork:
        return UnitOfWork(self.session_factory, actor, audit.CHAIN, readonly=readonly)

    def system_actor(self, name: str) -> Actor:
        """Who a scheduled job acts as (named in every audit entry it causes)."""
        return Actor.system(name, channel="job")

    def migrate(self, revision: str = "head") -> None:
        cfg = alembic_config(self.settings.database_url)
        with self.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
        if key_store.DATA_KEYS in inspect(self.engine).get_table_names():
            # A new database gets its first data key here, before anything is encrypted.
            key_store.ensure_active_key(self.engine, key_store.master_key(self.settings))

    def dispose(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(REPO_ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


_platform: Platform | None = None


def get_platform() -> Platform:
    global _platform
    if _platform is None:
        _platform = Platform(get_settings())
        keyring.configure(_platform.keyring)
    return _platform


def set_platform(platform: Platform | None) -> None:
    global _platform
    _platform = platform
    # Encrypted columns use the key ring of the platform in use (a process serves one).
    keyring.configure(platform.keyring if platform is not None else None)
