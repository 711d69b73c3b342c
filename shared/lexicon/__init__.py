"""The project's shared vocabularies: what words in a patient's text or an integrator's record
mean, as plain tables and pure functions (crisis language, side-effect words).

Contract-level data, like the event models: two services (and the EHR bridge) read the same
words the same way. What to do about a match is each service's rule, never decided here."""
