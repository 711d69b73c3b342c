"""Crisis language in a patient's or caregiver's text (SE-ANY-EMERGENCY), as P0 or P1."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from shared.lexicon.normalize import collapse, tokens

Level = Literal["P0", "P1"]

# The order categories are reported in, whatever order the phrases matched in.
CATEGORIES = (
    "self_harm",
    "overdose",
    "breathing",
    "chest_pain",
    "seizure",
    "collapse",
    "risk_language",
)


@dataclass(frozen=True)
class CrisisMatch:
    """P0: explicit suicide or self-harm intent or act, overdose, medical emergency. P1:
    indirect, passive or ambiguous risk language. Categories only, never the words: they go
    into alerts and logs."""

    level: Level
    categories: tuple[str, ...]


@dataclass(frozen=True)
class _Rule:
    level: Level
    categories: tuple[str, ...]
    body: str
    pattern: re.Pattern[str]
    # Matched against the text with doubled letters kept, where collapsing them would make
    # another word ("noose" and "nose" both collapse to "nose").
    exact: bool


_SPLIT_DOUBLE = re.compile(r"([a-z])\((?:\?:)?\1")


def _whole_words(body: str) -> str:
    # The text is tokens joined by single spaces with a space at each end: a space is the only
    # word boundary.
    return f"(?<= )(?:{body})(?= )"


def _rule(level: Level, categories: str, phrase: str, *, exact: bool = False) -> _Rule:
    # Rules are written in plain spelling and matched against the text with every run of one
    # letter collapsed ("kiiill" and "kil" both read "kil"), so the rule is collapsed the same
    # way; no backslash escapes, which the collapse would mangle ("\bb").
    if "\\" in phrase:
        raise ValueError(f"no escapes in a crisis rule: {phrase!r}")
    if _SPLIT_DOUBLE.search(phrase):
        # "cut(?:ting)" never meets the collapsed "cuting": write "cut(?:ing)".
        raise ValueError(f"a doubled letter split by a group in a crisis rule: {phrase!r}")
    body = phrase if exact else collapse(phrase)
    return _Rule(level, tuple(categories.split()), body, re.compile(_whole_words(body)), exact)


# Building blocks, in plain spelling.
_SELF = (
    "(?:my ?self|myslef|myslf|mysef|mysefl|mysel|myselv|mself|me ?self|mysf"
    "|him ?self|her ?self|them ?selves|them ?self|their ?self|hisself)"
)
_KILL = "(?:k[iy]?l(?:ing|in|ed|d|s)?|ki)"
_WANT = "(?:want|wanna|wnat|wnt|wamt|wan|wanted|wanting|wants)"
_FILL = "(?:just |simply |literally |fucking |honestly |really |finally |go and )?"
_HARM = (
    "(?:hurt|hurting|hurts|hrt|harm|harming|harmed|cut|cutting|cuts|burn|burning|burned|burnt"
    "|stab|stabbing|stabbed|slit|slitting|hang|hanging|hanged|hung|shooting|poison|poisoning"
    "|poisoned|drown|drowning|drowned|starve|starving|suffocate|suffocating|strangle"
    "|strangling|choke|choking|overdose|od|unalive|end|ending)"
)
# Words after "cut/burn/hurt myself" that make it an accident more likely than self-harm: still
# raised, at P1, since a patient may explain an injury away.
_ACCIDENT = (
    "(?:shaving|cooking|chopping|while|by accident|accidentally|at work|making"
    "|in the kitchen|lifting|with the (?:knife|iron|pan|oven|stove|razor)|on (?!purpose))"
)
# Taken, or about to be: "can I take all my meds at once?" and "can I take it twice a day" are
# questions about a regimen, so the present tense counts only after a word of intent.
_TOOK = "(?:took|taken|swallowed|ate|popped|downed)"
_INTENT = "(?:going to|gonna|wanna|want to|about to|ready to|will|ill|ll|imma|ima|finna|gotta)"
_DOSE_OF = f"(?:{_TOOK}|{_INTENT} (?:take|swallow|pop|down|eat))"
_PILL = (
    "(?:pills|pill|meds|med|medication|medications|medicine|medicines|tablets|tablet|capsules"
    "|caps|doses|prescription|prescriptions|sleeping pills|sleep meds|antidepressants"
    "|painkillers|lithium|seroquel|quetiapine|xanax|klonopin|ativan|tylenol|advil|ibuprofen"
    "|ambien|trazodone|prozac|zoloft|lexapro|wellbutrin|adderall|insulin|benadryl|percocet"
    "|oxy|oxycodone|fentanyl|gabapentin|depakote|lamictal|clozapine|abilify|risperdal"
    "|zyprexa)"
)
_PASTILLAS = "(?:pastillas|pastilla|medicinas|medicina|medicamentos|pildoras|tabletas|capsulas)"
_QUIERO = "(?:quiero|kiero|qiero|quisiera|deseo|ganas de|me quiero|me kiero)"
# Words before "kms" that make it kilometres.
_NUMBER = (
    *("a", "few", "many", "some", "more", "of", "the", "couple", "several", "hundred"),
    *("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"),
)
_SPANISH_HAIR = "(?:el|la|las|los|mi|mis) (?:pelo|cabello|unas|fleco|barba|puntas|dedo|cabeza)"


def _not_after(head: str, *words: str) -> str:
    # `head` unless one of the words comes just before it: one fixed-width lookbehind per word
    # (Python's re has no variable-width ones), looked at only where `head` matched, and with a
    # space on both sides of the word so that "a" rules out "a kms", not "gonna kms".
    return head + "".join(f"(?<! {w} {head})" for w in words)


_RULES: tuple[_Rule, ...] = (
    # --- suicide and self-harm, explicit: P0 ---------------------------------------------------
    _rule("P0", "self_harm", f"{_KILL} ?{_SELF}"),
    # "kms" unless it is kilometres ("ran 5 kms", "10 kms away").
    _rule(
        "P0",
        "self_harm",
        _not_after("kms", *_NUMBER)
        + "(?<![0-9] kms)(?! (?:away|from|to go|left|per|an hour|a day|a week|long|run"
        "|walk|ride|drive|of|on|in))",
    ),
    # suicide, suicidal, suicidarme and the misspellings (suicde, sucide, suiside, sucidal);
    # no "e" before the d so that "succeed" (collapsed "suced") and "sucedio" stay out.
    _rule(
        "P0",
        "self_harm",
        _not_after("s", "committed", "died by", "death by", "lost to")
        + "[uw]+[ie]*[cs]+[iy]?d[a-z]*(?! (?:prevention|awareness|walk|squad))",
    ),
    # Somebody else's suicide, a prevention walk, "sui" (slang): read by a clinician, at P1.
    _rule(
        "P1",
        "risk_language",
        "(?:committed|died by|death by|lost to) s[uw]+[ie]*[cs]+[iy]?d[a-z]*"
        "|s[uw]+[ie]*[cs]+[iy]?d[a-z]* (?:prevention|awareness|walk|squad)|sui",
    ),
    _rule("P0", "self_harm", "sewer ?slid[a-z]*|un ?aliv[a-z]*|self ?delet[a-z]*"),
    _rule(
        "P0",
        "self_harm",
        "self ?harm[a-z]*|self ?injur[a-z]*|self ?mutilat[a-z]*|auto ?lesion[a-z]*"
        "|me autolesion[a-z]*",
    ),
    _rule(
        "P0",
        "self_harm",
        "(?<! accidentally )(?<! accidently )" + f"{_HARM} ?{_SELF}(?! {_ACCIDENT})",
    ),
    _rule("P1", "self_harm", f"{_HARM} ?{_SELF}"),
    # "shoot" collapses to "shot": "I gave the shot myself" is an injection.
    _rule(
        "P0", "self_harm", _not_after("shot", "the", "a", "my", "his", "her", "flu") + f" ?{_SELF}"
    ),
    _rule(
        "P0",
        "self_harm",
        f"(?:threw|throw|throwing) {_SELF} (?:in front of|off|from|down)",
    ),
    _rule(
        "P0",
        "self_harm",
        "cut(?:ing|s)? again|(?:urge|urges|urging) to (?:cut|self ?harm|hurt)"
        "|relaps[a-z]* (?:and |n )?cut[a-z]*|relaps[a-z]* on (?:cutting|self ?harm[a-z]*)"
        "|cut(?:ing)? (?:my|her|his|their) (?:wrist|wrists|vein|veins|throat)"
        "|slit(?:ing)? (?:my |her |his |their )?(?:wrist|wrists|throat|veins)"
        "|(?:been|started|start|keep|kept|want to|wanna|going to|gonna|finna) cut(?:ing)?"
        "(?= $| again| tonight| so bad)",
    ),
    _rule("P1", "self_harm", "cut(?:ing)? (?:my|her|his) (?:arm|arms|leg|legs|thigh|thighs|skin)"),
    # want to die, wish I could die, ready to die; "I don't want to die" too (negation is not
    # parsed: SE-ANY-EMERGENCY, when in doubt escalate).
    _rule(
        "P0",
        "self_harm",
        f"(?:i ?)?(?:{_WANT}|ready|deserve|deserves|wish i could|wish i can|wish to|wish i would"
        f"|would like|hope i|hoping to|hoping i) ?(?:to|2|ta|t)? ?{_FILL}(?:die|dye(?= $))",
    ),
    _rule(
        "P0",
        "self_harm",
        f"{_WANT} (?:to |2 )?be dead|wish (?:i|that i) (?:was|were|could be|would be|had been)"
        " dead|wish i (?:had|would have) died|better off dead|(?:if|when) i (?:was|were) dead"
        "|mejor muert[oa]s?",
    ),
    _rule(
        "P0",
        "self_harm",
        f"(?:dont|do not|dnt|didnt|dont even|no longer|dont really) (?:{_WANT}|wish|feel like)"
        " (?:to |2 )?(?:live|be alive|exist|keep living|go on living|be living|stay alive)"
        "(?! (?:in|with|at|near|there|here|by|alone|on|together))",
    ),
    _rule(
        "P0",
        "self_harm",
        "(?:end|ending|ended|take|taking|took|tk) (?:my|his|her|their) (?:own )?life"
        "(?! (?:back|savings|insurance|into|in))|end(?:ing|ed)? (?:it|this|everything) all",
    ),
    _rule(
        "P0",
        "self_harm",
        "jump(?:ing|ed)? (?:off|from) (?:a |the |this |that |my )?(?:bridge|roof|building"
        "|balcony|ledge|cliff|window|overpass|parking garage|tower)"
        "|jump(?:ing)? in front of (?:a |the )?(?:train|car|bus|truck|traffic)"
        "|(?:tirar|aventar|lanzar)(?:me)? (?:de|del|desde) (?:un |una |el |la )?(?:puente|edificio"
        "|techo|azotea|balcon|ventana)|(?:tirarme|aventarme) (?:al|a las vias|frente a)",
    ),
    _rule("P0", "self_harm", "nooses?", exact=True),
    _rule("P0", "self_harm", "gun (?:to|in|against) (?:my|his|her) (?:head|mouth|temple)"),
    _rule(
        "P0",
        "self_harm overdose",
        "how (?:many|much)(?: [a-z0-9]+){0,4} (?:to die|to kill [a-z]+|to od|to overdose"
        "|is lethal|is fatal|would be lethal|to not wake up)|(?:lethal|fatal) dose"
        "|dosis (?:letal|mortal)",
    ),
    # Spanish
    _rule(
        "P0",
        "self_harm",
        f"{_QUIERO} (?:me )?(?:morir|morirme|matar|matarme|estar muert[oa])(?! de (?:la )?risa)"
        # "va a matarme" is somebody else's (P1 below), like "he'll kill me"
        f"|{_not_after('matarme', 'va a', 'van a')}"
        "|me voy a matar|quitar(?:me|se)? la vida|acabar con mi vida",
    ),
    _rule(
        "P0",
        "self_harm",
        "(?:ya )?no (?:quiero|kiero|qiero|deseo) (?:seguir )?(?:vivir|viviendo|estar viv[oa]"
        "|existir)(?! (?:en|con|aqui|alla|ahi|alli|aca|sol[oa]))",
    ),
    _rule(
        "P0",
        "self_harm",
        "me corte (?:otra vez|de nuevo|las venas|las munecas)|me volvi a cortar"
        "|me sigo cortando|me estoy cortando|me hice cortes|cort[a-z]* las venas"
        f"|(?:quiero|voy a|kiero|ganas de) cortarme(?! {_SPANISH_HAIR})|hacerme dano|lastimarme"
        f"|(?:me quiero|me kiero|me voy a) cortar(?! {_SPANISH_HAIR})",
    ),
    _rule("P1", "self_harm", f"me corte(?! {_SPANISH_HAIR})|me lastime|hacerme algo"),
    # Emoji next to a self-reference ("gonna 🔪 myself"); see _EMOJI.
    _rule(
        "P0",
        "self_harm",
        f"(?:xgun|xknife|xnoose) ?{_SELF}|{_SELF} ?(?:xgun|xknife)"
        "|xgun (?:to|in) (?:my|his|her) (?:head|mouth)",
    ),
    # --- overdose: P0 -----------------------------------------------------------------------
    _rule("P0", "overdose", "over ?dos[a-z]*|sobre ?dosis"),
    # "I OD'd" folds to "i odd"; only straight after a pronoun so "that's odd" stays out.
    _rule(
        "P0",
        "overdose",
        "(?:i|he|she|they|i think i|i ve|ive|just) (?:od|odd|oded|oding)"
        "|(?:to|gonna|wanna|finna) (?:od|overdose)",
    ),
    # Means kept for a plan ("pills saved up to end it").
    _rule(
        "P0",
        "self_harm overdose",
        f"{_PILL}(?: [a-z]+){{0,3}} to (?:end (?:it|things|everything|my life)|kill myself|die)",
    ),
    _rule(
        "P0",
        "overdose",
        f"{_INTENT} (?:take|swallow|pop|down|eat) (?:all|all of|every one of|every)"
        f" (?:my |his |her |their |the |them |of )?{_PILL}"
        # taken already: "took all my pills this morning" is as likely the day's doses (P1 below)
        f"|{_TOOK} (?:like |about |around |maybe )?(?:all|all of|every one of|every)"
        f" (?:my |his |her |their |the |them |of )?{_PILL}"
        "(?! (?:this morning|this evening|tonight|today|for today|for the day|on time"
        "|like i should|like usual|as prescribed|yesterday|with breakfast|with dinner"
        "|with food|last night))",
    ),
    _rule(
        "P1",
        "overdose",
        f"{_DOSE_OF} (?:like |about |around |maybe )?(?:all|all of|every one of|every)"
        f" (?:my |his |her |their |the |them |of )?{_PILL}",
    ),
    _rule(
        "P0",
        "overdose",
        f"{_DOSE_OF} (?:a|the|an|my|his|her) (?:whole|entire|full) (?:[a-z]+ )?(?:bottle|pack|box"
        "|bag|container|strip|blister|month|months|prescription|jar|supply)"
        f"|{_DOSE_OF} (?:a|the|an) (?:bottle|pack|box|handful|bunch|lot) of (?:my |his |her |the "
        f"|these |those )?{_PILL}"
        # "took too many" alone or of pills, not "took too many pictures"
        f"|{_DOSE_OF} (?:way )?too many(?= $| of (?:my|his|her|the|them|these|those)| {_PILL}"
        "| again| today| tonight| at once)"
        f"|{_DOSE_OF} (?:way )?too much (?:of )?(?:my |his |her )?{_PILL}"
        f"|{_DOSE_OF} (?:like |about |around |maybe |over )?(?:[1-9][0-9]+|fifteen|twenty|thirty"
        f"|forty|fifty|a hundred) (?:{_PILL}|of (?:my|his|her|the|them|these|those))",
    ),
    _rule(
        "P0",
        "overdose",
        "(?:drank|drink|drinking|swallowed|ate) (?:some )?(?:bleach|antifreeze|poison"
        "|rat poison|lye)|(?:tome|trague|se tomo) (?:cloro|veneno)",
    ),
    _rule(
        "P1",
        "overdose",
        f"{_TOOK} (?:my |the |his |her )?(?:dose|{_PILL}|it|them) twice"
        "|double (?:dose|dosed|my dose)|took (?:two|2) by mistake"
        f"|took (?:an |one |a few |some )?extra (?:dose|doses|one|ones|{_PILL})|took an extra(?= $)"
        f"|(?:saving|saved|stockpiling|hoarding|stashing|collecting) (?:up )?(?:all )?"
        f"(?:my |his |her )?{_PILL}|{_PILL} (?:saved|stashed|stockpiled|hoarded)",
    ),
    _rule(
        "P0",
        "overdose",
        "(?:me )?(?:tome|trague|se tomo|se trago|tomo) (?:todas|toda|todos|todo) (?:las|mis|sus"
        f"|el|la|los) ?(?:{_PASTILLAS}|frasco|caja|botella|bote)"
        "|(?:me )?(?:tome|trague|se tomo|se trago) (?:un frasco|un bote|una caja|un puno"
        f"|(?:muchas|demasiadas|un monton de|[1-9][0-9]+) {_PASTILLAS})",
    ),
    # --- medical emergencies ------------------------------------------------------------------
    _rule(
        "P0",
        "breathing",
        "(?:cant|can t|cnt|cannot|can not|cant even|couldnt|could not|unable to|not|isnt|is not"
        "|stopped|stop|not able to) (?:breathe|breath|breathing|breth|brethe)"
        "|throat (?:is )?(?:closing|swelling|swollen)|turning blue|lips (?:are )?blue"
        "|choking(?! up)|no (?:puedo|puede) respirar|no respira|me ahogo|se ahoga",
    ),
    _rule(
        "P1",
        "breathing",
        "(?:hard|difficult|trouble|struggling|struggle|hard time|problem|problems|difficulty)"
        " (?:to )?(?:breathe|breath|breathing)|short of breath|shortness of breath"
        "|cant catch my breath|me falta el aire|falta de aire|(?:me|le) cuesta respirar",
    ),
    _rule(
        "P0",
        "chest_pain",
        "chest (?:pain|pains|hurts|hurting|is hurting|pressure|is killing me)"
        "|pain (?:in|on) (?:my|his|her|the) chest|heart attack"
        "|dolor (?:[a-z]+ )?(?:de|en el|del) pecho"
        "|(?:me|le) duele (?:mucho )?(?:el |mi )?pecho|pecho (?:me|le) duele"
        "|ataque (?:al|de) corazon|infarto",
    ),
    _rule(
        "P1",
        "chest_pain",
        "chest (?:feels |is |felt )?tight[a-z]*|tight[a-z]* (?:in )?(?:my )?chest"
        "|presion en el pecho",
    ),
    # seizure and its misspellings (seizure, siezure, seisure, seizer), seizing, convulsions.
    _rule(
        "P0",
        "seizure",
        "s[ei]{1,2}[sz]ure?[a-z]*|s[ei]{1,2}zer|s[ei]{1,2}zing(?! up)|convuls[a-z]*|epileptic fit"
        "|having a fit|ataque epileptico",
    ),
    _rule(
        "P0",
        "collapse",
        "pass(?:ed|ing|es) out(?! (?:the |some |all the )?(?:flyers|flyer|fliers|candy|papers"
        "|paper|food|invitations|cards|snacks|water|programs|pamphlets|presents|gifts))"
        "|fainted|fainting|blacked out|blacking out|unconscious|unconcious|unresponsive"
        "|(?:wont|won t|will not) wake up(?! (?:for|in time|early|on time|til|until|before))"
        "|(?:cant|can t|cannot|couldnt) wake (?:him|her|them)"
        "|collapsed|collapsing|desmay[a-z]*|perdio el conocimiento|inconsciente|no despierta"
        "|no reacciona",
    ),
    _rule(
        "P1",
        "collapse",
        "(?:going to|gonna|about to|might|almost|nearly|could) (?:pass out|faint|black out)"
        "|feel(?:ing|s)? faint",
    ),
    # --- indirect, passive or ambiguous risk language: P1 ------------------------------------
    _rule(
        "P1",
        "risk_language",
        f"(?:{_WANT}|wish i could|wish i can|just want|quiero|quisiera|kiero) (?:to )?{_FILL}"
        "(?:disappear|desaparecer|vanish|stop existing|dejar de existir|be gone|go away forever)",
    ),
    _rule(
        "P1",
        "risk_language",
        "(?:sleep|asleep|dormir|dormirme) (?:forever|para siempre)"
        "|(?:sleep|go to sleep|fall asleep|dormir|dormirme) (?:and|y) (?:never|not|no|nunca)"
        " (?:wake|despertar)|(?:hope|hoping|wish|ojala) (?:i |that i )?(?:dont|do not|never"
        "|wont|no|nunca) (?:wake|despiert[a-z]*|despertar)|never wake up"
        f"|(?:dont|do not) {_WANT} (?:to )?wake up",
    ),
    _rule(
        "P1",
        "risk_language",
        "(?:no|sin|any|ninguna) (?:tengo )?(?:reason|razon|point|sentido|motivo)"
        " (?:to|in|de|para|en|por) (?:live|living|vivir|go on|seguir|keep going|be alive)"
        "|nothing (?:left )?to live for|nada (?:por|para) (?:que|lo que) vivir"
        "|(?:whats|what is) the point (?:of|in) (?:living|life|anything|going on|being alive"
        "|trying)|(?:tired|sick) of (?:living|life|being alive|existing)"
        "|done with (?:life|living|everything)|cansad[oa] de vivir|no vale la pena vivir"
        "|(?:not|isnt|is not|aint) worth living|hate (?:my life|living|being alive)"
        "|(?:dont|do not|cant) see the point(?= $| anymore| any more| of| in)"
        "|sentido a (?:la|mi) vida|sentido a nada|que todo (?:termine|acabe|se acabe)"
        "|(?:dont|do not) deserve to (?:live|be alive|exist|be here)"
        "|(?:thinking|think|thought|thoughts|thinkin) (?:about|of) (?:dying|death|being dead"
        "|not being here|not waking up|ending (?:it|things|everything))"
        f"|{_WANT} (?:it|everything|it all|this|all of this|all this) (?:all )?to"
        " (?:end|stop|be over)"
        "|(?:if|whether) i live or die"
        "|(?:theres|there is|is) no point(?= $| anymore| any more| in (?:anything|life|living"
        "|trying|going on)| to (?:anything|life|living))"
        "|better off (?:gone|not here|not around|not alive)",
    ),
    _rule(
        "P1",
        "risk_language",
        "(?:cant|can t|cannot|can not) (?:(?:do|take|handle) (?:it|this|this life|life) ?"
        "(?:any ?more|no more|much longer|like this)|go on(?= $| like this| living| anymore)"
        "|keep going|live like this)|(?:ya )?no (?:puedo|aguanto) mas(?! (?:tarde|temprano))"
        "|if i can (?:keep going|go on|do this anymore)"
        "|no puedo mas con (?:esta|mi) vida"
        "|no aguanto (?:esto|la vida)|ya no puedo con (?:esto|mi vida)",
    ),
    _rule(
        "P1",
        "risk_language",
        "better off (?:without|sin) (?:me|mi)"
        "|(?:would|d|will) be (?:better|happier|easier|fine) without me|mejor sin mi(?= $| y )"
        "|(?:im|i m|i am|just|soy) (?:a |una |un )?(?:burden|carga)"
        "|burden (?:to|on) (?:everyone|every one|my family|them|you|everybody)",
    ),
    _rule(
        "P1",
        "risk_language",
        "(?:nobody|no one|noone|no body|nadie) (?:would|will|wouldnt|even|would even)"
        " (?:miss me|notice (?:if|when) i|care (?:if|when) i (?:die|died|was gone|were gone"
        "|disappeared|wasnt here|wasnt around|left))|(?:if|when) i (?:was|were|m|am) gone"
        "|(?:if|when) i (?:died|die)",
    ),
    _rule(
        "P1",
        "risk_language",
        "this is (?:goodbye|good bye|my goodbye|the end(?= $| for me))"
        "|goodbye (?:everyone|forever|world|all)"
        "|saying (?:my )?goodbyes|adios (?:a todos|para siempre)"
        "|(?:wont|will not|won t) be (?:around|here) (?:much longer|anymore|any more|for long"
        f"|tomorrow)|(?:dont|do not) {_WANT} (?:to )?be here (?:anymore|any more|no more)"
        "|ya no quiero estar aqui|ya no quiero seguir(?= $| asi| viviendo)"
        "|(?:irme|ir) de este mundo",
    ),
    _rule(
        "P1",
        "risk_language",
        "wish (?:i|that i|id) (?:was|were|had|d) (?:never|not) (?:been )?born|wish i wasnt born"
        "|shouldnt have been born|ojala (?:no|nunca) (?:hubiera|haber) nacido",
    ),
    # "kill me" ("just kill me now", "he said he'd kill me"); "killing me" (the heat, my back)
    # collapses to "kiling me" and stays out.
    _rule("P1", "risk_language", "kill me|me va a matar|me van a matar|va a matarme|van a matarme"),
    _rule(
        "P1",
        "risk_language",
        "(?:to|gonna|wanna|finna|gotta|will|ll|might|just) end (?:it|things|everything)"
        "|acabar con todo",
    ),
    _rule(
        "P1",
        "risk_language",
        "(?:rather|going to|gonna|about to) die|rather be dead|(?:let|make) me die"
        "|should (?:just )?(?:die|disappear|vanish|not exist|not be here)"
        "|(?:me voy a|voy a) morir|me estoy muriendo(?! de)"
        "|siento que me muero|dead inside|(?:feel|feels|feeling) like (?:im |i am )?dying",
    ),
    # "I'm going to jump" with nothing after: a jump from a height is P0 above.
    _rule(
        "P1",
        "risk_language",
        "(?:going to|gonna|wanna|want to|about to|ready to|will|ll) jump(?= $| off| from)",
    ),
    _rule(
        "P1",
        "risk_language",
        "relaps[a-z]*|reca[iy]"
        "|(?:feel|feeling|felt|so|im|i m|i am|completely|totally|very|really|just) hopeless"
        "|sin esperanza|desesperanza",
    ),
    _rule(
        "P1",
        "risk_language",
        "(?:have|got|bought|buy|buying|own|get|getting|found|tengo|compre) (?:a |my |the |his "
        "|her |una |un )?(?:gun|guns|pistol|firearm|rifle|rope|pistola|arma)",
    ),
    # A weapon, blood or death emoji alone: cheap to read, so raised.
    _rule("P1", "risk_language", "xgun|xknife|xblood|xcoffin|xgrave|xnoose"),
)

# Emoji that fold would drop, read as words the rules know. The pill emoji reads as "pills" so
# that "took all my 💊" is an overdose while "💊✅" (a dose taken) is nothing.
_EMOJI = str.maketrans(
    {
        "\U0001f52a": " xknife ",  # kitchen knife
        "\U0001f5e1": " xknife ",  # dagger
        "\U0001f52b": " xgun ",  # pistol
        "\U0001fa78": " xblood ",  # drop of blood
        "\u26b0": " xcoffin ",  # coffin
        "\U0001faa6": " xgrave ",  # headstone
        "\U0001faa2": " xnoose ",  # knot
        "\U0001f48a": " pills ",  # pill
    }
)
# Zero-width characters and soft hyphens inside a word would otherwise split it in two.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
# "k!ll": an exclamation mark between letters stands for an i.
_BANG_I = re.compile(r"(?<=[^\W\d_])!(?=[^\W\d_])")

_COLLAPSED = tuple(r for r in _RULES if not r.exact)
_EXACT = tuple(r for r in _RULES if r.exact)
# Most texts are "1", "yes", "taken": one pass of every rule at once, per text form, rules out
# a match before the rules are tried one by one for their levels and categories.
_ANY_COLLAPSED = re.compile(_whole_words("|".join(r.body for r in _COLLAPSED)))
_ANY_EXACT = re.compile(_whole_words("|".join(r.body for r in _EXACT)))


def screen(text: str | None) -> CrisisMatch | None:
    """The crisis level and categories of a text, or None: the highest level of any phrase found,
    the categories of every phrase found in CATEGORIES order."""
    if not text:
        return None
    words = tokens(_BANG_I.sub("i", text.translate(_EMOJI).translate(_INVISIBLE)))
    if not words:
        return None
    exact = f" {' '.join(words)} "
    collapsed = collapse(exact)  # no run of one letter crosses a space: word by word
    hit_collapsed = _ANY_COLLAPSED.search(collapsed) is not None
    hit_exact = _ANY_EXACT.search(exact) is not None
    if not (hit_collapsed or hit_exact):
        return None
    found: set[str] = set()
    level: Level = "P1"
    for rules, spaced, hit in ((_COLLAPSED, collapsed, hit_collapsed), (_EXACT, exact, hit_exact)):
        if not hit:
            continue
        for rule in rules:
            if rule.pattern.search(spaced):
                found.update(rule.categories)
                if rule.level == "P0":
                    level = "P0"
    return CrisisMatch(level, tuple(c for c in CATEGORIES if c in found))
