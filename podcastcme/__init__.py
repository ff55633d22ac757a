"""podcastcme: an accredited CME podcast platform."""
