"""How long a text is as an SMS: the GSM 03.38 alphabet, in which one message holds 160
septets. Pure, so core can refuse a staff-written SMS that would not go out as one message."""

from __future__ import annotations

# The GSM 03.38 basic alphabet; the extension characters count twice.
GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = "^{}\\[~]|€\f"
SMS_LIMIT = 160


def gsm7_length(text: str) -> int | None:
    """Septets the text needs, or None when a character is not in GSM-7 (UCS-2 would be used)."""
    length = 0
    for char in text:
        if char in GSM7_BASIC:
            length += 1
        elif char in GSM7_EXTENDED:
            length += 2
        else:
            return None
    return length


def fits(text: str, limit: int = SMS_LIMIT) -> bool:
    """Does the text go out as one GSM-7 SMS?"""
    length = gsm7_length(text)
    return length is not None and length <= limit
