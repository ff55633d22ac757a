"""Views of the episodes app, one module per audience: public pages, host pages, feed, files."""
