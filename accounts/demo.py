"""The demo accounts `seed_demo` creates (development only) and the TOTP secret of the demo staff."""

DEMO_PASSWORD = "listen-learn-2026"
DEMO_LEARNER = "learner@example.com"
DEMO_HOST = "host@example.com"
DEMO_COORDINATOR = "coordinator@example.com"
DEMO_ADMIN = "admin@example.com"
# Learners of the other professions the demo activity offers credit to (issue 13): a nurse (ANCC
# contact hours; a Florida licence for the CE Broker roster) and a pharmacist (ACPE credit for CPE
# Monitor: NABP e-Profile ID and birth month and day).
DEMO_NURSE = "nurse@example.com"
DEMO_PHARMACIST = "pharmacist@example.com"
# The CME office of a hospital that bought seats for its clinicians (issue 18: institutions).
DEMO_INSTITUTION_ADMIN = "hospital@example.com"
# Host, coordinator and admin must use MFA; the demo gives them this fixed TOTP secret so that
# `manage.py demo_totp` can print the current code (or add it to an authenticator app).
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
