"""Shows, episodes, audio delivery, feeds and download analytics."""
