#!/usr/bin/env python3
"""A diary relying party written with Python Authlib (Debian's python3-authlib), not JavaScript.

Logs in through the broker and the ESIA emulator as a confidential client: discovery (the
document validated by Authlib's own RFC 8414 / OIDC Discovery checks), authorization code with
PKCE (S256), the person's browser hops followed with requests (picking the persona and pressing
«Предоставить» on the emulator's pages), the code exchanged, the id_token validated against the
JWKS (signature, iss, aud, exp, nonce, at_hash), a refresh (the new id_token validated too),
/userinfo, /introspect, and the access token validated locally as an RFC 9068 JWT.

Usage: authlib_rp.py ISSUER CLIENT_ID CLIENT_SECRET REDIRECT_URI ESIA_OID
Prints one JSON object with what it saw; exits non-zero (with the reason on stderr) on any failure.
"""

import html
import json
import os
import re
import sys
import time
from urllib.parse import urljoin

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.jose import JsonWebKey, jwt
from authlib.oidc.core import CodeIDToken
from authlib.oidc.discovery import OpenIDProviderMetadata

class ProviderMetadata(OpenIDProviderMetadata):
    """Authlib's checks, except that a loopback issuer may be http when AUTHLIB_INSECURE_TRANSPORT
    is set (tests on 127.0.0.1): the same switch Authlib's clients use for http endpoints."""

    def validate_issuer(self):
        issuer = self.get("issuer") or ""
        if os.environ.get("AUTHLIB_INSECURE_TRANSPORT") and re.match(r"^http://(127\.0\.0\.1|localhost)(:\d+)?(/|$)", issuer):
            if "?" in issuer or "#" in issuer:
                raise ValueError('"issuer" has a query or fragment')
            return
        super().validate_issuer()


FORM = re.compile(r'<form[^>]*action="([^"]+)"[^>]*>([\s\S]*?)</form>')
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def fail(message):
    print(f"authlib_rp: {message}", file=sys.stderr)
    sys.exit(1)


def form_with(page, marker):
    """The first form on the page containing marker: its action and hidden fields."""
    for action, body in FORM.findall(page):
        if marker in body:
            return html.unescape(action), {name: html.unescape(value) for name, value in HIDDEN.findall(body)}
    return None


def browse_to_redirect(start_url, redirect_uri, oid):
    """The person's browser: follows redirects, picks the persona, consents; stops at the diary."""
    browser = requests.Session()
    url = start_url
    for _ in range(20):
        if url.startswith(redirect_uri):
            return url
        response = browser.get(url, allow_redirects=False, headers={"accept": "text/html"})
        if 300 <= response.status_code < 400:
            url = urljoin(url, response.headers["location"])
            continue
        if response.status_code != 200:
            fail(f"{url} answered {response.status_code}: {response.text[:300]}")
        page = response.text
        form = form_with(page, f'value="{oid}"') if 'name="oid"' in page else form_with(page, 'value="grant"') if "Предоставить" in page else None
        if form is None:
            fail(f"unexpected page at {url}: {page[:300]}")
        action, fields = form
        posted = browser.post(urljoin(url, action), data=fields, allow_redirects=False, headers={"accept": "text/html"})
        if not 300 <= posted.status_code < 400:
            fail(f"{action} answered {posted.status_code}: {posted.text[:300]}")
        url = urljoin(url, posted.headers["location"])
    fail("too many hops")


def main():
    if len(sys.argv) != 6:
        fail(__doc__.strip().splitlines()[-2])
    issuer, client_id, client_secret, redirect_uri, oid = sys.argv[1:]

    metadata = ProviderMetadata(requests.get(f"{issuer}/.well-known/openid-configuration", timeout=10).json())
    metadata.validate()
    if metadata["issuer"] != issuer:
        fail(f"discovery names issuer {metadata['issuer']}")
    keys = JsonWebKey.import_key_set(requests.get(metadata["jwks_uri"], timeout=10).json())

    session = OAuth2Session(
        client_id,
        client_secret,
        scope="openid profile diary",
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic",
    )
    verifier = generate_token(64)
    nonce = generate_token(24)
    authorize_url, state = session.create_authorization_url(metadata["authorization_endpoint"], nonce=nonce, code_verifier=verifier)

    callback = browse_to_redirect(authorize_url, redirect_uri, oid)
    token = session.fetch_token(metadata["token_endpoint"], authorization_response=callback, state=state, code_verifier=verifier)

    def validate_id_token(id_token, access_token, expected_nonce):
        params = {"client_id": client_id, "access_token": access_token}
        if expected_nonce is not None:
            params["nonce"] = expected_nonce
        claims = jwt.decode(id_token, keys, claims_cls=CodeIDToken, claims_options={"iss": {"essential": True, "value": issuer}}, claims_params=params)
        claims.validate(now=int(time.time()), leeway=60)
        return claims

    id_claims = validate_id_token(token["id_token"], token["access_token"], nonce)

    refreshed = session.refresh_token(metadata["token_endpoint"], refresh_token=token["refresh_token"])
    if refreshed["refresh_token"] == token["refresh_token"]:
        fail("the refresh token did not rotate")
    refreshed_claims = validate_id_token(refreshed["id_token"], refreshed["access_token"], None)

    introspection = session.introspect_token(metadata["introspection_endpoint"], token=refreshed["access_token"], token_type_hint="access_token")
    introspection.raise_for_status()
    introspected = introspection.json()

    session.token = refreshed
    userinfo = session.get(metadata["userinfo_endpoint"], timeout=10)
    userinfo.raise_for_status()

    # A resource server's check: an RFC 9068 access token, verified with the same JWKS.
    access = jwt.decode(refreshed["access_token"], keys, claims_options={"iss": {"essential": True, "value": issuer}, "aud": {"essential": True, "value": client_id}, "exp": {"essential": True}})
    access.validate(now=int(time.time()), leeway=60)
    if access.header.get("typ") != "at+jwt":
        fail(f"access token typ is {access.header.get('typ')}")

    print(json.dumps({
        "sub": id_claims["sub"],
        "sid": id_claims.get("sid"),
        "acr": id_claims.get("acr"),
        "userinfo": {"sub": userinfo.json().get("sub"), "family_name": userinfo.json().get("family_name")},
        "refreshed_sub": refreshed_claims["sub"],
        "refresh_rotated": True,
        "introspection": {"active": introspected.get("active"), "sub": introspected.get("sub"), "client_id": introspected.get("client_id")},
        "access_token": {"sub": access["sub"], "typ": access.header.get("typ"), "scope": access.get("scope")},
    }))


if __name__ == "__main__":
    main()
