"""Imports every domain's tables so ``Base.metadata`` is complete (Alembic, tests)."""

from safegrid.alerts import key_fields as alert_hooks  # noqa: F401 - installs the AUD-3 hooks
from safegrid.alerts import models as alert_models
from safegrid.analytics import models as analytics_models
from safegrid.applications import models as application_models
from safegrid.billing import models as billing_models
from safegrid.collection import models as collection_models
from safegrid.customers import models as customer_models
from safegrid.datause import models as datause_models
from safegrid.demo import models as demo_models
from safegrid.fieldwork import models as fieldwork_models
from safegrid.fieldwork import rectification as field_rectification
from safegrid.fieldwork import safety_models as field_safety_models
from safegrid.fieldwork import supervision as field_supervision
from safegrid.fieldwork import sync_models as field_sync_models
from safegrid.fieldwork import team_results as field_team_results
from safegrid.governance import models as governance_models
from safegrid.hall import models as hall_models
from safegrid.notifications import models as notification_models
from safegrid.org import models as org_models
from safegrid.payments.counter import models as counter_models
from safegrid.payments.counter import shortages as counter_shortages
from safegrid.payments.ledger import models as payment_models
from safegrid.payments.online import models as online_payment_models
from safegrid.payments.online.callbacks import models as callback_inbox_models
from safegrid.payments.risk import models as risk_models
from safegrid.platform import job_runs, numbering, outbox
from safegrid.platform.db import Base
from safegrid.portal import models as portal_models
from safegrid.readings import correction_models as reading_correction_models
from safegrid.readings import daily_totals as reading_daily_totals
from safegrid.readings import models as reading_models
from safegrid.readings import route_models as reading_route_models
from safegrid.reconciliation import models as recon_models
from safegrid.relay import models as relay_models
from safegrid.secops import emergency_models, hazard_models, resilience_models
from safegrid.secops import models as secops_models
from safegrid.secops.offline import models as offline_models
from safegrid.security import key_store, lockout
from safegrid.security import models as security_models
from safegrid.tariffs import models as tariff_models
from safegrid.terminals import models as terminal_models

metadata = Base.metadata

__all__ = [
    "alert_models",
    "analytics_models",
    "application_models",
    "billing_models",
    "callback_inbox_models",
    "collection_models",
    "counter_models",
    "counter_shortages",
    "customer_models",
    "datause_models",
    "demo_models",
    "emergency_models",
    "field_rectification",
    "field_safety_models",
    "field_supervision",
    "field_sync_models",
    "field_team_results",
    "fieldwork_models",
    "governance_models",
    "hall_models",
    "hazard_models",
    "job_runs",
    "key_store",
    "lockout",
    "metadata",
    "notification_models",
    "numbering",
    "offline_models",
    "online_payment_models",
    "org_models",
    "outbox",
    "payment_models",
    "portal_models",
    "reading_correction_models",
    "reading_daily_totals",
    "reading_models",
    "reading_route_models",
    "recon_models",
    "relay_models",
    "resilience_models",
    "risk_models",
    "secops_models",
    "security_models",
    "tariff_models",
    "terminal_models",
]
