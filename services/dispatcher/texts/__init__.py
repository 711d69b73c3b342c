"""SMS texts: templates, their wording in English and Spanish, the check-in items."""
