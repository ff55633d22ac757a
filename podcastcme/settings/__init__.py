"""Settings package: base (shared), dev, test and prod. Pick one with DJANGO_SETTINGS_MODULE."""
