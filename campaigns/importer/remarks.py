"""Reporter details in a 备注 (remarks) column: found by their shape, never shown.

Offices often write who reported a problem into 备注 ("举报人：张某 13800000000").  Those are
confidential (docs/security.md): the importer reports such cells by row number only, and
``--remarks-to-reporter`` keeps them as the reporter fields, which are sealed like any other
reporter given in its own column.
"""

from __future__ import annotations

import re
import unicodedata

PREFIX = re.compile(r"^\s*(举报人|反映人|投诉人|来信人|信访人|举报者|reporter)\s*[:：]?\s*",
                    re.IGNORECASE)
PHONE = re.compile(r"(?<![0-9])(1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8})(?![0-9])")
CONTACT = re.compile(r"(联系电话|联系方式|电话|手机|tel)\s*[:：]?\s*", re.IGNORECASE)


def reporter_in(text: str) -> tuple[str, str] | None:
    """(name, contact) when ``text`` looks like a reporter's details (a 举报人/反映人 prefix, or a
    phone number), else None; either part may be empty (a name only after a prefix)."""
    text = unicodedata.normalize("NFKC", text).strip()
    prefixed = PREFIX.match(text)
    phone = PHONE.search(text)
    if not prefixed and not phone:
        return None
    rest = text[prefixed.end():] if prefixed else text
    contact = phone.group(1) if phone else ""
    if contact:
        rest = rest.replace(contact, " ")
    if not prefixed:  # a phone number in a remark: the contact only, the words are no name
        return "", contact
    name = CONTACT.sub(" ", rest)
    name = re.sub(r"[\s,，;；、()（）]+", " ", name).strip()
    return name, contact
