"""The check-in items by SMS, in English and Spanish: short paraphrases of the PHQ-9, PHQ-2
and GAD-7 items (the PHQ family may be reproduced without permission), the side-effect checklist and
its 0-3 severity question. Minimal wording names no instrument and no diagnosis
("down or hopeless", not "depressed"); the detailed wording needs the detailed_content consent.
Spanish drops the accents GSM-7 lacks."""

from __future__ import annotations

# (family, item) -> language -> (minimal, detailed or "")
Question = dict[str, tuple[str, str]]

PHQ: dict[str, Question] = {
    "1": {
        "en": ("Little interest or pleasure in doing things?", ""),
        "es": ("¿Poco interes o placer en hacer las cosas?", ""),
    },
    "2": {
        "en": ("Feeling down or hopeless?", "Feeling down, depressed or hopeless?"),
        "es": (
            "¿Se ha sentido decaido/a o sin esperanza?",
            "¿Decaido/a, deprimido/a o sin esperanza?",
        ),
    },
    "3": {
        "en": ("Trouble falling or staying asleep, or sleeping too much?", ""),
        "es": ("¿Problemas para dormir o dormir demasiado?", ""),
    },
    "4": {
        "en": ("Feeling tired or having little energy?", ""),
        "es": ("¿Se ha sentido cansado/a o con poca energia?", ""),
    },
    "5": {
        "en": ("Poor appetite or overeating?", ""),
        "es": ("¿Poco apetito o comer en exceso?", ""),
    },
    "6": {
        "en": ("Feeling bad about yourself, or that you let others down?", ""),
        "es": ("¿Se ha sentido mal con usted mismo/a o que fallo a los demas?", ""),
    },
    "7": {
        "en": ("Trouble concentrating on things?", ""),
        "es": ("¿Dificultad para concentrarse en las cosas?", ""),
    },
    "8": {
        "en": ("Moving or speaking slowly, or being fidgety or restless?", ""),
        "es": ("¿Moverse o hablar muy lento, o estar muy inquieto/a?", ""),
    },
    "9": {
        "en": ("Thoughts you'd be better off dead or of hurting yourself?", ""),
        "es": ("¿Pensamientos de que estaria mejor muerto/a o de hacerse daño?", ""),
    },
}

GAD: dict[str, Question] = {
    "1": {
        "en": ("Feeling nervous or on edge?", "Feeling nervous, anxious or on edge?"),
        "es": ("¿Se ha sentido nervioso/a o tenso/a?", "¿Nervioso/a, ansioso/a o tenso/a?"),
    },
    "2": {
        "en": ("Not being able to stop or control worrying?", ""),
        "es": ("¿No poder dejar de preocuparse?", ""),
    },
    "3": {
        "en": ("Worrying too much about different things?", ""),
        "es": ("¿Preocuparse demasiado por diferentes cosas?", ""),
    },
    "4": {
        "en": ("Trouble relaxing?", ""),
        "es": ("¿Dificultad para relajarse?", ""),
    },
    "5": {
        "en": ("So restless that it is hard to sit still?", ""),
        "es": ("¿Tan inquieto/a que le cuesta quedarse quieto/a?", ""),
    },
    "6": {
        "en": ("Becoming easily annoyed or irritable?", ""),
        "es": ("¿Se molesta o se irrita facilmente?", ""),
    },
    "7": {
        "en": ("Feeling afraid, as if something awful might happen?", ""),
        "es": ("¿Miedo de que algo terrible pueda pasar?", ""),
    },
}

# Instrument labels shown only with the detailed_content consent.
LABELS = {"PHQ-2": "PHQ-2", "PHQ-9": "PHQ-9", "GAD-7": "GAD-7"}
POSITION = {"en": "Q{n}/{of}", "es": "P{n}/{of}"}
FRAME = {"en": "In the past 2 weeks: ", "es": "En las ultimas 2 semanas: "}
REASK = {"en": "Please answer with one number.", "es": "Por favor responda con un numero."}
REASK_CHECKLIST = {
    "en": "Please answer with the numbers, e.g. 1 6, or 0.",
    "es": "Por favor responda con los numeros, ej. 1 6, o 0.",
}

# Answer legends and the opt-out, longest (clearest) first; the first that fits is used.
FREQUENCY_TAILS = {
    "en": (
        "Reply 0 not at all, 1 several days, 2 more than half the days, 3 nearly every day. "
        "Reply STOP to opt out.",
        "Reply 0 not at all, 1 several days, 2 over half the days, 3 nearly every day. "
        "STOP to opt out.",
        "Reply 0 (not at all) to 3 (nearly every day). STOP to opt out.",
    ),
    "es": (
        "Responda 0 nunca, 1 varios dias, 2 mas de la mitad de los dias, 3 casi todos los "
        "dias. Responda STOP para no recibir mas.",
        "Responda 0 nunca, 1 varios dias, 2 mas de la mitad de los dias, 3 casi todos los "
        "dias. STOP para salir.",
        "Responda 0 (nunca) a 3 (casi todos los dias). STOP para salir.",
    ),
}
SEVERITY_TAILS = {
    "en": (
        "Reply 0 none, 1 mild, 2 moderate, 3 severe. Reply STOP to opt out.",
        "Reply 0 none to 3 severe. STOP to opt out.",
    ),
    "es": (
        "Responda 0 nada, 1 leve, 2 moderado, 3 grave. Responda STOP para no recibir mas.",
        "Responda 0 nada a 3 grave. STOP para salir.",
    ),
}

CHECKLIST = {
    "en": (
        "Any of these since your last check-in? 1 sleep, 2 stomach, 3 weight gain, 4 tired, "
        "5 restless, 6 rash, 7 other, 0 none. Reply all that apply, e.g. 1 6.",
        "Since last check-in: 1 sleep, 2 stomach, 3 weight, 4 tired, 5 restless, 6 rash, "
        "7 other, 0 none? Reply e.g. 1 6.",
    ),
    "es": (
        "¿Algo de esto desde su ultimo control? 1 sueño, 2 estomago, 3 aumento de peso, "
        "4 cansancio, 5 inquietud, 6 erupcion, 7 otro, 0 nada. Responda ej. 1 6.",
        "¿Desde la ultima vez: 1 sueño, 2 estomago, 3 peso, 4 cansancio, 5 inquietud, "
        "6 erupcion, 7 otro, 0 nada? Ej. 1 6.",
    ),
}
# Asked again: the list itself is the instruction.
CHECKLIST_AGAIN = {
    "en": "Please reply with numbers: 1 sleep, 2 stomach, 3 weight, 4 tired, 5 restless, "
    "6 rash, 7 other, 0 none. E.g. 1 6.",
    "es": "Responda con numeros: 1 sueño, 2 estomago, 3 peso, 4 cansancio, 5 inquietud, "
    "6 erupcion, 7 otro, 0 nada. Ej. 1 6.",
}
CHECKLIST_DETAILED = {
    "en": "Side effect check. ",
    "es": "Efectos secundarios. ",
}
CHECKLIST_STOP = {"en": "STOP to opt out.", "es": "STOP para salir."}
# The severity question per checklist option.
EFFECTS = {
    "en": {
        "1": "trouble sleeping",
        "2": "stomach trouble",
        "3": "weight gain",
        "4": "tiredness",
        "5": "restlessness",
        "6": "the rash",
        "7": "the other problem",
    },
    "es": {
        "1": "el problema para dormir",
        "2": "el malestar de estomago",
        "3": "el aumento de peso",
        "4": "el cansancio",
        "5": "la inquietud",
        "6": "la erupcion",
        "7": "el otro problema",
    },
}
SEVERITY_QUESTION = {
    "en": "How much has {effect} bothered you?",
    "es": "¿Cuanto le ha molestado {effect}?",
}
