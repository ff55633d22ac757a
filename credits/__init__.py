"""Accredited providers and their CME activities: quizzes, evaluations, claims, certificates."""
