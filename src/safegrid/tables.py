"""Imports every domain's tables so ``Base.metadata`` is complete (Alembic, tests)."""

from safegrid.billing import models as billing_models
from safegrid.collection import models as collection_models
from safegrid.customers import models as customer_models
from safegrid.notifications import models as notification_models
from safegrid.org import models as org_models
from safegrid.platform import outbox
from safegrid.platform.db import Base
from safegrid.readings import models as reading_models
from safegrid.security import models as security_models
from safegrid.tariffs import models as tariff_models

metadata = Base.metadata

__all__ = [
    "billing_models",
    "collection_models",
    "customer_models",
    "metadata",
    "notification_models",
    "org_models",
    "outbox",
    "reading_models",
    "security_models",
    "tariff_models",
]
