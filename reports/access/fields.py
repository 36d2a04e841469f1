"""A model field whose value is encrypted in the database and plain text in Python."""

from __future__ import annotations

from django.db import models

from reports.access import crypto


class EncryptedTextField(models.TextField):
    """Text kept encrypted at rest (Fernet). Lookups on it compare ciphertexts, so
    none but `exact=""` and `isnull` mean anything: filter in Python.

    The empty string stays empty, so that "no password set" needs no key. A
    value that is not a Fernet token (a row written before the column was
    encrypted) reads as is; `manage.py rotate_encryption_key` encrypts it.
    """

    description = "Text encrypted at rest"

    def from_db_value(self, value, expression, connection):
        if not value or not value.startswith(crypto.TOKEN_PREFIX):
            return value
        return crypto.decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if not value:
            return value
        return crypto.encrypt(value)
