"""The side-effect vocabulary: the symptom codes a SideEffectReported effect may carry, the
patient wording of each, and the English and Spanish words people use for them.

`code_for(text)` reads an integrator's or a patient's words as one code: the code itself
("sore_throat", "SORE_THROAT") or any listed way of saying it ("Sore Throat", " sore-throat ",
"dolor de garganta"), insensitive to case, accents, punctuation and spacing. Inside a longer
text ("I have had a sore throat since Monday") the listed phrases are found word by word:

- the longest phrase wins where two overlap ("severe headache" is severe_headache, not
  headache; "blistering rash" is rash_blisters, not rash_new; "feel like throwing up" is nausea);
- a phrase right after a negation ("no fever", "ya no tengo fiebre", "denies chest pain",
  "no fever or rash") does not count, except suicidal thoughts, self-harm urges and overdose:
  as for crisis language, negation is not trusted there (when in doubt, escalate);
- a more serious form absorbs its milder form ("rash and blisters" is rash_blisters), and any
  named symptom absorbs other_symptom;
- a text naming two different symptoms ("fever and sore throat") is not one code: `code_for`
  gives None and `codes_in` gives both.

Pure tables and functions, no I/O. `python -m shared.lexicon.side_effects` prints `markdown()`,
the reference in docs/side-effect-vocabulary.md."""

from __future__ import annotations

import sys
from dataclasses import dataclass

from shared.lexicon.normalize import tokens

SYMPTOMS: dict[str, str] = {
    # general / infection
    "fever": "fever or feeling very hot",
    "rigors": "shaking chills",
    "feeling_very_unwell": "feeling very unwell",
    "flu_like": "flu-like symptoms (aches, chills)",
    "sore_throat": "sore throat",
    "mouth_sores": "sores in the mouth",
    "infection_signs": "any other sign of infection",
    "swollen_glands": "swollen glands",
    # neuromuscular
    "muscle_stiffness": "severe muscle stiffness or rigidity",
    "clonus": "muscle jerking or twitching",
    "tremor": "shaking or tremor",
    "coarse_tremor": "coarse or worsening tremor",
    "muscle_weakness": "muscle weakness",
    "ataxia": "unsteady walking, poor balance",
    "slurred_speech": "slurred speech",
    "involuntary_movements": "new involuntary face or tongue movements",
    "restlessness": "inner restlessness, cannot sit still, pacing",
    "seizure": "seizure or fit",
    "drooling": "drooling or trouble swallowing",
    # mental state
    "confusion": "confusion",
    "drowsiness": "drowsiness or sleepiness (3 = marked, hard to stay awake)",
    "agitation": "agitation",
    "hallucinations": "seeing or hearing things that are not there",
    "suicidal_thoughts": "new or worse thoughts of suicide",
    "self_harm_urges": "urges to harm or kill yourself",
    "depression_worse": "new or worse depression",
    "anxiety_worse": "new or worse anxiety",
    "panic_attacks": "panic attacks",
    "irritability": "irritability",
    "aggression": "aggression or anger outbursts",
    "impulsivity": "acting on dangerous impulses",
    "elevated_mood": "sudden elevated mood or energy",
    "less_need_for_sleep": "decreased need for sleep",
    "insomnia": "trouble sleeping",
    "vivid_dreams": "vivid dreams or nightmares",
    # autonomic / cardiorespiratory
    "sweating": "heavy sweating",
    "racing_heart": "fast, pounding or irregular heartbeat",
    "chest_pain": "chest pain",
    "breathlessness": "shortness of breath (3 = cannot breathe)",
    "shallow_breathing": "slow or shallow breathing",
    "fainting": "fainting or passing out",
    "dizziness": "dizziness or light-headedness",
    "falls": "falls",
    "severe_headache": "sudden severe headache",
    "headache": "headache",
    "brain_zaps": "electric-shock sensations ('brain zaps')",
    "tingling": "tingling or pins and needles",
    "blurred_vision": "blurred vision",
    "tinnitus": "ringing in the ears",
    # gut / liver / kidney
    "nausea": "nausea",
    "vomiting": "vomiting",
    "diarrhoea": "diarrhoea",
    "gi_upset": "upset stomach",
    "constipation": "constipation (fewer than 3 bowel movements a week, hard stools)",
    "bloating": "bloating or belly swelling",
    "abdominal_pain": "belly pain (3 = severe)",
    "loss_of_appetite": "loss of appetite",
    "jaundice": "yellow skin or eyes",
    "dark_urine": "dark urine",
    "extreme_thirst": "extreme thirst",
    "polyuria": "passing large amounts of urine",
    # skin
    "rash_new": "a new rash",
    "rash_blisters": "blistering rash",
    "skin_peeling": "peeling skin",
    "eye_sores": "sore, red or burning eyes",
    "hives": "hives",
    "facial_swelling": "swelling of the face, lips or tongue",
    # other
    "priapism": "painful erection lasting more than 4 hours",
    "overdose": "took too much medicine",
    "weight_gain": "weight gain",
    "fatigue": "tiredness, low energy",
    "sexual_dysfunction": "sexual problems (libido, arousal, orgasm)",
    "dry_mouth": "dry mouth",
    "other_symptom": "something else (the SMS side-effect check's 'other')",
}


def known(code: str) -> bool:
    return code in SYMPTOMS


@dataclass(frozen=True)
class Words:
    """The words people use for one code, English and Spanish (the code itself not listed)."""

    en: tuple[str, ...]
    es: tuple[str, ...]

    @property
    def all(self) -> tuple[str, ...]:
        return self.en + self.es


def _w(en: str, es: str) -> Words:
    """Comma-separated lists, as written below."""

    def split(text: str) -> tuple[str, ...]:
        return tuple(w.strip() for w in text.split(",") if w.strip())

    return Words(split(en), split(es))


# Every code's words. Written once each, with accents where the language has them: matching
# ignores case, accents, apostrophes, punctuation and spacing ("vomito" reads as "vómito").
WORDS_BY_CODE: dict[str, Words] = {
    # general / infection
    "fever": _w(
        "fevers, feverish, high fever, running a fever, high temperature, temperature, "
        "running a temperature, high temp, temp, feeling very hot, feeling hot, very hot, "
        "burning up, febrile, pyrexia, feaver",
        "fiebre, fiebres, fiebre alta, calentura, temperatura, temperatura alta, febril, "
        "destemplado, destemplada",
    ),
    "rigors": _w(
        "rigor, shaking chills, chills, the chills, shivering, shivers, shivery, "
        "uncontrollable shivering, teeth chattering",
        "escalofríos, escalofrío, calosfríos, calosfrío, tiritando, tiritona, "
        "temblores de frío, temblor con frío",
    ),
    "feeling_very_unwell": _w(
        "very unwell, unwell, feeling unwell, not feeling well, not well, very ill, really ill, "
        "seriously ill, ill, feeling ill, very sick, really sick, sick, feel awful, "
        "feeling awful, feel terrible, feeling terrible, feel really bad, malaise",
        "me siento muy mal, me siento mal, muy mal, me siento fatal, muy enfermo, muy enferma, "
        "enfermo, enferma, malestar general, malestar",
    ),
    "flu_like": _w(
        "flu like symptoms, flu, flu symptoms, influenza, like the flu, body aches, body ache, "
        "aches, aches and pains, achy, aching, muscle aches, muscle ache, muscle pain, "
        "aching muscles, sore muscles",
        "síntomas de gripe, síntomas gripales, gripe, gripa, como gripe, dolor de cuerpo, "
        "dolores de cuerpo, cuerpo cortado, cuerpo adolorido, me duele todo el cuerpo, "
        "dolor muscular, dolores musculares",
    ),
    "sore_throat": _w(
        "sore throats, throat, throat pain, painful throat, throat hurts, throat is sore, "
        "scratchy throat, raw throat, strep throat, strep, tonsillitis, pain when swallowing, "
        "painful swallowing, hurts to swallow, sorethroat, soar throat",
        "dolor de garganta, garganta, garganta irritada, garganta inflamada, "
        "me duele la garganta, ardor de garganta, ardor en la garganta, anginas, amigdalitis, "
        "faringitis, dolor al tragar, inflamación de garganta",
    ),
    "mouth_sores": _w(
        "mouth sore, sores in mouth, sores in my mouth, mouth ulcers, mouth ulcer, "
        "ulcers in mouth, ulcers in my mouth, canker sores, canker sore, mouth blisters, "
        "blisters in mouth, blisters in my mouth, sore mouth, painful mouth, lip sores, "
        "sores on my lips, stomatitis",
        "llagas en la boca, llaga en la boca, llagas, úlceras en la boca, úlceras bucales, "
        "aftas, afta, ampollas en la boca, heridas en la boca, dolor en la boca, "
        "boca lastimada, estomatitis",
    ),
    "infection_signs": _w(
        "infection, infections, infected, sign of infection, signs of infection, "
        "any other sign of infection, pus, abscess, cough, coughing, chest infection, "
        "pneumonia, urine infection, urinary infection, bladder infection, uti, "
        "burning when peeing, burning urination, infected wound, wound infection, "
        "common cold, head cold, have a cold, caught a cold, got a cold, cold sores, cold sore, "
        "runny nose, stuffy nose, congestion, sinus infection, ear infection, earache, phlegm",
        "infección, infecciones, infectado, infectada, señales de infección, "
        "signos de infección, absceso, tos, tosiendo, neumonía, pulmonía, infección urinaria, "
        "infección de orina, ardor al orinar, herida infectada, resfriado, resfrío, catarro, "
        "mocos, nariz tapada, congestión nasal, flemas, infección de oído, dolor de oído",
    ),
    "swollen_glands": _w(
        "swollen gland, glands swollen, swollen lymph nodes, swollen lymph glands, "
        "swollen neck glands, lymph nodes, glands, lumps in neck, lumps in my neck, neck lumps",
        "ganglios inflamados, ganglios hinchados, ganglios, ganglios linfáticos inflamados, "
        "bolitas en el cuello, bultos en el cuello",
    ),
    # neuromuscular
    "muscle_stiffness": _w(
        "stiff muscles, muscles stiff, stiffness, stiff, rigid, rigidity, muscle rigidity, "
        "rigid muscles, tight muscles, muscle tightness, stiff body, stiff neck, neck stiffness",
        "rigidez muscular, rigidez, músculos rígidos, músculos tiesos, músculos duros, tieso, "
        "tiesa, rígido, rígida, cuerpo rígido, cuello rígido, rigidez en el cuello, "
        "agarrotado, agarrotada",
    ),
    "clonus": _w(
        "myoclonus, muscle jerking, muscle jerks, jerking, jerks, jerky movements, "
        "twitching, twitches, twitch, muscle twitching, muscle twitches, spasms, "
        "muscle spasms",
        "sacudidas, sacudidas musculares, tirones musculares, espasmos, espasmos musculares, "
        "contracciones musculares, mioclonías, movimientos bruscos",
    ),
    "tremor": _w(
        "tremors, shaking, shaky, shakes, the shakes, trembling, tremble, tremulous, "
        "shaky hands, shaking hands, hands shaking, hand tremor, hands trembling, "
        "can't stop shaking",
        "temblor, temblores, tiemblo, temblando, tembloroso, temblorosa, manos temblorosas, "
        "me tiemblan las manos, temblor de manos, temblor en las manos",
    ),
    "coarse_tremor": _w(
        "worse tremor, worsening tremor, tremor getting worse, tremor worse, bad tremor, "
        "severe tremor, heavy tremor, big tremor, bad shaking, severe shaking, "
        "violent shaking, shaking worse, shaking getting worse, uncontrollable shaking, "
        "more shaking",
        "temblor grueso, temblor fuerte, temblores fuertes, temblor más fuerte, temblor peor, "
        "temblor empeora, temblor empeorando, temblor severo, mucho temblor, más temblor",
    ),
    "muscle_weakness": _w(
        "weak muscles, muscles weak, weakness, weak, weak legs, weak arms, "
        "legs weak, arms weak, no strength, loss of strength",
        "debilidad, debilidad muscular, músculos débiles, débil, sin fuerza, sin fuerzas, "
        "falta de fuerza, piernas débiles, brazos débiles",
    ),
    "ataxia": _w(
        "unsteady, unsteady walking, unsteady on my feet, poor balance, off balance, "
        "loss of balance, lost my balance, balance problems, trouble walking, "
        "difficulty walking, can't walk straight, staggering, stumbling, wobbly, clumsy, "
        "clumsiness, uncoordinated",
        "inestable, inestabilidad, mal equilibrio, pérdida de equilibrio, "
        "pérdida del equilibrio, sin equilibrio, falta de equilibrio, problemas de equilibrio, "
        "me tambaleo, tambaleándome, tambaleo, dificultad para caminar, no puedo caminar bien, "
        "torpeza, torpe, descoordinación",
    ),
    "slurred_speech": _w(
        "slurring, slurring words, slurred words, slurring my words, speech slurred, slurred, "
        "trouble speaking, trouble talking, difficulty speaking, can't talk properly, "
        "can't speak properly, talking funny, speech problems",
        "habla arrastrada, arrastro las palabras, arrastrando las palabras, "
        "dificultad para hablar, hablo raro, habla torpe, habla lenta, no puedo hablar bien, "
        "lengua trabada, se me traba la lengua",
    ),
    "involuntary_movements": _w(
        "involuntary movement, tardive dyskinesia, dyskinesia, tongue movements, "
        "tongue moving, tongue thrusting, lip smacking, chewing movements, grimacing, "
        "facial tics, tics, face twitching, facial twitching, writhing movements, "
        "uncontrolled movements",
        "movimientos involuntarios, movimiento involuntario, discinesia, discinesia tardía, "
        "movimientos de la lengua, movimientos en la cara, movimientos raros en la boca, "
        "muecas, tic, movimientos que no controlo",
    ),
    "restlessness": _w(
        "restless, inner restlessness, can't sit still, cannot sit still, unable to sit still, "
        "can't keep still, pacing, fidgety, fidgeting, jittery, akathisia, restless legs, "
        "need to keep moving",
        "inquieto, inquieta, inquietud, intranquilo, intranquila, no puedo estar quieto, "
        "no puedo estar quieta, no puedo quedarme quieto, no puedo quedarme quieta, acatisia, "
        "piernas inquietas, caminando de un lado a otro",
    ),
    "seizure": _w(
        "seizures, had a fit, epileptic fit, convulsion, convulsions, convulsing, convulsed, "
        "grand mal",
        "convulsiones, convulsioné, convulsionó, ataque epiléptico, "
        "crisis epiléptica, crisis convulsiva, epilepsia",
    ),
    "drooling": _w(
        "drool, dribbling, excess saliva, too much saliva, extra saliva, hypersalivation, "
        "sialorrhea, sialorrhoea, wet pillow, trouble swallowing, difficulty swallowing, "
        "can't swallow, hard to swallow, choking on food",
        "babeo, babeando, babeo excesivo, babas, mucha saliva, exceso de saliva, "
        "salivación excesiva, sialorrea, dificultad para tragar, no puedo tragar, "
        "me cuesta tragar",
    ),
    # mental state
    "confusion": _w(
        "confused, disoriented, disorientated, disorientation, not making sense, "
        "can't think straight, can't think clearly, muddled, foggy, brain fog, delirium, "
        "delirious, don't know where I am",
        "confundido, confundida, desorientado, desorientada, desorientación, "
        "no sé dónde estoy, delirio, delirando, mente nublada, no pienso con claridad, "
        "aturdido, aturdida, aturdimiento",
    ),
    "drowsiness": _w(
        "drowsy, sleepy, sleepiness, very sleepy, sedated, sedation, oversedated, groggy, "
        "hard to stay awake, can't stay awake, cannot stay awake, can't wake up, hard to wake up, "
        "falling asleep, fall asleep, keep falling asleep, dozing off, nodding off, "
        "sleeping all day, sleeping too much, oversleeping, zombie, like a zombie",
        "somnolencia, somnoliento, somnolienta, adormilado, adormilada, mucho sueño, "
        "con sueño, me duermo, me quedo dormido, me quedo dormida, sedado, sedada, "
        "duermo todo el día, duermo mucho, modorra, atontado, atontada",
    ),
    "agitation": _w(
        "agitated, worked up, wound up, keyed up, can't calm down",
        "agitación, agitado, agitada, alterado, alterada, exaltado, exaltada, no me puedo calmar",
    ),
    "hallucinations": _w(
        "hallucination, hallucinating, hearing voices, hearing things, seeing things, voices, "
        "seeing things that aren't there, hearing things that aren't there",
        "alucinaciones, alucinación, alucinando, oigo voces, escucho voces, oigo cosas, "
        "veo cosas, veo cosas que no existen, voces",
    ),
    "suicidal_thoughts": _w(
        "suicidal, suicidal thinking, suicidal ideation, thoughts of suicide, "
        "thinking about suicide, suicide, want to die, wanna die, wish I was dead, "
        "wish I were dead, better off dead, don't want to live, don't want to be alive, "
        "no reason to live",
        "pensamientos suicidas, ideas suicidas, ideación suicida, suicidio, quiero morir, "
        "me quiero morir, ganas de morir, quiero estar muerto, quiero estar muerta, "
        "no quiero vivir, no quiero seguir viviendo, mejor muerto, mejor muerta",
    ),
    "self_harm_urges": _w(
        "self harm, self harming, urge to self harm, urges to self harm, hurt myself, "
        "hurting myself, harm myself, harming myself, cut myself, cutting myself, "
        "burn myself, kill myself, killing myself, end my life, take my life",
        "autolesión, autolesiones, autolesionarme, hacerme daño, lastimarme, herirme, "
        "cortarme, matarme, suicidarme, quitarme la vida, acabar con mi vida",
    ),
    "depression_worse": _w(
        "depressed, depression, more depressed, worse depression, "
        "feeling down, low mood, feeling low, sad, sadness, hopeless, hopelessness, "
        "tearful, crying a lot, crying all the time, down in the dumps",
        "deprimido, deprimida, depresión, más deprimido, más deprimida, triste, tristeza, "
        "sin esperanza, desesperanza, bajón, ánimo bajo, decaído, decaída, desanimado, "
        "desanimada, lloro mucho, llorando mucho",
    ),
    "anxiety_worse": _w(
        "anxiety, anxious, more anxious, worse anxiety, nervous, nerves, on edge, uneasy, tense",
        "ansiedad, ansioso, ansiosa, más ansiedad, nervioso, nerviosa, nervios, nerviosismo, "
        "angustia, angustiado, angustiada",
    ),
    "panic_attacks": _w(
        "panic attack, panic, panicking, panicky, anxiety attack, anxiety attacks",
        "ataque de pánico, ataques de pánico, crisis de pánico, crisis de angustia, "
        "ataque de ansiedad, ataques de ansiedad, pánico",
    ),
    "irritability": _w(
        "irritable, irritated, cranky, grumpy, short tempered, short fuse, snappy, "
        "snapping at people, moody, mood swings",
        "irritabilidad, irritado, irritada, mal humor, de mal humor, malhumorado, "
        "malhumorada, mal genio, enojón, enojona, cambios de humor",
    ),
    "aggression": _w(
        "aggressive, angry, anger, anger outbursts, outbursts, rage, raging, violent, "
        "violence, lashing out, fighting, hostile, hostility, losing my temper",
        "agresión, agresivo, agresiva, agresividad, enojo, enojado, enojada, ira, rabia, "
        "coraje, furioso, furiosa, violento, violenta, arranques de ira, ataques de ira",
    ),
    "impulsivity": _w(
        "impulsive, impulsiveness, reckless, recklessness, risky behavior, risky behaviour, "
        "dangerous impulses, acting on impulse, gambling, compulsive gambling, "
        "compulsive shopping, shopping sprees, spending sprees, compulsive eating, hypersexual",
        "impulsivo, impulsiva, impulsividad, imprudente, conductas de riesgo, "
        "conducta de riesgo, apuestas, apostar, juego compulsivo, compras compulsivas, "
        "gastos excesivos, hacer cosas peligrosas",
    ),
    "elevated_mood": _w(
        "manic, mania, hypomanic, hypomania, euphoric, euphoria, high energy, "
        "too much energy, lots of energy, hyper, wired, racing thoughts, feeling high, "
        "grandiose",
        "eufórico, eufórica, euforia, maníaco, maníaca, hipomanía, mucha energía, "
        "demasiada energía, acelerado, acelerada, pensamientos acelerados",
    ),
    "less_need_for_sleep": _w(
        "decreased need for sleep, don't need sleep, don't need to sleep, no need for sleep, "
        "need less sleep, needing less sleep, not needing sleep, little need for sleep",
        "no necesito dormir, necesito dormir menos, menos necesidad de dormir, "
        "poca necesidad de dormir",
    ),
    "insomnia": _w(
        "can't sleep, cannot sleep, can not sleep, unable to sleep, trouble sleeping, "
        "difficulty sleeping, problems sleeping, sleep problems, sleeping problems, "
        "sleep issues, not sleeping, sleepless, sleeplessness, no sleep, poor sleep, "
        "bad sleep, can't fall asleep, trouble falling asleep, difficulty falling asleep, "
        "hard to fall asleep, can't stay asleep, trouble staying asleep, waking up at night, "
        "waking up in the night, waking at night, sleeping less, insomia",
        "insomnio, no puedo dormir, no duermo, no duermo mucho, no me duermo, "
        "problemas para dormir, dificultad para dormir, sin dormir, desvelo, desvelado, desvelada, "
        "me despierto en la noche, me despierto en la madrugada, duermo poco, duermo mal",
    ),
    "vivid_dreams": _w(
        "vivid dream, nightmares, nightmare, bad dreams, bad dream, strange dreams, "
        "weird dreams, intense dreams, crazy dreams, night terrors",
        "pesadillas, pesadilla, sueños vívidos, sueños raros, sueños extraños, "
        "sueños intensos, sueños feos, malos sueños",
    ),
    # autonomic / cardiorespiratory
    "sweating": _w(
        "sweaty, sweats, sweat, heavy sweating, excessive sweating, profuse sweating, "
        "night sweats, cold sweat, cold sweats, a cold sweat, drenched in sweat, "
        "soaked in sweat, perspiring, perspiration, hot flashes, hot flushes, diaphoresis",
        "sudor, sudores, sudoración, sudando, sudo mucho, sudoración excesiva, "
        "sudores nocturnos, sudor frío, transpiración, transpirando, bochornos, sofocos",
    ),
    "racing_heart": _w(
        "heart racing, heart pounding, pounding heart, pounding heartbeat, palpitations, "
        "palpitation, fast heartbeat, fast heart beat, rapid heartbeat, fast heart rate, "
        "high heart rate, heart beating fast, fast pulse, racing pulse, pulse racing, "
        "irregular heartbeat, irregular heart beat, irregular pulse, skipped beats, "
        "skipping beats, heart skipping beats, heart fluttering, heart flutter, tachycardia, "
        "arrhythmia",
        "palpitaciones, palpitación, corazón acelerado, corazón agitado, "
        "corazón latiendo fuerte, taquicardia, latidos rápidos, latidos irregulares, "
        "pulso acelerado, pulso rápido, el corazón me late rápido, arritmia",
    ),
    "chest_pain": _w(
        "chest pains, pain in chest, pain in my chest, chest hurts, chest tightness, "
        "tight chest, chest pressure, pressure in chest, pressure in my chest, "
        "chest discomfort, heart pain, angina",
        "dolor de pecho, dolor en el pecho, dolor torácico, me duele el pecho, "
        "opresión en el pecho, presión en el pecho, pecho apretado, angina de pecho",
    ),
    "breathlessness": _w(
        "shortness of breath, short of breath, breathless, out of breath, can't breathe, "
        "cannot breathe, trouble breathing, difficulty breathing, hard to breathe, "
        "struggling to breathe, breathing problems, can't catch my breath, gasping for air, "
        "winded, wheezing, wheezy, dyspnea, dyspnoea",
        "falta de aire, me falta el aire, dificultad para respirar, no puedo respirar, "
        "me cuesta respirar, ahogo, me ahogo, sofocado, sofocada, disnea, sibilancias",
    ),
    "shallow_breathing": _w(
        "slow breathing, breathing slowly, breathing slow, "
        "breathing shallow, barely breathing, stopped breathing, not breathing, "
        "respiratory depression",
        "respiración lenta, respiración superficial, respiración débil, respira lento, "
        "respira muy lento, casi no respira, no respira, dejó de respirar",
    ),
    "fainting": _w(
        "fainted, faint, feel faint, feeling faint, passed out, pass out, passing out, "
        "blacked out, blackout, blackouts, collapsed, collapse, lost consciousness, "
        "loss of consciousness, fainting spells, syncope",
        "desmayo, desmayos, me desmayé, me desmayo, desmayado, desmayada, desmayarme, "
        "perdí el conocimiento, pérdida de conocimiento, pérdida del conocimiento, "
        "me privé, síncope",
    ),
    "dizziness": _w(
        "dizzy, dizzy spells, lightheaded, light headed, lightheadedness, light headedness, "
        "woozy, vertigo, room spinning, head spinning, spinning, giddy, giddiness, dizy",
        "mareado, mareada, mareo, mareos, me da vueltas la cabeza, la cabeza me da vueltas",
    ),
    "falls": _w(
        "fall, fell, fell down, fell over, falling over, falling down, had a fall, keep falling",
        "caída, caídas, me caí, me caigo, me he caído, me estoy cayendo",
    ),
    "severe_headache": _w(
        "severe headaches, sudden severe headache, sudden headache, worst headache, "
        "worst headache ever, worst headache of my life, terrible headache, "
        "excruciating headache, intense headache, splitting headache, pounding headache, "
        "head pounding, pounding head, thunderclap headache, explosive headache, "
        "very bad headache, really bad headache",
        "dolor de cabeza fuerte, dolor de cabeza muy fuerte, fuerte dolor de cabeza, "
        "dolor de cabeza intenso, dolor de cabeza severo, dolor de cabeza repentino, "
        "dolor de cabeza terrible, el peor dolor de cabeza, cefalea intensa, cefalea severa, "
        "me explota la cabeza",
    ),
    "headache": _w(
        "headaches, head ache, head hurts, head pain, migraine, migraines, tension headache, "
        "sinus headache, hedache, headach",
        "dolor de cabeza, dolores de cabeza, me duele la cabeza, cefalea, jaqueca, migraña, "
        "migrañas, dolor de cabesa",
    ),
    "brain_zaps": _w(
        "brain zap, zaps, zapping, brain shivers, brain shocks, electric shocks, "
        "electric shock, electrical shocks, electric shock sensations, shocks in my head",
        "toques eléctricos, toques en la cabeza, descargas eléctricas, descargas en la cabeza, "
        "corrientazos, calambres en la cabeza, sacudidas eléctricas, choques eléctricos",
    ),
    "tingling": _w(
        "tingly, pins and needles, numbness, numb, prickling, paresthesia, paraesthesia",
        "hormigueo, hormigueos, cosquilleo, entumecimiento, entumido, entumida, "
        "adormecimiento, adormecido, adormecida, parestesias, manos dormidas, "
        "se me duermen las manos, se me duermen los pies",
    ),
    "blurred_vision": _w(
        "blurry vision, blurry, blurred, vision blurry, blurry eyes, fuzzy vision, "
        "can't see clearly, can't see properly, trouble seeing, double vision, seeing double, "
        "vision problems",
        "visión borrosa, vista borrosa, veo borroso, borroso, veo doble, visión doble, "
        "no veo bien, problemas de visión, vista nublada, visión nublada",
    ),
    "tinnitus": _w(
        "ringing in ears, ringing in my ears, ringing in the ears, ears ringing, ear ringing, "
        "ringing ears, ringing, buzzing in ears, buzzing in my ears, ears buzzing",
        "zumbido en los oídos, zumbido de oídos, zumbido en el oído, zumbido, "
        "pitido en los oídos, pitido en el oído, pitidos, acúfenos, acúfeno",
    ),
    # gut / liver / kidney
    "nausea": _w(
        "nauseous, nauseated, queasy, queasiness, feel sick, feeling sick, sick to my stomach, "
        "sick to stomach, feel like vomiting, feel like throwing up, want to throw up, "
        "nausia, nausious, nauseus",
        "náuseas, ganas de vomitar, voy a vomitar, estómago revuelto",
    ),
    "vomiting": _w(
        "vomit, vomited, vomits, throwing up, threw up, throw up, puking, puke, puked, "
        "being sick, been sick, retching, dry heaving, emesis, vommiting, vomitting",
        "vómito, vómitos, vomitar, vomitando, vomité, arcadas",
    ),
    "diarrhoea": _w(
        "diarrhea, diarhea, diarhoea, diarreah, loose stools, loose stool, watery stools, "
        "watery stool, runny stools, runny poo, the runs, loose bowels, frequent stools",
        "diarrea, diarreas, heces líquidas, heces sueltas, evacuaciones líquidas, "
        "evacuaciones sueltas, popó aguada, soltura",
    ),
    "gi_upset": _w(
        "upset stomach, stomach upset, tummy upset, upset tummy, gastrointestinal upset, "
        "gastric upset, indigestion, heartburn, acid reflux, reflux, dyspepsia, "
        "stomach problems, stomach issues, stomach trouble, digestive problems, stomach, tummy",
        "malestar estomacal, malestar de estómago, acidez, agruras, "
        "ardor de estómago, problemas de estómago, problemas estomacales, estómago, "
        "estómago mal, mal del estómago, estómago delicado",
    ),
    "constipation": _w(
        "constipated, can't poop, cannot poop, haven't pooped, not pooping, "
        "no bowel movements, no bowel movement, can't go to the toilet, hard stools, "
        "hard stool, blocked up, bunged up, backed up, straining",
        "estreñimiento, estreñido, estreñida, estitiquez, estítico, no puedo ir al baño, "
        "no evacuo, no he evacuado, no hago popó, heces duras, popó dura",
    ),
    "bloating": _w(
        "bloated, belly swelling, swollen belly, swollen stomach, stomach swelling, "
        "swollen abdomen, abdominal swelling, distended, distension, distention, gas, gassy, "
        "flatulence",
        "hinchazón abdominal, hinchazón de estómago, hinchazón de barriga, vientre hinchado, "
        "barriga hinchada, panza hinchada, estómago hinchado, abdomen hinchado, "
        "inflamación abdominal, estómago inflamado, distensión abdominal, gases, flatulencia",
    ),
    "abdominal_pain": _w(
        "belly pain, stomach pain, stomach pains, stomach ache, stomachache, "
        "tummy ache, tummy pain, belly ache, bellyache, stomach cramps, abdominal cramps, "
        "cramping, pain in my stomach, pain in stomach, pain in my belly, stomach hurts, "
        "belly hurts, tummy hurts",
        "dolor abdominal, dolor de estómago, dolor en el estómago, dolor de barriga, "
        "dolor de panza, dolor de vientre, dolor de tripa, me duele el estómago, "
        "me duele la panza, me duele la barriga, cólico, cólicos, retortijones, retorcijones",
    ),
    "loss_of_appetite": _w(
        "no appetite, poor appetite, lost appetite, lost my appetite, decreased appetite, "
        "reduced appetite, appetite loss, not hungry, never hungry, not eating, can't eat, "
        "don't feel like eating, off my food, off food",
        "falta de apetito, sin apetito, pérdida de apetito, pérdida del apetito, "
        "poco apetito, no tengo hambre, no tengo apetito, no me da hambre, inapetencia, "
        "no como, no quiero comer",
    ),
    "jaundice": _w(
        "jaundiced, yellow skin, yellow eyes, yellowing, yellowing skin, yellowing eyes, "
        "skin yellow, eyes yellow, turning yellow, yellowish skin, yellowish eyes",
        "ictericia, piel amarilla, ojos amarillos, piel amarillenta, ojos amarillentos, "
        "amarillento, amarillenta, color amarillo, coloración amarilla, me puse amarillo, "
        "me puse amarilla",
    ),
    "dark_urine": _w(
        "dark pee, dark wee, dark colored urine, dark coloured urine, brown urine, brown pee, "
        "cola colored urine, cola coloured urine, tea colored urine, tea coloured urine, "
        "urine dark",
        "orina oscura, orina café, orina color café, orina marrón, orina color coca cola, "
        "pipí oscuro, pis oscuro",
    ),
    "extreme_thirst": _w(
        "very thirsty, thirsty, thirst, always thirsty, excessive thirst, constant thirst, "
        "drinking lots of water, drinking a lot of water, polydipsia",
        "sed, mucha sed, sed extrema, sed excesiva, sediento, sedienta, siempre tengo sed, "
        "tomo mucha agua, bebo mucha agua, polidipsia",
    ),
    "polyuria": _w(
        "peeing a lot, peeing lots, peeing all the time, peeing constantly, frequent peeing, "
        "urinating a lot, urinating frequently, frequent urination, passing lots of urine, "
        "passing large amounts of urine, lots of urine, weeing a lot",
        "orinar mucho, orino mucho, orina mucho, mucha orina, orino muy seguido, "
        "orinar seguido, orinar frecuentemente, hago mucha pipí, hago pipí muy seguido, "
        "poliuria",
    ),
    # skin
    "rash_new": _w(
        "rash, rashes, new rash, skin rash, red rash, itchy rash, red spots, spots, "
        "spots on skin, breakout, breaking out, skin eruption",
        "sarpullido, salpullido, erupción, erupciones, erupción en la piel, erupción cutánea, "
        "granitos, granos, manchas rojas, manchas en la piel, irritación en la piel",
    ),
    "rash_blisters": _w(
        "blistering rash, blisters, blister, blistering, blistered skin, skin blisters, "
        "blisters on skin, blisters on my skin, rash with blisters, rash and blisters, "
        "stevens johnson, stevens johnson syndrome, sjs",
        "ampollas, ampolla, ampollas en la piel, piel con ampollas, sarpullido con ampollas, "
        "erupción con ampollas, ronchas con ampollas, síndrome de stevens johnson",
    ),
    "skin_peeling": _w(
        "peeling skin, peeling, peeling off, skin coming off, skin falling off, "
        "shedding skin, skin sloughing, flaking skin, skin flaking",
        "piel pelada, piel que se pela, se me pela la piel, pelando la piel, descamación, "
        "piel descamada, desprendimiento de piel, se me cae la piel, piel levantada",
    ),
    "eye_sores": _w(
        "sore eyes, sore eye, eyes sore, red eyes, red eye, burning eyes, eyes burning, "
        "eye pain, painful eyes, bloodshot eyes, irritated eyes, gritty eyes, pink eye, "
        "conjunctivitis",
        "ojos rojos, ojo rojo, ardor en los ojos, me arden los ojos, ojos irritados, "
        "ojos inflamados, dolor de ojos, dolor en los ojos, conjuntivitis",
    ),
    "hives": _w(
        "welts, wheals, urticaria, itchy welts, nettle rash",
        "ronchas, roncha, habones, ronchas que pican",
    ),
    "facial_swelling": _w(
        "swollen face, face swelling, face swollen, swelling of the face, "
        "swollen lips, swollen lip, lip swelling, lips swelling, swollen tongue, "
        "tongue swelling, swollen eyelids, puffy face, angioedema, throat swelling, "
        "swollen throat, throat closing, throat tightening",
        "cara hinchada, cara inflamada, labios hinchados, labios inflamados, lengua hinchada, "
        "lengua inflamada, hinchazón de la cara, hinchazón en la cara, hinchazón de labios, "
        "se me hinchó la cara, párpados hinchados, se me cierra la garganta",
    ),
    # other
    "priapism": _w(
        "painful erection, prolonged erection, erection that won't go away, "
        "erection won't go away, erection lasting hours, erection for hours, "
        "erection lasting more than 4 hours",
        "priapismo, erección dolorosa, erección prolongada, erección que no baja, "
        "erección que no se baja, erección por horas",
    ),
    "overdose": _w(
        "overdosed, accidental overdose, took too much, took too many, took too many pills, "
        "took too much medicine, took too much medication, too many pills, took all my pills, "
        "took all my meds, double dose, took a double dose, took my pills twice, "
        "took my dose twice",
        "sobredosis, tomé demasiado, tomé de más, tomé demasiadas pastillas, "
        "tomé muchas pastillas, me tomé todas las pastillas, doble dosis, "
        "me pasé de la dosis, tomé la dosis dos veces",
    ),
    "weight_gain": _w(
        "gained weight, gaining weight, putting on weight, put on weight, weight increase, "
        "increased weight, heavier, getting fat",
        "subí de peso, subir de peso, subiendo de peso, aumento de peso, aumenté de peso, "
        "subida de peso, ganancia de peso, engordé, engordar, engordando, he engordado, "
        "kilos de más",
    ),
    "fatigue": _w(
        "fatigued, tired, tiredness, very tired, exhausted, exhaustion, no energy, low energy, "
        "lack of energy, lethargic, lethargy, worn out, wiped out, drained, sluggish, weary, "
        "run down, fatige",
        "cansancio, cansado, cansada, fatiga, agotado, agotada, agotamiento, sin energía, "
        "poca energía, falta de energía, baja energía, flojera",
    ),
    "sexual_dysfunction": _w(
        "sexual problems, sexual side effects, low libido, no libido, loss of libido, "
        "decreased libido, libido, low sex drive, no sex drive, loss of sex drive, "
        "erectile dysfunction, impotence, impotent, can't get an erection, "
        "trouble getting an erection, can't get hard, can't orgasm, cannot orgasm, can't climax, "
        "no orgasm, delayed orgasm, delayed ejaculation, anorgasmia, vaginal dryness",
        "disfunción sexual, problemas sexuales, bajo deseo sexual, poco deseo sexual, "
        "sin deseo sexual, falta de deseo sexual, sin ganas de sexo, libido baja, "
        "pérdida de la libido, disfunción eréctil, impotencia, no puedo tener erección, "
        "no llego al orgasmo, no puedo llegar al orgasmo, eyaculación retardada, "
        "sequedad vaginal",
    ),
    "dry_mouth": _w(
        "mouth dry, mouth is dry, cottonmouth, cotton mouth, xerostomia",
        "boca seca, sequedad de boca, sequedad en la boca, resequedad en la boca, boca reseca",
    ),
    "other_symptom": _w(
        "other symptoms, another symptom, a different symptom, something else, "
        "other side effect, other side effects",
        "otro síntoma, otros síntomas, algo más, otra cosa, otro efecto secundario, "
        "otros efectos secundarios",
    ),
}


def _set(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Matching rules, on words as `normalize.tokens` folds them (no accents, no apostrophes).
# A phrase right after one of these (fillers skipped) is denied, not reported.
NEGATIONS = _set(
    "no not never none without nor neither deny denies denied denying negative dont doesnt "
    "didnt isnt arent wasnt werent havent hasnt hadnt wont nunca jamas sin ni tampoco "
    "ningun ninguna ninguno nada"
)
# Words skipped between a negation and its phrase ("I don't have a fever", "ya no tengo fiebre").
_FILLER = _set(
    "i im ive me my a an the any some have has had having get getting got gotten feel "
    "feeling felt been be is are was were am more longer much really very too also of for "
    "sign signs symptom symptoms experienced experiencing noticed real at all "
    "yo mi mis tengo tiene tenia tuve tenido he ha hay habia el la los las un una unos unas "
    "de del siento sentido senti mas ya muy mucho mucha muchos muchas es esta estoy "
    "senales signos sintoma sintomas"
)
# "no fever or rash", "no tengo fiebre o tos": the negation carries over "or".
_OR = frozenset({"or", "o", "u"})
# Negation is not trusted for these (as for crisis language: when in doubt, escalate).
UNDENIABLE = frozenset({"suicidal_thoughts", "self_harm_urges", "overdose"})
# A more serious form absorbs its milder form when both are named.
ABSORBS: dict[str, frozenset[str]] = {
    "rash_blisters": frozenset({"rash_new"}),
    "severe_headache": frozenset({"headache"}),
    "coarse_tremor": frozenset({"tremor"}),
}
_GENERIC = "other_symptom"


def _key(phrase: str) -> tuple[str, ...]:
    return tuple(tokens(phrase))


def _index() -> dict[tuple[str, ...], str]:
    """Folded phrase -> code: each code itself, then its words (first claim kept; the tests
    prove no word is claimed twice)."""
    index: dict[tuple[str, ...], str] = {}
    for code in SYMPTOMS:
        index.setdefault(_key(code), code)
    for code, words in WORDS_BY_CODE.items():
        for word in words.all:
            index.setdefault(_key(word), code)
    index.pop((), None)
    return index


_INDEX = _index()
_COMPACT = {"".join(k): code for k, code in reversed(list(_INDEX.items()))}
_LONGEST = max(len(k) for k in _INDEX)


@dataclass(frozen=True)
class _Match:
    start: int
    end: int
    code: str


def _matches(words: list[str]) -> list[_Match]:
    """Listed phrases in the words, longest first where they overlap, in text order."""
    found: list[_Match] = []
    for start in range(len(words)):
        for end in range(start + 1, min(start + _LONGEST, len(words)) + 1):
            code = _INDEX.get(tuple(words[start:end]))
            if code is not None:
                found.append(_Match(start, end, code))

    def rank(m: _Match) -> tuple[int, int, int]:
        return (-(m.end - m.start), -len(" ".join(words[m.start : m.end])), m.start)

    taken = [False] * len(words)
    chosen: list[_Match] = []
    for m in sorted(found, key=rank):
        if any(taken[m.start : m.end]):
            continue
        taken[m.start : m.end] = [True] * (m.end - m.start)
        chosen.append(m)
    return sorted(chosen, key=lambda m: m.start)


def _denied(words: list[str], matches: list[_Match]) -> list[bool]:
    """For each match: is it right after a negation (fillers skipped, carried over "or")?"""
    owner = {i: n for n, m in enumerate(matches) for i in range(m.start, m.end)}
    denied: list[bool] = []
    for m in matches:
        result = False
        after_or = False
        j = m.start - 1
        while j >= 0:
            word = words[j]
            if j in owner:
                result = after_or and denied[owner[j]]
                break
            if word in NEGATIONS:
                result = True
                break
            if word in _OR:
                after_or = True
            elif word not in _FILLER:
                break
            j -= 1
        denied.append(result)
    return denied


def codes_in(text: str) -> tuple[str, ...]:
    """Every code the text names, in text order, once each: denied phrases left out (except
    UNDENIABLE codes), milder forms absorbed by their serious form, other_symptom absorbed by
    any named symptom."""
    words = tokens(text)
    whole = _INDEX.get(tuple(words)) or _COMPACT.get("".join(words))
    if whole is not None:
        return (whole,)
    matches = _matches(words)
    denied = _denied(words, matches)
    codes: list[str] = []
    for m, no in zip(matches, denied, strict=True):
        if (not no or m.code in UNDENIABLE) and m.code not in codes:
            codes.append(m.code)
    absorbed = {mild for code in codes for mild in ABSORBS.get(code, ())}
    if len(codes) > 1:
        absorbed.add(_GENERIC)
    return tuple(c for c in codes if c not in absorbed)


def code_for(text: str) -> str | None:
    """The one code the text names (see the module doc), or None: nothing named, only denied,
    or two different symptoms."""
    codes = codes_in(text)
    return codes[0] if len(codes) == 1 else None


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def markdown() -> str:
    """The vocabulary as docs/side-effect-vocabulary.md: each code, its patient wording, and
    the English and Spanish words `code_for` accepts for it."""
    count = sum(len(w.all) for w in WORDS_BY_CODE.values())
    lines = [
        "# Side-effect vocabulary",
        "",
        "<!-- Generated by shared.lexicon.side_effects.markdown(); do not edit by hand.",
        "     Regenerate: python -m shared.lexicon.side_effects > "
        "docs/side-effect-vocabulary.md -->",
        "",
        'The symptom codes a `SideEffectReported` effect carries (`{"code": "sore_throat", '
        '"severity": 2}`), the wording a patient is shown, and the words '
        "`shared.lexicon.side_effects.code_for` reads as each code.",
        "",
        f"{len(SYMPTOMS)} codes, {count} accepted words.",
        "",
        "How words are read:",
        "",
        "- Each code is accepted as itself, and so is each word below; case, accents, "
        "apostrophes, punctuation and spacing do not matter (`SORE_THROAT`, ` sore-throat `, "
        "`Sore Throat`, `vomito` for `vómito`).",
        "- In a longer text the words are found as whole words, the longest phrase first: "
        "`severe headache` is `severe_headache`, not `headache`.",
        "- A word right after a negation (`no fever`, `ya no tengo fiebre`, `denies chest pain`) "
        "does not count, except for "
        + ", ".join(f"`{c}`" for c in sorted(UNDENIABLE))
        + " (when in doubt, escalate).",
        "- A serious form absorbs its milder form when both are named ("
        + "; ".join(
            f"`{code}` absorbs " + ", ".join(f"`{m}`" for m in sorted(mild))
            for code, mild in ABSORBS.items()
        )
        + "); any named symptom absorbs `other_symptom`.",
        "- A text naming two different symptoms is not one code: `code_for` gives none, "
        "`codes_in` gives each.",
        "",
        "| code | patient wording | English | Spanish |",
        "|---|---|---|---|",
    ]
    for code, wording in SYMPTOMS.items():
        words = WORDS_BY_CODE[code]
        lines.append(
            f"| `{code}` | {_cell(wording)} | {_cell(', '.join(words.en))} "
            f"| {_cell(', '.join(words.es))} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(markdown())
