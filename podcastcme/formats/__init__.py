"""Date formats for the pages (settings.FORMAT_MODULE_PATH): one way of writing a date everywhere."""
