"""Strong ETags on every successful GET of the API, and 304 for a matching ``If-None-Match``.

The tag is the SHA-256 of the body as sent, so two answers with the same tag are byte for byte the
same (a strong validator, RFC 9110). The body is still built to compare (the saving is the transfer
and the client's parsing, not the server's query). ``Vary: Authorization``: a learner's answer is
never served to another from a shared cache; authenticated answers are also ``private``.
"""

import hashlib
from functools import wraps

from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers


def with_etag(view):
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        patch_vary_headers(response, ["Authorization"])
        if "Authorization" in request.headers:
            patch_cache_control(response, private=True, no_cache=True)
        else:
            patch_cache_control(response, no_cache=True)
        if request.method not in ("GET", "HEAD") or response.status_code != 200 or response.streaming:
            return response
        etag = '"' + hashlib.sha256(response.content).hexdigest() + '"'
        response["ETag"] = etag
        return get_conditional_response(request, etag=etag, response=response)

    return wrapped
