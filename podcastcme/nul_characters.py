"""Refuse requests whose address, query string or form fields contain a NUL character, with a 400.

PostgreSQL stores no NUL (U+0000) in text: any value that carries one into a query or a save fails
with ``DataError`` (a 500), wherever it comes from — a search box, a path segment such as a
verification code or a feed token, a filter read with ``request.GET.get``, a choice field looked up
by slug. No legitimate browser or podcast app sends one, so one check in front of every view is
simpler and safer than a check in each of them. Django's ``CharField`` already refuses NUL in
forms; this covers everything else that reads the request directly.

Multipart bodies are checked too, except for views exempt from CSRF: the episode upload must choose
its upload handlers before the body is read (and the Stripe webhook reads its raw body). For every
other view the CSRF check reads the form anyway, right after this one.
"""

from django.http import HttpResponseBadRequest

NUL = "\x00"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
MESSAGE = "Bad request: the address or the form contains a NUL character (%00), which is never valid here.\n"


def _has_nul(querydict) -> bool:
    return any(NUL in key or any(NUL in value for value in values) for key, values in querydict.lists())


def _refuse() -> HttpResponseBadRequest:
    return HttpResponseBadRequest(MESSAGE, content_type="text/plain; charset=utf-8")


class RefuseNulCharactersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if NUL in request.path_info or _has_nul(request.GET):
            return _refuse()
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        # Runs after the outer middleware (body size limits) and before CSRF reads the form.
        if request.method != "POST" or request.content_type not in FORM_TYPES:
            return None
        if request.content_type == "multipart/form-data" and getattr(view_func, "csrf_exempt", False):
            return None
        if _has_nul(request.POST):
            return _refuse()
        return None
