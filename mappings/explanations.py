"""The sentences a remap decision's explanation (``Decision.detail``) is written from.

An explanation is recorded in English, in the lineage row (``remap_detail``), the review
queue and the review files, and said in the reader's language where it is shown: each
sentence below is a message id of the catalogue, and :data:`PHRASEBOOK` reads a recorded
explanation back into them (see :mod:`migrate.core.recorded`). The rules write one
sentence after another: why the codes did not decide (``CODE_*``, ``IGNORED``), how the
unit was found (``FOUND_*``), then what was decided.

The text of a sentence is what stores hold: change one and stores written before show its
old English (keep the old text in :data:`FORMER` so it is still said in Vietnamese).
"""

from __future__ import annotations

from migrate.core.messages import N_
from migrate.core.recorded import Phrasebook

# why the record's codes did not decide
CODE_PROVINCE_CLASH = N_("Old commune code {code} is {old}, but the record says province {other}. ")
CODE_DISTRICT_CLASH = N_("Old commune code {code} is {old}, but the record says district {other}. ")
CODE_UNKNOWN = N_("Old commune code {code} is not in the official table. ")
CODE_MALFORMED = N_("Commune {problem}. ")
MALFORMED = N_("malformed code {value} (expected {width} digits)")
DISTRICT_EMPTY = N_("District {code} has no communes. ")
DISTRICT_ONLY = N_("No commune code; district {code}. ")
IGNORED = N_("Ignored {problem}. ")
NOT_A_PROVINCE = N_("province code {code} is not one of the 63 former provinces")
NOT_A_DISTRICT = N_("district code {code} is not an old district")

# how the unit was found
FOUND_BY_NAME = N_("Found by name: ")
FOUND_FROM_END = N_("Read from the end of the address ({how}): ")
FROM_END_DISTRICT = N_("{district} before the province")
FROM_END_NO_DISTRICT = N_("no district named")
FOUND_SAME_TARGET = N_("The name fits {n} old units that all went to the same new commune: ")
NAMED_DISTRICTS = N_("district {names}")
NAMED_PROVINCES = N_("province {codes}")
NAMED_NOTHING = N_("no unit named")

# what was decided
NO_COMMUNE = N_("(no commune), {district}")
WHOLE = N_("{old} → {new} ({change}).")
SPLIT_LISTED = N_("{old} was split between {names}; '{matched}' is listed as {kind} '{value}' of {new} "
                  "(split rules row {row}).")
SPLIT_MATCHED = N_("{old} was split between {names}; '{matched}' matches (score {score}) as {kind} '{value}' of "
                   "{new} (split rules row {row}).")
SPLIT_DEFAULT = N_("{old} was split between {names}; sent to {new} by the province's default-part policy, "
                   "not by the official table.")
SPLIT_AMBIGUOUS = N_("{old} was split between {names}; no rule names the part.")
ALREADY_NEW = N_("'{address}' is in the two-level form (a new province, no district): {new} itself.")
ALREADY_NEW_TOO = N_(" The old {olds} of that name went whole to it too.")
OLD_OR_NEW = N_("'{address}' reads as {new} in the two-level form, and as the old {olds} (→ {names}) written "
                "without its district; the text does not say which.")
MANUAL = N_("Decided in review: {new}.")
MANUAL_BY = N_("Decided by {who} in review: {new}.")
MANUAL_NOTE = N_("Decided in review: {new}. {note}")
MANUAL_BY_NOTE = N_("Decided by {who} in review: {new}. {note}")
MANUAL_INVALID = N_("The manual decision names {code}, not a new commune.")

# why nothing was decided
EMPTY = N_("The record names no place at all.")
NO_UNIT = N_("The address names no unit.")
NO_ADDRESS = N_("There is no address.")
SEVERAL = N_("'{address}' fits several old units: {how}.")
OTHER_DISTRICT = N_("'{address}': no such commune in {district}; the province has {where} (a unit moved to another "
                    "district, or a slip: a reviewer decides).")
DOUBTED = N_("'{name}' in '{address}' reads as two communes of {how} (a diacritic missing or changed, or a letter "
             "slipped): a reviewer decides.")
NOT_FOUND = N_("No old commune found in '{address}' ({how}).")
INTERNAL = N_("Internal error while resolving: {error}")

# the official table's change words, and the kinds of split rule
CHANGES = {"whole": N_("whole"), "split": N_("split"), "kept": N_("kept"), "renamed": N_("renamed"),
           "special": N_("special")}
SPLIT_KINDS = {"hamlet": N_("hamlet"), "street": N_("street"), "default": N_("default")}

FORMER: tuple[str, ...] = ()  # sentences as earlier versions wrote them, still read in stores written then

SENTENCES = (
    CODE_PROVINCE_CLASH, CODE_DISTRICT_CLASH, CODE_UNKNOWN, CODE_MALFORMED, DISTRICT_EMPTY, DISTRICT_ONLY, IGNORED,
    FOUND_BY_NAME, FOUND_FROM_END, FOUND_SAME_TARGET, WHOLE, SPLIT_LISTED, SPLIT_MATCHED, SPLIT_DEFAULT,
    SPLIT_AMBIGUOUS, ALREADY_NEW, ALREADY_NEW_TOO, OLD_OR_NEW, MANUAL, MANUAL_BY, MANUAL_NOTE, MANUAL_BY_NOTE,
    MANUAL_INVALID, EMPTY, NO_UNIT, NO_ADDRESS, SEVERAL, OTHER_DISTRICT, DOUBTED, NOT_FOUND, INTERNAL, *FORMER,
)
# what the fields named in NESTED hold besides whole sentences: read only there
VALUES = (
    MALFORMED, NOT_A_PROVINCE, NOT_A_DISTRICT, FROM_END_DISTRICT, FROM_END_NO_DISTRICT, NAMED_DISTRICTS,
    NAMED_PROVINCES, NAMED_NOTHING, NO_COMMUNE, *CHANGES.values(), *SPLIT_KINDS.values(),
)
NESTED = ("problem", "how", "old", "change", "kind")

PHRASEBOOK = Phrasebook.of(SENTENCES, NESTED, VALUES)
