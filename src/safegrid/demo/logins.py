"""The demo's sign-in details: who to log in as, the shared password, live TOTP codes.

Only ever shown in ``dev``: the demo password is public, so a database where these
accounts exist must never be a production one. Every listing is itself audited
(the TOTP secrets are credentials, and AUD-1 records sensitive reads).
"""

from __future__ import annotations

import dataclasses
import os
from datetime import datetime
from pathlib import Path

import pyotp
from sqlalchemy import select

from safegrid.bootstrap import Platform
from safegrid.config import REPO_ROOT, Settings
from safegrid.demo.geography import all_unit_codes
from safegrid.demo.organisation import DEMO_PASSWORD, username
from safegrid.org.models import OrgUnit
from safegrid.platform.errors import NotFoundError, PermissionDeniedError
from safegrid.security.actor import Actor
from safegrid.security.models import StaffAccount
from safegrid.security.policy import POST_LABELS, Post

ACTOR_NAME = "demo-logins"
LOGINS_FILE = "demo-logins.txt"

# The accounts worth trying first. Fuyang's county-level staff see its station's
# customers (ORG-2: a unit sees its subtree); the meter reader sits at the station that
# owns his reading areas.
FEATURED: tuple[tuple[Post, str], ...] = (
    (Post.SYSTEM_ADMIN, "zj"),
    (Post.AUDITOR, "zj"),
    (Post.DATA_SECURITY_OFFICER, "zj"),
    (Post.HALL_AGENT, "zj-hz-fy"),
    (Post.HALL_MANAGER, "zj-hz-fy"),
    (Post.DEPARTMENT_HEAD, "zj-hz-fy"),
    (Post.CASHIER, "zj-hz-fy"),
    (Post.CHECKER, "zj-hz-fy"),
    (Post.METER_READER, "zj-hz-fy-st"),
    (Post.HALL_AGENT, "zj-nb-yy"),
)


@dataclasses.dataclass(frozen=True)
class DemoLogin:
    username: str
    real_name: str
    post: Post
    unit_code: str
    unit_name: str
    totp_secret: str

    @property
    def post_label(self) -> str:
        return POST_LABELS[self.post][0]

    @property
    def password(self) -> str:
        return DEMO_PASSWORD


def demo_usernames() -> list[str]:
    """All 210 demo accounts, whether or not the database holds them."""
    return [username(post, code) for code in all_unit_codes() for post in Post]


def require_dev(settings: Settings) -> None:
    if settings.env != "dev":
        raise PermissionDeniedError(
            "演示账号只在开发环境显示 / demo logins are shown only when SAFEGRID_ENV=dev "
            f"(this is {settings.env!r})"
        )


def current_code(secret: str, at: datetime) -> tuple[str, int]:
    """The TOTP code valid at ``at`` and the seconds it has left."""
    totp = pyotp.TOTP(secret)
    stamp = int(at.timestamp())
    return totp.at(stamp), totp.interval - stamp % totp.interval


def load_logins(platform: Platform, usernames: list[str], *, purpose: str) -> list[DemoLogin]:
    """Read the accounts, in tree then post order, and audit that their secrets were read."""
    require_dev(platform.settings)
    order = {name: i for i, name in enumerate(demo_usernames())}
    with platform.uow(Actor.system(ACTOR_NAME, channel="cli")) as uow:
        rows = uow.session.execute(
            select(StaffAccount, OrgUnit)
            .join(OrgUnit, OrgUnit.id == StaffAccount.org_unit_id)
            .where(StaffAccount.username.in_(usernames))
        ).all()
        logins = sorted(
            (
                DemoLogin(
                    username=account.username,
                    real_name=account.real_name,
                    post=account.post,
                    unit_code=unit.code,
                    unit_name=unit.name,
                    totp_secret=account.totp_secret or "",
                )
                for account, unit in rows
            ),
            key=lambda login: order.get(login.username, len(order)),
        )
        if logins:
            uow.audit(
                "demo.logins.read",
                object_type="staff_account",
                note=f"{purpose}: {len(logins)} demo account(s) with TOTP secrets",
            )
            uow.commit()
    return logins


def login_for(platform: Platform, name: str) -> DemoLogin:
    require_dev(platform.settings)
    if name not in set(demo_usernames()):
        raise NotFoundError(f"不是演示账号 / not a demo account: {name}", field="username")
    found = load_logins(platform, [name], purpose="otp")
    if not found or not found[0].totp_secret:
        raise NotFoundError(
            f"演示账号不存在 / demo account not in this database: {name} "
            "(run `safegrid demo generate`)",
            field="username",
        )
    return found[0]


def logins_path(settings: Settings) -> Path:
    """Next to the SQLite file (normally ``var/``), else the repository's ``var/``."""
    if settings.is_sqlite:
        db_path = settings.database_url.split("///", 1)[-1]
        if db_path and db_path != ":memory:":
            return Path(db_path).resolve().parent / LOGINS_FILE
    return REPO_ROOT / "var" / LOGINS_FILE


def write_logins_file(path: Path, logins: list[DemoLogin]) -> None:
    lines = [
        "# SafeGrid demo logins — DEV ONLY. Everyone shares the password below; the second",
        "# factor is TOTP: add the secret to an authenticator app, or run",
        "# `safegrid demo otp USERNAME` for the current code.",
        "# username\tpost\tunit_code\tunit\treal_name\tpassword\ttotp_secret",
    ]
    lines += [
        "\t".join(
            (
                login.username,
                login.post_label,
                login.unit_code,
                login.unit_name,
                login.real_name,
                login.password,
                login.totp_secret,
            )
        )
        for login in logins
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    # Readable by the owner only: the file holds live second-factor secrets.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")
    path.chmod(0o600)  # O_CREAT's mode does not apply to a file that already existed
