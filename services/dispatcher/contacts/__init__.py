"""The contact directory and what fills it (mtm.patients, mtm.clinicians)."""
