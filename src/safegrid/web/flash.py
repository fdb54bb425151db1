"""One-shot notices after a redirect (PRG), e.g. "password changed".

The cookie carries only a key from :data:`MESSAGES`, never text, so a forged cookie can
at most show one of our own fixed notices.
"""

from __future__ import annotations

from typing import Final

from starlette.requests import Request
from starlette.responses import Response

from safegrid.bootstrap import get_platform
from safegrid.web.i18n import N_
from safegrid.web.redirects import see_other

FLASH_COOKIE: Final = "sg_flash"
MESSAGES: Final[dict[str, str]] = {
    "password_changed": N_("Your password has been changed."),
    "totp_enrolled": N_("One-time codes are now required when you sign in."),
    "totp_already": N_("One-time codes are already set up for your account."),
    "session_revoked": N_("The session has been signed out."),
    "customer_registered": N_("The customer has been registered."),
    "direct_debit_set": N_("The direct-debit account has been saved."),
    "direct_debit_cancelled": N_("Direct debit has been cancelled for the account."),
    "reading_saved": N_("The reading has been saved."),
    "reading_queued": N_("The reading was not stored: it waits for the reviewer with your reason."),
    "walking_order_saved": N_("The walking order has been saved."),
    "reading_accepted": N_("The reading is accepted and stored."),
    "reading_rejected": N_("The reading is rejected; the meter is due to be read again."),
    "correction_proposed": N_(
        "The correction is proposed and waits for another person's approval."
    ),
    "correction_approved": N_("The correction is applied and the bills are re-priced."),
    "correction_rejected": N_("The correction is rejected; nothing has changed."),
    "bill_run_done": N_("The bill run has finished."),
    "bill_reversed": N_("The bill has been reversed; this is the reversal bill."),
    "bill_repriced": N_(
        "The months from this one on were priced again; this is the re-issued bill. The "
        "account's next bill shows the differences."
    ),
    "bill_reprice_unchanged": N_(
        "Priced again, every month from this one on costs what was billed: nothing changed."
    ),
    "tariff_version_added": N_("The price version has been added."),
    "signed_out": N_("You have been signed out."),
    "terminal_lost": N_(
        "The terminal is marked lost: its credentials are revoked and a wipe command is queued."
    ),
}


def flash(response: Response, key: str) -> Response:
    if key not in MESSAGES:
        raise KeyError(key)
    response.set_cookie(
        FLASH_COOKIE,
        key,
        max_age=60,
        httponly=True,
        samesite="strict",
        secure=get_platform().settings.cookie_secure,
        path="/",
    )
    return response


def redirect(request: Request, path: str, key: str) -> Response:
    """303 to ``path`` with the notice ``key`` shown there (post/redirect/get)."""
    return flash(see_other(request, path), key)


def pending(request: Request) -> str | None:
    """The msgid of the notice waiting for this request, if any."""
    return MESSAGES.get(request.cookies.get(FLASH_COOKIE, ""))
