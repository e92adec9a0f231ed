"""A fast path through DRF for GET requests whose JSON reply is already known (a cached body).

DRF's per-request machinery (its ``Request``, content negotiation, authenticator, permission and throttle
objects, the renderer) costs about as much as a whole trivial Django view on the 2-core machine
(docs/benchmarks.md, section 1). For the endpoints that are read far more often than their answer changes
(the option chain, market status, health), ``FastGetMixin`` answers a plain JSON GET from the view's
``fast_get`` without it, doing by hand exactly what DRF would have done for that request:

* content negotiation: only a request DRF would answer with JSON (no ``Accept``, ``*/*`` or
  ``application/json``; no ``?format=``);
* authentication: the view's own classes — none (health: anonymous), or the hashed API token first, as in
  settings: ``Authorization: Token <key>``, found through the same cached lookup; no ``Authorization`` and no
  session cookie is anonymous. Anything else (a session, a malformed or unknown token) takes DRF's path;
* permission: ``AllowAny``, or ``IsAuthenticated`` with a token's user;
* throttling: the same ``RateThrottle`` and counter, counted once, after the view said it has the answer; a
  refusal is DRF's own 429 (its exception handler, ``Retry-After``);
* the reply: DRF's headers (``Allow``, ``Vary: Accept``) and content type.

Whatever the fast path does not cover, or when ``fast_get`` returns None (not cached), the request goes through
DRF as before. ``tests/api/test_fast_path.py`` checks both paths give the same status, headers and body.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from rest_framework import exceptions
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.renderers import JSONRenderer

from apps.core.api_tokens import api_token_cache_clear, api_token_for_key_cached
from apps.core.authentication import HashedTokenAuthentication
from apps.core.throttling import RateThrottle

JSON = "application/json"
_JSON_ACCEPTS = frozenset({"", "*/*", JSON})
"""Accept headers for which DRF's negotiation picks its JSON renderer (the first) and ``application/json``."""

T = TypeVar("T")


_memos: weakref.WeakSet[Memo[Any]] = weakref.WeakSet()


class Memo(Generic[T]):
    """Values kept in this process for a few seconds, by key: what a short-lived answer needs.

    ``seconds`` is read on every call (a callable reading a setting), so a setting changed at run time applies."""

    def __init__(self, seconds: Callable[[], float], size: int = 64) -> None:
        self.seconds = seconds
        self.size = size
        self._entries: dict[Hashable, tuple[float, T]] = {}
        self._computing: set[Hashable] = set()
        self._lock = threading.Lock()
        _memos.add(self)

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The kept value while fresh; else computed. While one thread computes it, the others (the threads of an
        ASGI server) keep getting the value just expired instead of all computing it at once."""
        now = time.monotonic()
        found = self._entries.get(key)
        if found is not None and now < found[0]:
            return found[1]
        with self._lock:
            if found is not None and key in self._computing:
                return found[1]
            self._computing.add(key)
        try:
            value = compute()
        finally:
            with self._lock:
                self._computing.discard(key)
        seconds = self.seconds()
        if seconds > 0:
            with self._lock:
                if len(self._entries) >= self.size:
                    self._entries = {k: e for k, e in self._entries.items() if e[0] > now}
                    if len(self._entries) >= self.size:
                        self._entries.clear()
                self._entries[key] = (now + seconds, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def process_caches_clear() -> None:
    """Forget every short-lived answer, trusted token and unflushed throttle count this process holds (each test
    starts without them)."""
    for memo in list(_memos):
        memo.clear()
    api_token_cache_clear()
    RateThrottle.counter.clear()


def json_body(data: Any) -> bytes:
    """``data`` as DRF's JSON renderer writes it for a plain JSON request."""
    return JSONRenderer().render(data, JSON)


def _json_request(request: HttpRequest) -> bool:
    if request.method != "GET" or "format" in request.GET:
        return False
    return request.META.get("HTTP_ACCEPT", "").strip() in _JSON_ACCEPTS


class FastGetMixin:
    """Put before ``APIView``; implement ``fast_get(request, *args, **kwargs)`` returning ``(status, body)`` when
    the reply is known without DRF, else None."""

    def fast_get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> tuple[int, bytes] | None:
        raise NotImplementedError

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if _json_request(request):
            user = self._fast_user(request)
            if user is not None and self._fast_permitted(user):
                reply = self.fast_get(request, *args, **kwargs)
                if reply is not None:
                    return self._fast_reply(request, user, reply, *args, **kwargs)
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]

    def _fast_user(self, request: HttpRequest) -> Any:
        """The user DRF would authenticate, when the fast path can tell it; None: let DRF decide."""
        if getattr(request, "_force_auth_user", None) is not None:
            return None  # DRF's test client forced a user (force_authenticate): DRF's Request applies it
        classes = list(self.authentication_classes)  # type: ignore[attr-defined]
        if not classes:
            return AnonymousUser()
        if classes[0] is not HashedTokenAuthentication:
            return None
        header = request.META.get("HTTP_AUTHORIZATION")
        if header is None:
            if settings.SESSION_COOKIE_NAME in request.COOKIES:
                return None  # a session: DRF's SessionAuthentication reads it
            # What SessionAuthentication asks (no cookie: no query); the session, read, makes the reply Vary: Cookie.
            return request.user if not request.user.is_authenticated else None
        parts = header.split()
        if len(parts) != 2 or parts[0].lower() != "token" or not (parts[1].isascii() and parts[1].isprintable()):
            return None  # DRF refuses it, or another scheme: its answer, not ours
        token = api_token_for_key_cached(parts[1])
        return None if token is None else token.user

    def _fast_permitted(self, user: Any) -> bool:
        if list(self.throttle_classes) not in ([], [RateThrottle]):  # type: ignore[attr-defined]
            return False  # a throttle this path does not know: DRF's path
        classes = list(self.permission_classes)  # type: ignore[attr-defined]
        if classes == [AllowAny]:
            return True
        return classes == [IsAuthenticated] and bool(user.is_authenticated)

    def _fast_reply(self, request: HttpRequest, user: Any, reply: tuple[int, bytes], *args: Any, **kwargs: Any) -> Any:
        request.user = user  # as DRF sets it on the request it wraps
        if self.throttle_classes:  # type: ignore[attr-defined]
            throttle = RateThrottle()
            if not throttle.allow_request(request, self):  # type: ignore[arg-type]
                return self._refused(request, throttle.wait() or 1.0, *args, **kwargs)
        status, body = reply
        response = HttpResponse(body, status=status, content_type=JSON)
        self.headers = self.default_response_headers  # type: ignore[attr-defined]
        return self.finalize_response(request, response, *args, **kwargs)  # type: ignore[attr-defined]

    def _refused(self, request: HttpRequest, wait: float, *args: Any, **kwargs: Any) -> Any:
        """What DRF's dispatch answers when its throttle refuses: the exception handler's JSON 429."""
        view: Any = self
        view.args, view.kwargs = args, kwargs
        drf_request = view.initialize_request(request, *args, **kwargs)
        view.request = drf_request
        view.headers = view.default_response_headers
        view.format_kwarg = None
        drf_request.accepted_renderer, drf_request.accepted_media_type = JSONRenderer(), JSON
        response = view.handle_exception(exceptions.Throttled(wait))
        return view.finalize_response(drf_request, response, *args, **kwargs)
