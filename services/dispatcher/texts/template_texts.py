"""The texts themselves. Spanish drops the accents GSM-7 lacks (a, i, o, u with acute)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Texts:
    """One template: minimal texts, optional detailed texts, and who it is for."""

    minimal: dict[str, str]
    detailed: dict[str, str] = field(default_factory=dict)
    audience: str = "patient"
    """patient, caregiver or clinician."""
    opt_out_text: bool = True
    """Must say how to opt out (every programme text, SMS-CONSENT)."""


_STOP_EN = "Reply STOP to opt out."
_STOP_ES = "Responda STOP para no recibir mas."

TEXTS: dict[str, Texts] = {
    "dose_reminder": Texts(
        minimal={
            "en": "{site}: time for your {time} medicine. Reply 1 if taken, 2 if not. "
            "Reply STOP to opt out, HELP for help.",
            "es": "{site}: es hora de su medicina de las {time}. Responda 1 si la tomo, "
            "2 si no. " + _STOP_ES,
        },
        detailed={
            "en": "{site}: time for your {time} dose of {drug}. Reply 1 if taken, 2 if not. "
            + _STOP_EN,
            "es": "{site}: es hora de su dosis de {drug} de las {time}. Responda 1 si la tomo, "
            "2 si no. " + _STOP_ES,
        },
    ),
    "dose_followup": Texts(
        minimal={
            "en": "{site}: we have not heard back about your {time} medicine. Reply 1 if taken, "
            "2 if not. " + _STOP_EN,
            "es": "{site}: no sabemos si tomo su medicina de las {time}. Responda 1 si la tomo, "
            "2 si no. " + _STOP_ES,
        }
    ),
    "refill_reminder": Texts(
        minimal={
            "en": "{site}: your prescription may be due for a refill soon. Call your pharmacy or "
            "us at {phone}. " + _STOP_EN,
            "es": "{site}: pronto puede necesitar surtir su receta. Llame a su farmacia o al "
            "{phone}. " + _STOP_ES,
        }
    ),
    "appointment_booked": Texts(
        minimal={
            "en": "{site}: your visit is booked for {when}. Reply STOP to opt out, HELP for help.",
            "es": "{site}: su cita es el {when}. Responda STOP para no recibir mas, HELP para "
            "ayuda.",
        }
    ),
    "appointment_reminder": Texts(
        minimal={
            "en": "{site}: reminder of your visit {when}. Reply 1 to confirm, 2 to reschedule, "
            "3 to cancel. " + _STOP_EN,
            "es": "{site}: cita el {when}. Responda 1 para confirmar, 2 para cambiar, "
            "3 para cancelar. " + _STOP_ES,
        }
    ),
    "appointment_cancelled": Texts(
        minimal={
            "en": "{site}: your visit {when} is cancelled. Call {phone} to book a new time. "
            + _STOP_EN,
            "es": "{site}: su cita del {when} fue cancelada. Llame al {phone} para otra cita. "
            + _STOP_ES,
        }
    ),
    "appointment_rebook": Texts(
        minimal={
            "en": "{site}: we missed you at your visit. Reply 2 or call {phone} to book a new "
            "time. " + _STOP_EN,
            "es": "{site}: lo esperamos en su cita. Responda 2 o llame al {phone} para otra "
            "cita. " + _STOP_ES,
        }
    ),
    # Composed per item by checkin_render.py from checkin_texts.py (these show the shape).
    "checkin_item": Texts(
        minimal={
            "en": "{site}: Q{n}/{of} {question} Reply 0 (not at all) to 3 (nearly every day). "
            "STOP to opt out.",
            "es": "{site}: P{n}/{of} {question} Responda 0 (nunca) a 3 (casi todos los dias). "
            "STOP para salir.",
        },
        detailed={
            "en": "{site}: {instrument} Q{n}/{of} {question} Reply 0 (not at all) to 3 "
            "(nearly every day). STOP to opt out.",
            "es": "{site}: {instrument} P{n}/{of} {question} Responda 0 (nunca) a 3 (casi "
            "todos los dias). STOP para salir.",
        },
    ),
    "caregiver_missed_dose": Texts(
        audience="caregiver",
        minimal={
            "en": "{site}: a medicine reminder for the person you support was not answered. "
            "Please check in with them. " + _STOP_EN,
            "es": "{site}: la persona que usted apoya no contesto un recordatorio de medicina. "
            "Por favor hable con ella. " + _STOP_ES,
        },
    ),
    "clinic_callback": Texts(
        minimal={
            "en": "{site}: please call us at {phone} when you can. " + _STOP_EN,
            "es": "{site}: por favor llamenos al {phone} cuando pueda. " + _STOP_ES,
        }
    ),
    "crisis_resources": Texts(
        opt_out_text=False,
        minimal={
            "en": "{site}: If you may hurt yourself or are in danger, call or text 988 now (24/7) "
            "or call 911. Your care team has been alerted.",
            "es": "{site}: Si puede hacerse daño o corre peligro, llame o envie texto al 988 "
            "ahora (24/7) o llame al 911. Su equipo fue avisado.",
        },
    ),
    "clinician_page": Texts(
        audience="clinician",
        opt_out_text=False,
        minimal={
            "en": "{site}: URGENT {severity} alert, code {code}. Check the on-call queue now. "
            "Reply ACK {code} to acknowledge.",
            "es": "{site}: alerta URGENTE {severity}, codigo {code}. Revise la cola de guardia. "
            "Responda ACK {code} para confirmar.",
        },
    ),
    "clinician_resolve_reminder": Texts(
        audience="clinician",
        opt_out_text=False,
        minimal={
            "en": "{site}: {severity} alert {code} acknowledged, not resolved. "
            "Reply RESOLVE {code} when done.",
            "es": "{site}: alerta {severity} {code} confirmada, sin resolver. "
            "Responda RESOLVE {code} al terminar.",
        },
    ),
    "clinician_notice": Texts(
        audience="clinician",
        opt_out_text=False,
        minimal={
            "en": "{site}: alert {code} has been acknowledged. No action needed from you.",
            "es": "{site}: la alerta {code} ya fue atendida. No necesita hacer nada.",
        },
    ),
    "site_lead_notice": Texts(
        audience="clinician",
        opt_out_text=False,
        minimal={
            "en": "{site}: on-call {clinician} texted STOP. Pages cannot be stopped by text; "
            "change the roster if they should not be paged.",
            "es": "{site}: {clinician} (de guardia) envio STOP. Los avisos no se detienen por "
            "texto; cambie la guardia si no debe recibirlos.",
        },
    ),
    "clinician_stop_reply": Texts(
        audience="clinician",
        opt_out_text=False,
        minimal={
            "en": "{site}: on-call pages are clinical operations and cannot be stopped by text. "
            "To come off the roster, ask your site lead.",
            "es": "{site}: los avisos de guardia son operaciones clinicas y no se detienen por "
            "texto. Para salir de la guardia, hable con su jefe de sitio.",
        },
    ),
    "digest": Texts(
        audience="clinician",
        opt_out_text=False,
        minimal={
            "en": "{site}: {count} items are waiting in your work queue.",
            "es": "{site}: hay {count} pendientes en su cola de trabajo.",
        },
    ),
    "help": Texts(
        minimal={
            "en": "{site} reminders: up to {freq} msgs/day. Msg&data rates may apply. Call {phone} "
            "for help. " + _STOP_EN,
            "es": "{site} recordatorios: hasta {freq} mensajes/dia. Pueden aplicar tarifas. "
            "Ayuda: {phone}. " + _STOP_ES,
        }
    ),
    "opt_out_confirmation": Texts(
        opt_out_text=False,
        minimal={
            "en": "{site}: you are unsubscribed and will get no more texts. Reply START to "
            "resubscribe. For urgent help call or text 988.",
            "es": "{site}: ya no recibira mensajes. Responda START para volver a recibirlos. "
            "Para ayuda urgente llame o envie texto al 988.",
        },
    ),
    "opt_out_confirmation_visit": Texts(
        opt_out_text=False,
        minimal={
            "en": "{site}: you will get no more texts. About your visit, call us at {phone}. "
            "Reply START to resubscribe. Urgent help: call/text 988.",
            "es": "{site}: ya no recibira mensajes. Sobre su cita llame al {phone}. Responda "
            "START para volver. Ayuda urgente: 988.",
        },
    ),
    "opt_out_clarify": Texts(
        opt_out_text=False,
        minimal={
            "en": "{site}: do you want to stop all texts from us? Reply STOP to stop them. "
            "Questions: call {phone}.",
            "es": "{site}: quiere dejar de recibir todos nuestros mensajes? Responda STOP. "
            "Preguntas: {phone}.",
        },
    ),
    "media_unreadable": Texts(
        minimal={
            "en": "{site}: pictures and other files sent by text cannot be read here. Please "
            "reply in words, or call {phone}. " + _STOP_EN,
            "es": "{site}: no podemos leer fotos ni archivos por texto. Escriba su mensaje "
            "o llame al {phone}. " + _STOP_ES,
        }
    ),
    "opt_in_confirmation": Texts(
        minimal={
            "en": "{site}: you will get reminders again. Msg&data rates may apply. Reply HELP for "
            "help, STOP to opt out.",
            "es": "{site}: volvera a recibir recordatorios. Pueden aplicar tarifas. Responda HELP "
            "para ayuda, STOP para no recibir mas.",
        }
    ),
}
