"""Texts that are notices, not articles, in English, German and French (docs/extraction.md, "Notices")."""

from __future__ import annotations

import re
from functools import cache

# More than this share of a text's characters in notice sentences: the text is boilerplate.
NOTICE_SHARE = 0.5


def _whole_words(groups: dict[str, tuple[str, ...]]) -> re.Pattern[str]:
    """One pattern matching any of the phrases as whole words, each group named after its key."""
    alternatives = "|".join(f"(?P<{name}>{'|'.join(phrases)})" for name, phrases in groups.items())
    return re.compile(r"(?<!\w)(?:" + alternatives + r")(?!\w)")


_REPRINT = (
    r"for (?:your )?personal,? non-?commercial use only",
    r"(?:order|purchase|buy|request) (?:presentation-ready )?(?:copies|reprints?)",
    r"reprints?(?: and permissions| rights)?", r"republish(?:ing)? (?:this|our) (?:article|story|content)",
    r"content licensing", r"djreprints\.com",
    # not "Nachdruck" alone: "mit Nachdruck" is "emphatically"
    r"nachdruck(?:rechte| nur mit| und vervielfältigung| verboten| honorarpflichtig)", r"(?:demande|droits) de reproduction",
)
_CHOOSE = r"(?:accept|reject|decline|allow|deny|manage|customi[sz]e|save)(?: all| my| your)?"
_COOKIE_ANCHOR = (r"cookies?", r"cookie-?(?:richtlinie|einstellungen|hinweis)", r"traceurs?")
_COOKIE = _COOKIE_ANCHOR + (
    r"consent", r"privacy (?:policy|settings|statement|notice|preferences)", r"personal data",
    r"(?:your|the best|a better) (?:browsing |user )?experience", r"third[- ]part(?:y|ies)",
    rf"{_CHOOSE} (?:cookies|settings|preferences|choices|selection)",
    r"(?:essential|necessary|functional|statistics|analytics|marketing|advertising) (?:cookies|services|purposes)",
    r"opt[- ]out", r"tracking technologies", r"revoke|withdraw (?:your )?consent",
    r"(?:this|our) (?:web)?site (?:uses|use)", r"your (?:browser|device)",
    r"einwilligung", r"datenschutz(?:erklärung|hinweise|einstellungen)?", r"personenbezogene(?:n)? daten",
    r"einstellungen", r"akzeptieren", r"ablehnen", r"zustimmen|zustimmung", r"widerrufen", r"drittanbieter(?:n)?",
    r"consentement", r"données personnelles", r"(?:politique de )?confidentialité", r"paramètres",
    r"ihre erfahrung", r"nutzererlebnis",
    r"accepter|refuser|tout accepter|tout refuser", r"(?:partenaires|services) tiers",
    r"(?:votre|une meilleure) expérience", r"expérience de navigation",
)
_COPYRIGHT_ANCHOR = (
    r"©", r"\(c\) ?(?:19|20)\d\d", r"copyright", r"all rights reserved",
    r"alle rechte vorbehalten", r"tous droits réservés",
)
_COPYRIGHT = _COPYRIGHT_ANCHOR + (
    r"may not be (?:reproduced|republished|redistributed|rewritten|broadcast|published|copied)",
    r"without (?:the )?(?:prior |express )*(?:written )?permission",
    r"vervielfältigung|weiterverbreitung|ohne (?:vorherige )?(?:schriftliche )?genehmigung",
    r"reproduction (?:interdite|totale ou partielle)|sans (?:l'|l’)?autorisation(?: préalable)?",
)
_ERROR_ANCHOR = (
    r"(?:page|file|document|article|url|resource) (?:was |could )?not (?:be )?found", r"(?:http |error )40[34]|40[34] (?:error|not found|forbidden)",
    r"(?:internal )?server error", r"an (?:unexpected )?error (?:has )?occurred", r"access denied", r"forbidden",
    r"something went wrong", r"service (?:temporarily )?unavailable",
    r"seite (?:wurde )?nicht gefunden", r"fehlerseite", r"ein fehler ist aufgetreten", r"zugriff verweigert",
    r"page (?:introuvable|non trouvée)", r"une erreur (?:s['’]est produite|est survenue)", r"accès refusé",
)
_ERROR = _ERROR_ANCHOR + (
    r"does(?: not|n['’]t) exist", r"existiert nicht", r"n['’]existe (?:pas|plus)", r"not found", r"nicht gefunden",
    r"(?:the )?page you (?:are|were) looking for", r"(?:requested|this) (?:page|url|address|resource)",
    r"(?:no longer|not) (?:be )?available", r"(?:has|may have) been (?:moved|removed|deleted|renamed)",
    r"check the (?:url|address|spelling)", r"(?:go|return|back) to (?:the |our )?(?:home ?page|start page|front page)",
    r"try again(?: later)?", r"sorry", r"oops",
    r"angeforderte seite", r"nicht (?:mehr )?verfügbar", r"zur startseite", r"entschuldigung",
    r"la page (?:que vous (?:recherchez|demandez)|demandée)", r"n['’]est plus disponible",
    r"(?:retour|revenir) à (?:la page d['’]|l['’])accueil", r"désolé",
)
_LOGIN_ANCHOR = (
    r"subscribe(?:rs?)? (?:to|now|today)", r"subscribers? only",
    # "sign in" as a call to action, not "ministers will sign in December"
    r"(?:sign|log) ?in(?=[ ]*(?:[.!?:\n]|$)| (?:to|with|here|now)\b)", r"(?:please|to) (?:sign|log) ?in", r"login|sign-in",
    r"(?:already|existing) (?:a )?(?:subscriber|member|customer)", r"create (?:an|your|a free) account",
    r"(?:keep|continue) reading", r"paywall",
    r"jetzt abonnieren", r"(?:anmelden|einloggen)", r"abonnent(?:en)?", r"(?:weiterlesen|zum weiterlesen)",
    r"abonnez-vous", r"réservé aux abonnés", r"(?:se connecter|connectez-vous|identifiez-vous)",
)
_LOGIN = _LOGIN_ANCHOR + (
    r"subscri(?:be|ption|ber)s?", r"sign up", r"register(?: now| for free)?", r"password", r"(?:your|an|free) account",
    r"unlock", r"premium", r"free trial", r"(?:exclusive(?:ly)?|available) (?:for|to) (?:subscribers|members)",
    r"registrieren", r"passwort", r"konto", r"abo(?:nnement)?", r"probeabo",
    r"abonn(?:ement|és?)", r"mot de passe", r"inscri(?:vez-vous|ption)", r"compte",
)
_NEWSLETTER_ANCHOR = (r"newsletters?", r"inbox", r"mailing list", r"posteingang", r"lettre d['’]information")
_NEWSLETTER = _NEWSLETTER_ANCHOR + (
    r"sign up", r"subscribe", r"e-?mail(?: address)?", r"(?:latest )?updates", r"stay (?:informed|up to date)",
    r"anmelden|abonnieren|bleiben sie informiert", r"inscri(?:vez-vous|ption)|abonnez-vous",
)
_SCRIPT_ANCHOR = (r"javascript", r"(?:unsupported|outdated|old) browser")
_SCRIPT = _SCRIPT_ANCHOR + (
    r"(?:enable|activate|turn on)(?: javascript| it)?", r"(?:disabled|required) javascript",
    r"(?:update|upgrade) (?:your )?browser", r"your browser", r"(?:javascript )?(?:aktivieren|deaktiviert)",
    r"activer (?:le )?javascript|javascript (?:est )?désactivé|votre navigateur",
)

# Each kind: its reason, its anchors (one must occur for it to count), its sentence phrases; order breaks ties.
KINDS = (
    ("reprint notice", _REPRINT, _REPRINT),
    ("cookie notice", _COOKIE_ANCHOR, _COOKIE),
    ("copyright notice", _COPYRIGHT_ANCHOR, _COPYRIGHT),
    ("error page", _ERROR_ANCHOR, _ERROR),
    ("newsletter notice", _NEWSLETTER_ANCHOR, _NEWSLETTER),
    ("login or paywall notice", _LOGIN_ANCHOR, _LOGIN),
    ("JavaScript notice", _SCRIPT_ANCHOR, _SCRIPT),
)
# Most articles hold no anchor and cost one pass of this pattern.
_ANCHORS = _whole_words({f"k{i}": anchors for i, (_, anchors, _) in enumerate(KINDS)})
_URL = re.compile(r"(?:https?://|www\.)\S+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


@cache
def _vocabulary(kinds: frozenset[str]) -> re.Pattern[str]:
    """One pattern for the vocabularies of the kinds found (group names as in _ANCHORS)."""
    return _whole_words({f"k{i}": words for i, (_, _, words) in enumerate(KINDS) if f"k{i}" in kinds})


def notice_shares(text: str) -> dict[str, float]:
    """Each notice kind whose anchors occur in the text -> the share of its characters in that kind's sentences."""
    lowered = _URL.sub(" ", text.lower())
    kinds = frozenset(m.lastgroup for m in _ANCHORS.finditer(lowered) if m.lastgroup)
    if not kinds:
        return {}
    vocabulary = _vocabulary(kinds)
    total = 0
    chars: dict[str, int] = {}
    for sentence in _SENTENCE_END.split(lowered):
        size = len(sentence.strip())
        total += size
        found = vocabulary.search(sentence) if size else None
        if found and found.lastgroup:
            reason = KINDS[int(found.lastgroup[1:])][0]
            chars[reason] = chars.get(reason, 0) + size
    return {reason: count / total for reason, count in chars.items()} if total else {}


def boilerplate_reason(text: str) -> str | None:
    """The kind of notice ("cookie notice", ...) when notices hold more than NOTICE_SHARE of the text's
    characters, "no text" for an empty one, else None."""
    if not _URL.sub("", text.lower()).strip():
        return "no text"
    shares = notice_shares(text)
    if sum(shares.values()) <= NOTICE_SHARE:
        return None
    return max(shares, key=shares.__getitem__)
