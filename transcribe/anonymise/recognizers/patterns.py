"""Presidio's pattern recognisers this project uses, with offline e-mail and UK phone shapes.

E-mail, phone (GB and US, plus UK numbers python-phonenumbers calls invalid, such as Ofcom's
drama ranges), URL, UK postcode, NHS number (with checksum), and dates when asked. Their results
carry no source of their own: the detector reads them as ``pattern``.
"""

from __future__ import annotations

import re

from presidio_analyzer import EntityRecognizer, Pattern, PatternRecognizer


def pattern_recognizers(dates: bool) -> list[EntityRecognizer]:
    from presidio_analyzer.predefined_recognizers import (
        DateRecognizer,
        NhsRecognizer,
        PhoneRecognizer,
        UkPostcodeRecognizer,
        UrlRecognizer,
    )

    recognizers = [
        offline_email_recognizer(),
        PhoneRecognizer(supported_regions=("GB", "US")),
        UkPhoneRecognizer(),
        ContextPhoneRecognizer(),
        UrlRecognizer(),
        UkPostcodeRecognizer(),
        NhsRecognizer(),
    ]
    if dates:
        recognizers.append(DateRecognizer())
    return recognizers


def offline_email_recognizer() -> PatternRecognizer:
    """Presidio's e-mail recogniser, validating domains against tldextract's bundled suffix list.

    The stock recogniser calls ``tldextract.extract``, which fetches the public suffix list from
    the internet on first use.
    """
    import tldextract
    from presidio_analyzer.predefined_recognizers import EmailRecognizer

    extract = tldextract.TLDExtract(cache_dir=None, suffix_list_urls=())

    class OfflineEmailRecognizer(EmailRecognizer):
        def validate_result(self, pattern_text: str) -> bool:
            return extract(pattern_text).fqdn != ""

    return OfflineEmailRecognizer()


class UkPhoneRecognizer(PatternRecognizer):
    """UK numbers by shape, for those python-phonenumbers rejects (e.g. 07700 900123, 01632 960983)."""

    SHAPE = r"(?<![\w+])(?:(?:\+|00)44\s?(?:\(0\)\s?)?|\(?0)\d{2,4}\)?[\s-]?\d{3,4}[\s-]?\d{3,4}(?!\d)"

    def __init__(self):
        super().__init__(
            supported_entity="PHONE_NUMBER",
            patterns=[Pattern("UK phone", self.SHAPE, 0.5)],
            context=["phone", "number", "mobile", "call", "ring", "landline"],
            name="UkPhoneRecognizer",
        )

    def validate_result(self, pattern_text: str) -> bool:
        digits = re.sub(r"\D", "", pattern_text)
        digits = re.sub(r"^(?:00)?440?", "0", digits)
        return len(digits) in (10, 11) and digits[1] in "1237"


class ContextPhoneRecognizer(PatternRecognizer):
    """Phone numbers of any country's shape ("0494 92 82 32", "467 3395"), only after a phone word.

    Digit groups alone are too common in speech (ages, years, prices), so the pattern scores
    nothing on its own: Presidio's context enhancement lifts it above this recogniser's threshold
    when "phone", "mobile", "call", "fax" and the like come within five words before.
    """

    SHAPE = r"(?<![\w+.-])(?:\+|00)?\(?\d{1,4}\)?(?:[ .-]?\d{2,4}){1,5}(?![\w-]|\.\d)"
    CONTEXT = ["phone", "telephone", "mobile", "cell", "number", "call", "ring", "fax", "desk", "tel", "landline",
               "text", "whatsapp"]

    def __init__(self):
        super().__init__(
            supported_entity="PHONE_NUMBER",
            patterns=[Pattern("phone after context", self.SHAPE, 0.05)],
            context=self.CONTEXT,
            name="ContextPhoneRecognizer",
        )
        self.score_thresholds = {"PHONE_NUMBER": 0.3}

    def invalidate_result(self, pattern_text: str) -> bool:
        # Not validate_result: a valid result there scores 1 and would need no context.
        return not 7 <= len(re.sub(r"\D", "", pattern_text)) <= 15
