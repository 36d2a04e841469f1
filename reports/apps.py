from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ReportsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reports"

    def ready(self):
        # Imported once the app registry is ready: these modules import the models.
        from reports.access.roles import ensure_roles
        from reports.alerts import receivers as alerts
        from reports.dashboard import receivers as dashboard
        from reports.mtasts import receivers as mtasts
        from reports.ops import receivers as ops
        from reports.rollout import receivers as rollout

        post_migrate.connect(ensure_roles, sender=self)
        # Each package that keeps something derived from reports, marks or assessments listens
        # (reports.shared.events).
        for receivers in (rollout, dashboard, alerts, ops, mtasts):
            receivers.connect()
