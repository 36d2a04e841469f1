# Celery's guide for Django imports the Celery app here; this project does not, so
# that management commands such as import_reports do not pay for loading Celery
# (about a fifth of their start-up). The tasks bind to the app by importing
# dmarcapp.celery, and `celery -A dmarcapp` finds it there.
