# The Celery app is not imported here, as Django's template for Celery does: every
# management command would pay for loading Celery (about a fifth of the start-up
# of import_reports). The tasks bind to it by importing dmarcapp.celery, and
# `celery -A dmarcapp` finds it there.
