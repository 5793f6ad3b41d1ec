"""Quarantine reasons said in the reader's language, where they are shown.

A quarantine reason is kept in the store in English (``quarantine.reason``), as stores written
before hold it, and as scripts and SQL read it. It is written from the sentences of the module
that quarantines the record: the conversion (:mod:`migrate.core.canonical`), the store's limits
(:mod:`migrate.store.limits`), the key (:mod:`adapters.keyset`, :mod:`migrate.prepare`), the
remap (a dossier without a new commune quotes its explanation, :mod:`mappings.explanations`),
the load (:mod:`migrate.load`) and the attachments (:mod:`migrate.attachments`). :data:`PHRASEBOOK`
reads a reason back into them, so ``quarantine list``, the report's page and workbook, and
``lookup`` say it in Vietnamese (:mod:`migrate.core.recorded`). What the store's or a driver's
own message says inside a reason (``the store refused the record: ...``) stays as it was written.
The ledger's last error of a failed batch (:mod:`migrate.ledger`) is read the same way where
``batches show``, ``batches rerun`` and the run summary print it.
"""

from __future__ import annotations

from adapters import keyset
from mappings import explanations
from migrate import attachments, ledger, load, prepare
from migrate.core import canonical
from migrate.core.i18n import Language
from migrate.core.messages import N_
from migrate.core.recorded import Phrasebook
from migrate.store import limits

# what a reason names a record's parent by (migrate.core.entities.ParentLink: its noun, else its entity)
PARENTS = (N_("account"), N_("dossier"), N_("document"), N_("applicant account"), N_("owner account"))
NUMBERS = (N_("owner id number"),)

SENTENCES = (*prepare.REASONS, *load.REASONS, *canonical.REASONS, *attachments.REASONS, *keyset.REASONS,
             *explanations.SENTENCES, *ledger.ERRORS)
VALUES = (*limits.PROBLEMS, *canonical.PROBLEMS, *prepare.PROBLEMS, *load.PROBLEMS, *keyset.PROBLEMS,
          *explanations.VALUES, *PARENTS, *NUMBERS)
NESTED = ("detail", "problem", "why", "named", "number", *explanations.NESTED)
CHOICES = {"named": PARENTS}

PHRASEBOOK = Phrasebook.of(SENTENCES, NESTED, VALUES, CHOICES)


def say(reason: object, lang: Language) -> str:
    """A quarantine reason (or a review item's, which may be a remap explanation) in ``lang``."""
    return PHRASEBOOK.say(reason, lang)
