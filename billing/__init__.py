"""Payments with Stripe: fees for credit, the annual CME pass, checkout and webhooks."""
