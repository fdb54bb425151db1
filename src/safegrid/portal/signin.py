"""Signing in to the portal with a mobile number and an SMS code (HALL-6).

- A code is 6 digits, sent through the notification outbox (the sandbox SMS outbox shows
  it in dev), valid 5 minutes, used once; stored as HMAC(secret key, number key, code).
- Codes are rationed per number and per client address (``code_throttle``): a 429 names
  the wait.
- Wrong codes are counted per number in the sign-in throttle table (``security.lockout``,
  source ``sms``): the 5th failure locks the number for 15 minutes, whatever code comes
  next. Failures count per address too (source ``portal``).
- A number that never asked for a code and a wrong code get the same answer.
- Success opens a portal session (cookie ``sg_portal``): a random token, stored hashed.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from safegrid.config import get_settings
from safegrid.notifications.channel import Message, OutboxNotifier
from safegrid.org.models import OrgUnit
from safegrid.platform import clock
from safegrid.platform.errors import AuthenticationError, ValidationProblem
from safegrid.platform.uow import UnitOfWork
from safegrid.portal import code_throttle
from safegrid.portal.identity import PortalIdentity
from safegrid.portal.models import PortalCustomer, PortalSession, PortalSignInCode
from safegrid.security import lockout
from safegrid.security.fields import index_value, matches
from safegrid.security.masking import mask

CODE_VALID_FOR: Final = timedelta(minutes=5)
RESEND_AFTER: Final = code_throttle.BY_NUMBER.gap
SESSION_FOR: Final = timedelta(hours=4)
TOPIC: Final = "portal.sign_in"
MOBILE = re.compile(r"1[3-9]\d{9}")
BAD_MOBILE: Final = "请输入 11 位手机号 / enter an 11-digit mobile number"
REFUSED: Final = "验证码错误或已失效 / the code is wrong or no longer valid"
SIGNED_OUT: Final = "登录已失效，请重新登录 / your portal session is not valid: sign in again"
log = logging.getLogger(__name__)


def mobile_key(mobile: str) -> str:
    """The number's blind index: how codes and throttles name it without storing it."""
    return index_value(PortalCustomer.mobile.property.columns[0], mobile)


def _code_hash(key: str, code: str) -> str:
    secret = get_settings().secret_key.encode()
    return hmac.new(secret, f"portal-code:{key}:{code}".encode(), hashlib.sha256).hexdigest()


def _token_hash(token: str) -> str:
    return hashlib.sha256(f"portal-session:{token}".encode()).hexdigest()


def _valid_mobile(mobile: str) -> str:
    mobile = mobile.strip()
    if not MOBILE.fullmatch(mobile):
        raise ValidationProblem(BAD_MOBILE, field="mobile")
    return mobile


def _root_unit(uow: UnitOfWork) -> int:
    # The code is about no account yet: its message belongs to the top of the org tree.
    found = uow.session.scalar(
        select(OrgUnit.id).where(OrgUnit.parent_id.is_(None)).order_by(OrgUnit.id).limit(1)
    )
    if found is None:
        raise ValidationProblem("组织机构未建立 / no organisation set up", field="mobile")
    return int(found)


def do_request_code(uow: UnitOfWork, mobile: str) -> str:
    """Sends a sign-in code to ``mobile``; returns the number masked. The same for any
    well-formed number: whether it ever signed in is not revealed."""
    mobile = _valid_mobile(mobile)
    key = mobile_key(mobile)
    now = clock.now()
    with uow:
        lockout.check_sources(uow, [("sms", key)], now)
        sent_to = mask("phone", mobile) or ""
        code_throttle.admit(uow, key, sent_to, uow.actor.ip, now)
        code = f"{secrets.randbelow(1_000_000):06d}"
        row = PortalSignInCode(
            mobile_key=key,
            code_hash=_code_hash(key, code),
            created_at=now,
            expires_at=now + CODE_VALID_FOR,
            ip=(uow.actor.ip or None) and str(uow.actor.ip)[:64],
        )
        uow.session.add(row)
        minutes = int(CODE_VALID_FOR.total_seconds() // 60)
        OutboxNotifier(uow).send(
            Message(
                channel="sms",
                recipient=mobile,
                topic=TOPIC,
                body=(
                    f"【SafeGrid】网上营业厅登录验证码 {code}，{minutes}分钟内有效，请勿告诉他人。"
                    f" Portal sign-in code {code}, valid {minutes} minutes."
                ),
                org_unit_id=_root_unit(uow),
                subject_type="portal_code",
            )
        )
        uow.session.flush()
        uow.audit(
            "portal.code_sent",
            object_type="portal_code",
            object_id=row.id,
            after={"sent_to": sent_to},
        )
        uow.commit()
    return sent_to


def do_sign_in(uow: UnitOfWork, mobile: str, code: str) -> tuple[str, PortalIdentity]:
    """Checks the code and opens a session: ``(token for the cookie, identity)``."""
    mobile = _valid_mobile(mobile)
    key = mobile_key(mobile)
    ip = uow.actor.ip or "unknown"
    now = clock.now()
    with uow:
        lockout.check_sources(uow, [("sms", key), ("portal", ip)], now)
        row = uow.session.scalars(
            select(PortalSignInCode)
            .where(
                PortalSignInCode.mobile_key == key,
                PortalSignInCode.used_at.is_(None),
                PortalSignInCode.expires_at > now,
            )
            .order_by(PortalSignInCode.id.desc())
            .limit(1)
        ).first()
        given = code.strip()
        right = row is not None and hmac.compare_digest(row.code_hash, _code_hash(key, given))
        # Used once: only the caller whose UPDATE flips used_at gets the session.
        claimed = right and row is not None and _claim(uow, row.id, now)
        if not claimed:
            failures = lockout.count_failure(uow, "sms", key, now)
            lockout.count_failure(uow, "portal", ip, now)
            uow.audit(
                "portal.sign_in_failed",
                object_type="portal_code",
                object_id=None if row is None else row.id,
                note=f"{'wrong code' if row else 'no valid code'} for {mask('phone', mobile)}; "
                f"failure {failures} of {lockout.RULES['sms'].free + 1} from {ip}",
            )
            uow.commit()
            raise AuthenticationError(REFUSED, field="code")
        lockout.forget(uow, "sms", key)
        customer = _customer(uow, mobile, now)
        token = secrets.token_urlsafe(32)
        session = PortalSession(
            token_hash=_token_hash(token),
            customer_id=customer.id,
            created_at=now,
            expires_at=now + SESSION_FOR,
            ip=None if ip == "unknown" else ip[:64],
        )
        uow.session.add(session)
        uow.session.flush()
        masked = mask("phone", mobile) or ""
        uow.audit(
            "portal.sign_in",
            object_type="portal_customer",
            object_id=customer.id,
            after={"mobile": masked, "session_id": session.id},
        )
        uow.commit()
        return token, PortalIdentity(customer.id, session.id, masked, uow.actor.ip)


def _claim(uow: UnitOfWork, code_id: int, now: datetime) -> bool:
    done = uow.session.execute(
        update(PortalSignInCode)
        .where(PortalSignInCode.id == code_id, PortalSignInCode.used_at.is_(None))
        .values(used_at=now)
    )
    return int(getattr(done, "rowcount", 0) or 0) == 1


def _customer(uow: UnitOfWork, mobile: str, now: datetime) -> PortalCustomer:
    s = uow.session
    found = s.scalars(select(PortalCustomer).where(matches(PortalCustomer.mobile, mobile))).first()
    if found is None:
        try:
            with s.begin_nested():
                found = PortalCustomer(mobile=mobile, created_at=now, last_sign_in_at=now)
                s.add(found)
        except IntegrityError:
            # The same number signing in twice at once: the other one made the row.
            found = s.scalars(
                select(PortalCustomer).where(matches(PortalCustomer.mobile, mobile))
            ).one()
    found.last_sign_in_at = now
    return found


def resolve(uow: UnitOfWork, token: str) -> PortalIdentity:
    """The identity behind a portal cookie; a forged, expired or ended one is refused."""
    now = clock.now()
    with uow:
        row = uow.session.execute(
            select(PortalSession, PortalCustomer.mobile)
            .join(PortalCustomer, PortalCustomer.id == PortalSession.customer_id)
            .where(PortalSession.token_hash == _token_hash(token))
        ).first()
        if row is None or row[0].revoked_at is not None or row[0].expires_at <= now:
            log.warning(
                "portal session refused from %s: %s",
                uow.actor.ip,
                "unknown token" if row is None else "ended or expired",
            )
            raise AuthenticationError(SIGNED_OUT)
        session = row[0]
        return PortalIdentity(
            session.customer_id, session.id, mask("phone", row[1]) or "", uow.actor.ip
        )


def do_sign_out(uow: UnitOfWork, identity: PortalIdentity) -> None:
    with uow:
        uow.session.execute(
            update(PortalSession)
            .where(PortalSession.id == identity.session_id, PortalSession.revoked_at.is_(None))
            .values(revoked_at=clock.now())
        )
        uow.audit("portal.sign_out", object_type="portal_customer", object_id=identity.customer_id)
        uow.commit()
