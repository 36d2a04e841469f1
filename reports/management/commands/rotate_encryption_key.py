from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from reports.access import crypto
from reports.access.fields import EncryptedTextField


class Command(BaseCommand):
    help = (
        "Encrypt every stored secret again with the first key of DMARC_ENCRYPTION_KEY. To replace a key: "
        "put a new one first (DMARC_ENCRYPTION_KEY=new,old), run this, then drop the old one."
    )

    def add_arguments(self, parser):
        parser.add_argument("--new-key", action="store_true", help="only print a new key, change nothing")

    def handle(self, *args, new_key, **options):
        if new_key:
            self.stdout.write(crypto.new_key())
            return
        try:
            total = self._rotate_all()
        except crypto.UndecryptableError as e:
            raise CommandError(f"{e} Nothing was changed.") from None
        self.stdout.write(f"{total} secret(s) encrypted with the first key of DMARC_ENCRYPTION_KEY")

    @transaction.atomic
    def _rotate_all(self) -> int:
        total = 0
        for model in apps.get_models():
            fields = [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
            if not fields:
                continue
            # Reading decrypts with whichever key fits; the update encrypts with the first one.
            for row in model.objects.select_for_update().values("pk", *fields):
                values = {name: row[name] for name in fields}
                model.objects.filter(pk=row["pk"]).update(**values)
                total += sum(1 for v in values.values() if v)
        return total
