"""Imports every table module so that `Base.metadata` is whole (for Alembic and tests)."""

from __future__ import annotations

from dunmore.access import models as access_models
from dunmore.credit import admission_models as credit_admission_models
from dunmore.credit import contract_models
from dunmore.credit import grades_models as credit_grades_models
from dunmore.delivery import models as delivery_models
from dunmore.ledger import models as ledger_models
from dunmore.portal import models as portal_models
from dunmore.run import instalment_notice_models, next_step_models
from dunmore.run import models as run_models
from dunmore.statements import models as statement_models
from dunmore.store import meta as meta_models
from dunmore.store.base import Base
from dunmore.webhooks import models as webhook_models
from dunmore.workspace import mail_models as workspace_mail_models
from dunmore.workspace import models as workspace_models
from dunmore.workspace import plan_models as workspace_plan_models
from dunmore.workspace import playbook_models as workspace_playbook_models

metadata = Base.metadata

__all__ = [
    "access_models",
    "contract_models",
    "credit_admission_models",
    "credit_grades_models",
    "delivery_models",
    "instalment_notice_models",
    "ledger_models",
    "meta_models",
    "metadata",
    "next_step_models",
    "portal_models",
    "run_models",
    "statement_models",
    "webhook_models",
    "workspace_mail_models",
    "workspace_models",
    "workspace_plan_models",
    "workspace_playbook_models",
]
