"""The RSS feed of a show."""


def show_feed(request, slug):
    raise NotImplementedError
