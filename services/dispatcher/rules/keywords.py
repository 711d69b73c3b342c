"""SMS keywords (SMS-KEYWORDS), checked before any other reading of a reply.

Opt-out follows the FCC's 2024 rule: consent is revoked "by any reasonable means", not only by
the carrier keywords. `classify_keyword` therefore reads what people actually text:

- the keywords (STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, REVOKE, OPT OUT, REMOVE, ARRET, TD,
  HALT, CEASE; Spanish BAJA, ALTO, PARAR, PAREN, CANCELAR, BASTA, DETENER, FIN, NO MAS) in any
  case, with any punctuation, stretched ("stooop", "Stopp"), with digits for letters ("st0p",
  "5top"), spaced or dotted out ("S T O P", "s.t.o.p"), split ("St op"), or swapped by a slip
  of the thumb ("Stpo", "cancle"), alone or with polite, impatient or angry words ("cancel
  please", "omg stop", "stop it", "paren ya");
- short plain-language requests, English and Spanish: "I want to stop", "stop these", "please
  cancel", "no more", "quit texting", "unsubscribe me pls", "dont want these anymore", "leave me
  alone", "take me off your list", "wrong number", "ya no quiero mensajes", "no me escriban",
  "dejen de enviar mensajes", "deténganse", "darme de baja".

It keeps the other senses of the same words: a medicine, a habit or a symptom that stops ("I
can't stop crying", "should I stop taking it?", "quit smoking is hard", "take me off lithium"),
the appointment ("cancel my appointment"), a place or a time ("stop by the pharmacy later", "end
of the day", "Is this the end?"), a negated request ("don't stop my meds"), and suicidal
language ("I want to end it all": the crisis screen's, never an opt-out). A number is never a
keyword.

`opt_out_unsure` is a text that is probably, not surely, an opt-out: the dispatcher asks once
("Reply STOP to stop all texts") instead of carrying on silently. It covers CANCEL, QUIT or END
in a sentence that may mean an appointment or the treatment ("I want to cancel", "cancel it", "I
quit", "Cancel. I can't make it Tuesday"), fed-up texts that do not ask in so many words
("enough", "spam", "not interested", "too many texts", "go away"), calls rather than texts
("stop calling me"), some texts only ("stop texting me so early", "no reminders on weekends",
"stop sending appointment reminders"), and near-misses of STOP ("stp", "srop").

Opt-in: START, UNSTOP, RESUME, SUBSCRIBE (with polite words), and YES/SI only from an opted-out
number. Help: HELP, INFO, AYUDA as the whole message.

`twilio_keyword` is what Twilio itself does with the same text when the account keeps Twilio's
default opt-out handling: a message that is exactly one of its keywords (case aside, spaces
trimmed) is answered by Twilio with its standard text, and STOP blocks the number (error 21610)
until START, UNSTOP or YES. Anything else ("stop please", "STOP REMINDERS", RESUME, AYUDA) Twilio
passes on untouched: those are the dispatcher's to answer, and they do not block the number.

`cancel_word` says whether an opt-out is the word CANCEL / CANCELAR itself (alone or with polite
words: "cancel", "CANCEL please", "cancelar por favor", "cancel!!"): the dispatcher treats such an
opt-out after an appointment reminder as also being a request about that appointment.

Pure and fast (it runs on every inbound SMS): a few passes over at most `MAX_CHARS` characters,
about 20 us for a usual reply and a few ms for a hostile 2,000-character text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from shared.lexicon.normalize import collapse, deleet, tokens

Keyword = Literal["opt_out", "opt_out_unsure", "opt_in", "help"]
Verdict = Literal["opt_out", "opt_out_unsure"] | None

MAX_CHARS = 2000
"""Longer texts are read up to here (an SMS of ten segments is 1,530 characters)."""
MAX_CLAUSES = 40
"""Sentences read one by one, at most (the whole text is always read as well)."""
_REACH = 16
"""Words after a verb or phrase that can bear on it."""

OUT: Verdict = "opt_out"
UNSURE: Verdict = "opt_out_unsure"


def _keys(*words: str) -> frozenset[str]:
    """Words compared as typed words are: every run of one letter read as one."""
    return frozenset(collapse(w) for w in words)


# Whole message (after polite words): the keyword itself.
OPT_OUT_WORDS = _keys(
    "stop", "stopall", "stahp", "halt", "cease", "desist", "unsubscribe", "unsub", "cancel",
    "end", "quit", "revoke", "optout", "remove", "arret", "td", "baja", "alto", "parar", "paren",
    "pare", "cancelar", "cancela", "cancelen", "basta", "revocar", "detener", "detente", "detengan",
    "detenganse", "detengase", "fin", "terminar", "nomore", "nomas", "desuscribir",
    "desuscribirme",
)  # fmt: skip
CANCEL_WORDS = _keys("cancel", "cancelar", "cancela", "cancelen", "cancele")
# Whole message: probably "stop texting me", or a keyword that is not surely one.
UNSURE_WORDS = _keys(
    "exit", "enough", "spam", "stops", "discontinue", "salir", "unsubscribed", "block", "blocked",
    "stopsign",
)  # fmt: skip
OPT_IN = _keys("start", "unstop", "subscribe", "resume")
HELP = _keys("help", "info", "ayuda")

# Verbs that ask to stop, by kind (how sure their bare use is: _IMPERATIVE below).
_VERBS: dict[str, tuple[str, ...]] = {
    "stop": (
        "stop", "stopall", "stahp", "halt", "cease", "parar", "paren", "pare", "detener",
        "detente", "detengan", "detenganse", "detengase", "basta",
    ),
    "quit": ("quit",),
    "cancel": ("cancel", "cancelar", "cancela", "cancelen", "cancele"),
    "end": ("end", "terminar", "terminen"),
    "remove": (
        "remove", "delete", "lose", "saquenme", "sacame", "sacarme", "quitenme", "quitame",
        "borrenme", "eliminenme",
    ),
    "unsub": ("unsubscribe", "unsub", "optout", "desuscribir", "desuscribirme", "desuscribanme"),
    "revoke": ("revoke", "revocar", "revoco", "withdraw"),
    "enough": ("enough",),
    "para": ("para",),
    "dejar": ("dejen", "deja", "deje", "dejes", "dejar"),
}  # fmt: skip
_KIND = {collapse(verb): kind for kind, verbs in _VERBS.items() for verb in verbs}
# A bare CANCEL, QUIT, END or REMOVE next to other content may be about something else.
_WEAK_KINDS = frozenset({"cancel", "quit", "end", "remove"})

# What the texts are: an object that makes a stop verb an opt-out.
TEXTS = _keys(
    "text", "texts", "txt", "txts", "texting", "txting", "message", "messages", "msg", "msgs",
    "messaging", "sms", "reminder", "reminders", "reminding", "notification", "notifications",
    "notifs", "msging", "msgng", "txtin", "textin", "textng", "alert", "alerts", "notice",
    "notices", "update", "updates", "sending", "contacting", "bothering", "bugging", "harassing",
    "pestering", "spamming", "pinging", "subscription",
    "consent", "permission", "list", "number", "stuff", "mensaje", "mensajes", "mensajitos",
    "msj", "msjs", "texto", "textos", "recordatorio", "recordatorios", "notificaciones", "avisos",
    "alertas", "suscripcion", "lista", "numero", "consentimiento", "enviar", "enviarme", "mandar",
    "mandarme", "escribir", "escribirme", "molestar", "molestarme", "textear", "textearme",
    "mensajear", "contactar", "contactarme",
)  # fmt: skip
# Objects that are contact, but maybe not these texts.
TEXTS_MAYBE = _keys(
    "call", "calls", "calling", "phone", "program", "programa", "service", "servicio", "llamadas",
    "emails", "emailing",
)  # fmt: skip
# "stop getting these", "stop receiving": only with an object (or none at all).
RECEIVING = _keys("receiving", "getting", "recibir", "get", "receive", "recieve", "have")
# Words that only narrow what is stopped: "the appointment reminders" (which texts?).
SCOPE = _keys(
    "appointment", "appointments", "appt", "appts", "medication", "medications", "med", "meds",
    "medicine", "dose", "doses", "pill", "pills", "refill", "refills", "checkin", "survey",
    "surveys", "cita", "citas", "medicina", "medicamento",
)  # fmt: skip
# After the texts, a time or topic that limits the request to some of them.
QUALIFIERS = _keys(
    "before", "after", "until", "till", "til", "early", "late", "night", "nights", "morning",
    "mornings", "evening", "evenings", "weekend", "weekends", "today", "tonight", "tomorrow",
    "about", "regarding", "during", "while", "so", "much", "often", "hour", "hours", "am", "pm",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "mondays",
    "tuesdays", "wednesdays", "thursdays", "fridays", "saturdays", "sundays", "week", "every",
    "noche", "manana", "temprano", "sobre",
)  # fmt: skip
# Passed over between a verb and its object.
_SKIP = _keys(
    "the", "these", "those", "your", "ur", "yalls", "all", "any", "more", "of", "with", "such",
    "my", "our", "stupid", "annoying", "dumb", "mas", "los", "las", "sus", "estos", "estas",
    "esos", "todos", "tus", "de", "mi", "mis", "tu", "su", "la", "el", "from", "this", "that",
    "me", "us",
)  # fmt: skip
_PRONOUNS = {
    **dict.fromkeys(_keys("it"), "it"),
    **dict.fromkeys(_keys("this", "that", "esto", "eso"), "this"),
    **dict.fromkeys(
        _keys("these", "those", "them", "em", "estos", "esos", "estas", "anything", "nada"),
        "these",
    ),
    **dict.fromkeys(_keys("all", "todos"), "all"),
    **dict.fromkeys(_keys("everything", "todo"), "every"),
    **dict.fromkeys(_keys("me", "us"), "me"),
}
# A new sentence after the verb, its punctuation lost: "STOP I want to die", "stop its annoying".
_BOUNDARY = _keys(
    "i", "im", "ive", "id", "ill", "we", "were", "you", "youre", "u", "its", "theyre", "they",
    "yo", "estoy", "who", "what", "why", "this", "not", "no", "wrong", "is", "are",
)  # fmt: skip
_ELSE = _keys("else", "mas", "more", "anymore")
_BE = _keys("is", "was", "are", "isnt", "aint", "sucks", "gets", "keeps", "needs", "has", "es")
_NEGATORS = _keys(
    "dont", "not", "never", "cant", "cannot", "wont", "didnt", "doesnt", "shouldnt", "couldnt",
    "wouldnt", "isnt", "dnt", "nunca",
)  # fmt: skip
_SPANISH = _keys(
    "parar", "paren", "pare", "detener", "detente", "detengan", "detenganse", "detengase",
    "cancelar", "cancela", "cancelen", "cancele", "terminar", "terminen", "basta", "para",
    "dejen", "deja", "deje", "dejes", "dejar", "saquenme", "sacame", "sacarme", "quitenme",
    "quitame", "borrenme", "eliminenme", "desuscribir", "desuscribirme", "desuscribanme",
    "revocar",
)  # fmt: skip
# Before a word, makes it a noun: "the end", "bus stop".
_NOUN_BEFORE = _keys(
    "the", "a", "an", "my", "your", "our", "his", "her", "their", "next", "last", "first", "bus",
    "pit", "full", "one", "each", "every", "el", "la", "al", "del", "este",
)  # fmt: skip
_YOU = _keys("you", "u", "yall", "guys", "ustedes")
_SAID = _keys("said", "told", "asked", "dije", "pedi")
_WANT = _keys("want", "like", "wish", "quiero", "deseo", "quisiera", "queremos", "wana")
_NEED = _keys("need", "have", "gotta", "got", "must", "necesito", "tengo")
_POLITE_BEFORE = _keys("please", "pls", "plz", "just", "so", "ok", "okay", "no", "now", "kindly")

# Words that carry no request of their own: "please", "now", "omg".
FILLER = _keys(
    "please", "pls", "plz", "plse", "plez", "pleas", "pleez", "thanks", "thank", "thx", "thnx",
    "tks", "ty", "now", "just", "ok", "okay", "okey", "k", "kk", "already", "asap",
    "immediately", "immediatly", "kindly", "sir", "maam", "hi", "hello", "hey", "hola", "oye",
    "seriously", "omg", "ugh", "lol", "wtf", "ffs", "fucking", "fuckin", "freaking", "frickin",
    "effing", "damn", "goddamn", "man", "dude", "bro", "guys", "again", "anymore", "porfa",
    "porfavor", "xfa", "gracias", "ahora", "ahorita", "stopsign", "por", "favor", "yes", "si",
)  # fmt: skip
_FILLER_PAIRS = {("thank", "you"), ("thank", "u"), ("right", "now"), ("for", "now"), ("x", "favor")}
# "ya" ("already") is filler, except in "ya no quiero" (I no longer want).

# Fixed phrases anywhere in the text (keys joined by single spaces).
_PHRASES_OUT = (
    "leave me alone", "leave me be", "dejenme en paz", "dejame en paz", "dejenme tranquilo",
    "dejenme tranquila", "wrong number", "wrong person", "numero equivocado", "de baja",
    "opt me out", "cease and desist", "no longer text", "no mas mensajes", "be removed",
    "get removed", "be taken off", "be unsubscribed", "removed from the list",
    "removed from your list", "removed from this list", "number removed",
)  # fmt: skip
_PHRASES_UNSURE = (
    "go away", "fuck off", "f off", "piss off", "get lost", "want out", "im out", "not interested",
    "no interesa", "spam", "harassment", "you keep texting", "you keep sending", "u keep texting",
    "you keep messaging", "siguen mandando", "unsubscribed", "blocking",
)  # fmt: skip


def _phrase_keys(phrases: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(" ".join(collapse(w) for w in p.split()) for p in phrases)


PHRASES_OUT = _phrase_keys(_PHRASES_OUT)
PHRASES_UNSURE = _phrase_keys(_PHRASES_UNSURE)
_MANY = _keys("many", "to", "so")
_OWNER = _keys("me", "us", "my", "this", "our", "number", "numero", "phone", "cell")
_WHOSE = _keys("me", "us", "number", "numero", "phone", "cell")
_OPENING = _keys("ya", "said", "i", "so", "and")
_DONT = _keys("dont", "never", "dnt")
_WANT_VERBS = _keys("want", "need", "wanna", "wish")
_LEADING = _keys("to", "you", "u", "que", "me", "ustedes")
_NOT_AFTER = _keys("me", "us", "anymore")
_PREPS = _keys("at", "on", "in", "for", "a", "en", "por", "los")
# "don't text me", "no me escriban": a contact verb after a negation.
CONTACT = _keys(
    "text", "txt", "message", "msg", "sms", "contact", "send", "bother", "spam", "remind",
    "write", "ping", "bug", "email", "harass", "escriban", "escribas", "escriba", "manden",
    "mandes", "mande", "envien", "envies", "envie", "contacten", "contactes", "molesten",
    "molestes", "textean", "mensajeen",
)  # fmt: skip
CONTACT_MAYBE = _keys("call", "phone", "llamen", "llames", "llame")

_CLAUSES = re.compile(r"[.!?;:]+(?=\s|$)|[,\n]+|\s[-\u2013\u2014]+\s")
_STOP_SIGNS = str.maketrans({"\U0001f6d1": " stopsign ", "\u26d4": " stopsign "})
_RANK = {None: 0, "opt_out_unsure": 1, "opt_out": 2}


@dataclass
class _Reading:
    verdict: Verdict = None
    weak: bool = False
    """Only a bare CANCEL/QUIT/END/REMOVE: an opt-out alone, unsure beside other content."""

    def add(self, verdict: Verdict, *, weak: bool = False) -> None:
        if _RANK[verdict] > _RANK[self.verdict] or (
            verdict == self.verdict == OUT and self.weak and not weak
        ):
            self.verdict, self.weak = verdict, weak


def classify_keyword(text: str, *, opted_out: bool) -> Keyword | None:
    """Opt-out first, then opt-in (YES only from an opted-out number), then HELP, then an
    unsure opt-out. A number is never a keyword."""
    text = text[:MAX_CHARS].translate(_STOP_SIGNS)
    words = _words(text)
    if not any(any(c.isalpha() for c in w) for w in words):
        return None
    reading = _read(words, question="?" in text)
    if reading.verdict == OUT and not reading.weak:
        return "opt_out"
    parts = [p for p in _CLAUSES.split(text) if p.strip()][:MAX_CLAUSES]
    if len(parts) > 1:
        for part in parts:
            clause = _read(_words(part), question="?" in part)
            # A clause's bare CANCEL next to other content: asked, not assumed.
            reading.add(UNSURE if clause.weak else clause.verdict, weak=False)
    if reading.verdict == OUT:
        return "opt_out"
    core = _core(words)
    glued = _glued(core)
    if (len(core) == 1 and core[0] in OPT_IN) or (glued is not None and glued in OPT_IN):
        return "opt_in"
    if opted_out and words in (["yes"], ["si"]):
        return "opt_in"
    if len(words) == 1 and words[0] in HELP:
        return "help"
    return reading.verdict


TwilioKeyword = Literal["STOP", "START", "HELP"]
TWILIO_OPT_OUT = frozenset(
    {"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "revoke", "optout"}
)
"""Twilio's default opt-out keywords (REVOKE and OPTOUT in newer accounts)."""
TWILIO_OPT_IN = frozenset({"start", "unstop"})
"""Twilio's default opt-in keywords; YES as well, from a number Twilio blocks."""
TWILIO_HELP = frozenset({"help", "info"})


def twilio_keyword(text: str, *, blocked: bool) -> TwilioKeyword | None:
    """What Twilio's default opt-out handling made of the text (None: nothing, it only
    forwarded it): the whole message one keyword, in any case, spaces around it trimmed.
    `blocked`: Twilio blocks the number (it texted one of Twilio's STOP words)."""
    word = text.strip().casefold()
    if word in TWILIO_OPT_OUT:
        return "STOP"
    if word in TWILIO_OPT_IN or (blocked and word == "yes"):
        return "START"
    if word in TWILIO_HELP:
        return "HELP"
    return None


def answered_by_twilio(
    text: str, *, opt_out_type: TwilioKeyword | None, mode: str, blocked: bool
) -> TwilioKeyword | None:
    """The keyword Twilio already answered (and, for STOP, now blocks the number for), so the
    dispatcher must not answer it again: the webhook's OptOutType when Twilio sent one (Advanced
    Opt-Out); else, with Twilio's default handling (`mode` "twilio_default"), its own reading
    of the text; with Advanced Opt-Out and no OptOutType, nothing."""
    if opt_out_type is not None:
        return opt_out_type
    if mode != "twilio_default":
        return None
    return twilio_keyword(text, blocked=blocked)


def cancel_word(text: str) -> bool:
    """The message is an opt-out by the word CANCEL / CANCELAR itself, alone or with polite
    words ("cancel", "CANCEL please", "cancelar por favor", "cancel!!")."""
    if classify_keyword(text, opted_out=False) != "opt_out":
        return False
    core = _core(_words(text[:MAX_CHARS].translate(_STOP_SIGNS)))
    word = core[0] if len(core) == 1 else _glued(core)
    return word is not None and (word in CANCEL_WORDS or _swapped(word, "cancel"))


def _words(text: str) -> list[str]:
    """Folded words (normalize.tokens), each with its runs of one letter read as one."""
    out: list[str] = []
    for word in tokens(text):
        key = collapse(word)
        if out and out[-1] in ("opt", "opting") and key == "out":
            out[-1] = "optout"
        else:
            out.append(key)
    return out


def _filler(words: list[str]) -> list[bool]:
    """Which words carry no request of their own."""
    flags = [w in FILLER for w in words]
    for i in range(len(words) - 1):
        if (words[i], words[i + 1]) in _FILLER_PAIRS:
            flags[i] = flags[i + 1] = True
    for i, word in enumerate(words):
        if word == "ya" and (i + 1 == len(words) or words[i + 1] != "no"):
            flags[i] = True
    return flags


def _core(words: list[str]) -> list[str]:
    """The words that are not filler, a word repeated in a row once ("stop stop stop")."""
    out: list[str] = []
    for word, filler in zip(words, _filler(words), strict=True):
        if not filler and (not out or out[-1] != word):
            out.append(word)
    return out


def _glued(core: list[str]) -> str | None:
    """A word typed in short pieces, read whole: "St op", "S T 0 P", "can cel", "UN SUBSCRIBE"."""
    if 2 <= len(core) <= 6 and min(map(len, core)) <= 3 and sum(map(len, core)) <= 12:
        return collapse(deleet("".join(core)))
    return None


def _read(words: list[str], *, question: bool) -> _Reading:
    """What one text, or one sentence of it, asks."""
    reading = _Reading()
    filler = _filler(words)
    core = _core(words)
    if not core:
        if "stopsign" in words:
            reading.add(UNSURE)
        return reading
    if len(core) == 1:
        _single(core[0], filler_used=any(filler), reading=reading)
    glued = _glued(core)
    if glued is not None and glued in OPT_OUT_WORDS:
        reading.add(OUT, weak=_KIND.get(glued) in _WEAK_KINDS)
    if len(core) == 1:
        return reading
    content = [i for i, f in enumerate(filler) if not f]
    _phrases(words, content, question=question, reading=reading)
    for n, i in enumerate(content):
        if words[i] in _KIND:
            _verb(words, content, n, filler, reading)
    return reading


def _single(word: str, *, filler_used: bool, reading: _Reading) -> None:
    """A message of one word (polite words aside)."""
    if word == "para":
        reading.add(OUT if filler_used else UNSURE)  # "para ya": stop now; "para": for?
    elif word in OPT_OUT_WORDS:
        reading.add(OUT, weak=_KIND.get(word) in _WEAK_KINDS)
    elif word in UNSURE_WORDS:
        reading.add(UNSURE)
    elif not word.isalpha():
        return
    elif any(_swapped(word, k) for k in ("stop", "cancel", "cancelar", "quit", "unsubscribe")):
        reading.add(OUT, weak=_swapped(word, "cancel") or _swapped(word, "quit"))
    elif 9 <= len(word) <= 13 and _distance_one(word, "unsubscribe"):
        reading.add(OUT)
    elif 3 <= len(word) <= 5 and _distance_one(word, "stop"):
        reading.add(UNSURE)


def _phrases(words: list[str], content: list[int], *, question: bool, reading: _Reading) -> None:
    """Fixed phrases, "no more ...", "don't text me", "I don't want these"."""
    kept = [words[i] for i in content]
    padded = f" {' '.join(kept)} "
    if any(f" {p} " in padded for p in PHRASES_OUT):
        reading.add(OUT)
    if any(f" {p} " in padded for p in PHRASES_UNSURE):
        reading.add(UNSURE)
    for n, word in enumerate(kept):
        after = kept[n + 1 : n + 1 + _REACH]
        if word in ("take", "want", "get") and "of" in after[:4]:
            # "take me off your list", "I want off this list"; not "take me off lithium"
            owner = after[: after.index("of")]
            if set(owner) <= _OWNER and (word == "want" or set(owner) & _WHOSE):
                found = _object(after[len(owner) + 1 :])
                if found.what in ("end", "texts") or (word == "want" and found.what == "this"):
                    reading.add(UNSURE if found.narrowed else OUT)
        elif word == "done" and after[:1] == ["with"]:
            found = _object(after[1:])
            if found.what in ("texts", "these"):
                reading.add(OUT)
            elif found.what in ("this", "it"):
                reading.add(UNSURE)
        elif word in _MANY and after[:1] == ["many"] and after[1:2] and after[1] in TEXTS:
            reading.add(UNSURE)  # "too many texts"
        elif word == "no" and after[:1] in (["more"], ["mas"]):
            # "no more", "no more texts", "ya no más"; not "there's no more", "no more pain"
            found = _object(after[1:])
            opening = n == 0 or kept[n - 1] in _OPENING
            if found.what == "end" and opening:
                reading.add(OUT)
            elif found.what == "texts" and found.narrowed:
                reading.add(UNSURE if opening else None)
            elif found.what in ("texts", "these", "all") and not found.after:
                reading.add(OUT)
        elif word == "no" and n == 0 and after[:1] and after[0] in TEXTS and not question:
            # "no texts please"; not "no text from the doctor yet", "I got no text"
            found = _object(after)
            if found.what == "texts" and found.narrowed:
                reading.add(UNSURE)
            elif found.what == "texts" and not found.after:
                reading.add(OUT)
        elif word == "no" and after[:1] == ["me"] and after[1:2]:
            # "no me escriban"; not "no me siento bien"
            if after[1] in CONTACT:
                reading.add(UNSURE if _object(after[2:]).narrowed else OUT)
            elif after[1] in CONTACT_MAYBE:
                reading.add(UNSURE)
        elif word in _DONT or (n > 0 and (kept[n - 1], word) in (("do", "not"), ("no", "longer"))):
            _dont(kept, n + 1, reading)
        elif word in ("quiero", "necesito") and n > 0 and kept[n - 1] == "no":
            _no_quiero(kept, n, reading)


def _dont(kept: list[str], start: int, reading: _Reading) -> None:
    """After "don't" / "never" / "no longer": a contact verb, or not wanting the texts."""
    if start >= len(kept):
        return
    verb, rest = kept[start], kept[start + 1 :]
    if verb in CONTACT:
        found = _object(rest, contact=True)
        if found.what in ("end", "texts", "these", "me"):
            reading.add(UNSURE if found.narrowed else OUT)
    elif verb in CONTACT_MAYBE:
        found = _object(rest, contact=True)
        if found.what in ("end", "me", "texts"):
            reading.add(UNSURE)
    elif verb in _WANT_VERBS:
        _not_wanted(rest, reading, bare=None)


def _no_quiero(kept: list[str], n: int, reading: _Reading) -> None:
    """ "ya no quiero mensajes"; "no quiero" alone refuses something else (the dose)."""
    bare: Verdict = UNSURE if n >= 2 and kept[n - 2] == "ya" else None
    _not_wanted(kept[n + 1 : n + 1 + _REACH], reading, bare=bare)


def _not_wanted(rest: list[str], reading: _Reading, *, bare: Verdict) -> None:
    """After "don't want", "no quiero": the texts, or something else (the dose, a ride)."""
    lead = 0
    while lead < len(rest) and rest[lead] in _LEADING:
        lead += 1
    verb = rest[lead] if lead < len(rest) else None
    contact = verb in CONTACT
    if verb is not None and (verb in RECEIVING or contact):
        rest = rest[lead + 1 :]  # "don't want to receive", "don't want you to text me"
    elif verb in CONTACT_MAYBE:
        reading.add(UNSURE)  # "no quiero que me llamen"
        return
    elif lead and rest[:1] != ["me"]:
        return  # "I don't want to take it", "no quiero ir"
    found = _object(rest, contact=contact)
    if not rest and (contact or verb in RECEIVING):
        reading.add(OUT)  # "I don't want to receive", "no quiero que me escriban"
    elif found.what in ("texts", "these", "all") or (contact and found.what == "me"):
        reading.add(UNSURE if found.narrowed else OUT)
    elif found.what in ("this", "every", "maybe"):
        reading.add(UNSURE)
    elif found.what == "end" and bare is not None:
        reading.add(bare)


@dataclass
class _Found:
    what: str
    """end (nothing), texts, maybe (calls, the programme), it, this, these, all, every, me,
    other (anything else: a medicine, a place, a habit)."""
    narrowed: bool = False
    """The texts, narrowed to some of them (a time, a topic)."""
    boundary: bool = False
    """Nothing after the verb but a new sentence ("STOP I want to die")."""
    after: tuple[str, ...] = ()
    """The words after the texts ("from the doctor yet")."""


def _object(rest: list[str], *, contact: bool = False) -> _Found:
    """What a stop verb (or "no more", "don't want") is about, from the words after it."""
    scoped = False
    receiving = False
    for j, word in enumerate(rest[:8]):
        nxt = rest[j + 1] if j + 1 < len(rest) else None
        if word in TEXTS and not (word in ("number", "list") and j == 0 and not contact):
            narrowed = scoped or _narrowed(rest[j + 1 :])
            after = tuple(w for w in rest[j + 1 :] if w not in _NOT_AFTER)
            return _Found("texts", narrowed=narrowed, after=after)
        if word in TEXTS_MAYBE:
            return _Found("maybe")
        if word in RECEIVING and word != "have":
            receiving = True
            continue
        if _limits(word) or (word in _PREPS and nxt is not None and _limits(nxt)):
            if contact and (j == 0 or rest[j - 1] in ("me", "us")):
                return _Found("me", narrowed=True)  # "don't text (me) before 9am"
            scoped = True  # "the appointment reminders", "the 8am reminders", "morning texts"
            continue
        if word in _PRONOUNS and (nxt is None or nxt in _BE or nxt in _BOUNDARY or nxt in _ELSE):
            what = _PRONOUNS[word]
            if contact and what == "me":
                return _Found("me", narrowed=_narrowed(rest[j + 1 :]))
            return _Found(what)
        if word in _SKIP:
            continue
        if word in _BOUNDARY and j == 0:
            return _Found("end", boundary=True)
        return _Found("other")
    if scoped:
        return _Found("other")  # "cancel my appointment"
    if receiving:
        return _Found("texts")  # "stop receiving"
    if any(w in TEXTS for w in rest[:8]):
        return _Found("texts")
    return _Found("end")


def _narrowed(after: list[str]) -> bool:
    """A time or topic right after the texts: "so early", "before 9am", "on weekends"."""
    for word in after[:5]:
        if word in _BOUNDARY and word not in ("this", "no"):
            return False
        if _limits(word):
            return True
    return False


def _limits(word: str) -> bool:
    """A time or a topic: "night", "9am", "appointment"."""
    return word in QUALIFIERS or word in SCOPE or any(c.isdigit() for c in word)


# Bare imperative, by kind: result for each object found.
_IMPERATIVE: dict[str, dict[str, Verdict]] = {
    "stop": {"end": OUT, "texts": OUT, "it": OUT, "this": OUT, "these": OUT, "all": OUT},
    "quit": {"end": OUT, "texts": OUT, "it": OUT, "this": OUT, "these": OUT, "all": OUT},
    "cancel": {"end": OUT, "texts": OUT, "it": UNSURE, "this": UNSURE, "these": OUT},
    "end": {"end": OUT, "texts": OUT, "this": UNSURE, "these": OUT},
    "remove": {"end": OUT, "texts": OUT, "me": OUT, "these": UNSURE, "all": UNSURE},
    "unsub": {"end": OUT, "texts": OUT, "it": OUT, "this": OUT, "these": OUT, "all": OUT},
    "revoke": {"end": OUT, "texts": OUT, "it": OUT, "this": OUT, "these": OUT, "all": OUT},
    "enough": {"end": UNSURE, "texts": OUT, "this": UNSURE, "these": UNSURE},
    "para": {"texts": OUT},
    "dejar": {"texts": OUT},
}
for _row in _IMPERATIVE.values():
    _row.setdefault("every", UNSURE if _row.get("this") else None)
    _row.setdefault("maybe", UNSURE)
_IMPERATIVE["end"]["every"] = None  # "end everything": the crisis screen's
_IMPERATIVE["unsub"].update(other=OUT, me=OUT, every=OUT)
_IMPERATIVE["cancel"]["me"] = OUT
# "I want to stop" / "I want to cancel" with nothing after the verb.
_WANTED: dict[str, Verdict] = {"stop": OUT, "unsub": OUT, "revoke": OUT}


def _verb(
    words: list[str], content: list[int], n: int, filler: list[bool], reading: _Reading
) -> None:
    """A stop verb in context: its object, what comes before it, a negation."""
    i = content[n]
    word = words[i]
    kind = _KIND[word]
    before = [words[k] for k in content[max(0, n - 6) : n]]
    if kind == "dejar" and not (i + 1 < len(words) and words[i + 1] == "de"):
        return
    if before and before[-1] in _NOUN_BEFORE:
        return  # "the end", "bus stop"
    if _negated(before, spanish=word in _SPANISH):
        return  # "don't stop my meds", "I can't stop crying", "no puedo parar de llorar"
    found = _object([words[k] for k in content[n + 1 : n + 1 + _REACH]])
    if found.what == "end" and kind in ("stop", "end", "quit") and _texts_before(before):
        asking = any(w in _ASKING for w in before)
        reading.add(UNSURE if asking else OUT)  # "these texts need to stop"; "when do they end?"
        return
    if kind in _WEAK_KINDS and found.boundary:
        reading.add(UNSURE)  # "Cancel I can't make it Tuesday"
        return
    base = _IMPERATIVE[kind].get(found.what)
    if found.what == "texts" and found.narrowed and base is not None:
        base = UNSURE
    context = _context(words, filler, i, before)
    if context == "imperative":
        verdict = base
    elif context == "said":
        verdict = OUT if base is not None else None  # "I said stop", "I told you to cancel"
    elif context == "you":
        verdict = UNSURE if base == OUT and found.what == "end" and kind in _WEAK_KINDS else base
    elif found.what in ("texts", "maybe"):
        verdict = base
    elif found.what == "other" or base is None:
        verdict = None
    elif context == "want":
        wanted = _WANTED.get(kind, UNSURE)
        verdict = wanted if found.what in ("end", "these", "all") else UNSURE
    elif context in ("need", "how"):
        verdict = OUT if kind in ("unsub", "revoke") else UNSURE
    elif context == "i":
        verdict = {"quit": UNSURE, "cancel": UNSURE, "unsub": OUT, "revoke": OUT}.get(kind)
        verdict = verdict if found.what == "end" else None
    else:
        verdict = None
    if kind == "para" and context != "imperative":
        verdict = None
    weak = kind in _WEAK_KINDS and found.what == "end" and verdict == OUT
    reading.add(verdict, weak=weak)


_LINKS = _keys("to", "need", "needs", "have", "has", "must", "got", "gotta", "should", "will")
_ASKING = _keys("when", "will", "do", "does", "did", "if", "how", "whether")


def _texts_before(before: list[str]) -> bool:
    """The texts are what should stop: "these texts need to stop", "make the texts stop"."""
    for word in reversed(before):
        if word in TEXTS:
            return True
        if word not in _LINKS:
            return False
    return False


def _negated(before: list[str], *, spanish: bool) -> bool:
    """A negation in the three words before the verb, unless a "why" asks it ("why won't you
    stop texting me")."""
    window = before[-3:]
    if "why" in before:
        return False
    if any(w in _NEGATORS for w in window) or window[-2:] == ["do", "not"]:
        return True
    return spanish and "no" in window


def _context(words: list[str], filler: list[bool], i: int, before: list[str]) -> str:
    """Who is asked, and how: imperative ("stop", "please stop"), you ("can you stop"), said
    ("I said stop"), want ("I want to stop"), need, how ("how do I stop"), i ("I quit"),
    other ("my doctor told me to stop")."""
    if not before or (i > 0 and filler[i - 1] and words[i - 1] in _POLITE_BEFORE):
        return "imperative"
    if before[-1] in _POLITE_BEFORE or before == ["no"]:
        return "imperative"
    if any(w in _SAID for w in before) and not any(
        w in ("doctor", "dr", "he", "she") for w in before
    ):
        return "said"
    if any(w in _YOU for w in before) and "i" not in before and "me" not in before:
        return "you"
    if (
        before[-1] == "wana"
        or (before[-1] in _WANT)
        or before[-2:] in (["want", "to"], ["like", "to"], ["wish", "to"])
    ):
        return "want"
    if before[-1] == "to" and len(before) >= 2 and before[-2] in _NEED:
        return "need"
    if "how" in before:
        return "how"
    if before == ["i"] or before == ["we"]:
        return "i"
    return "other"


def _swapped(word: str, key: str) -> bool:
    """Two neighbouring letters of `key` swapped ("stpo", "cancle")."""
    if len(word) != len(key) or word == key or len(key) < 4:
        return False
    diff = [k for k in range(len(key)) if word[k] != key[k]]
    return (
        len(diff) == 2
        and diff[1] == diff[0] + 1
        and word[diff[0]] == key[diff[1]]
        and word[diff[1]] == key[diff[0]]
    )


def _distance_one(word: str, key: str) -> bool:
    """One letter added, dropped or changed."""
    if word == key or abs(len(word) - len(key)) > 1:
        return False
    if len(word) == len(key):
        return sum(a != b for a, b in zip(word, key, strict=True)) == 1
    short, long_ = sorted((word, key), key=len)
    return any(long_[:k] + long_[k + 1 :] == short for k in range(len(long_)))
