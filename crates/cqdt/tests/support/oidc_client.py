"""A relying party built on Authlib, a standard OAuth 2.0 / OpenID Connect client library this
project did not write. Run by crates/cqdt/tests/oidc.rs against a live `cqdt serve`.

It checks the discovery document, signs a person in through the provider's login form (as
their browser would), completes the authorization code flow with PKCE (S256), validates the
ID token against the JWKS (signature, issuer, audience, nonce, expiry), calls userinfo,
refreshes (rotation), revokes, and uses the client credentials grant."""

import os
import sys

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.jose import JsonWebKey, jwt

BASE = os.environ["CQDT_BASE"]
CLIENT_ID = os.environ["CQDT_CLIENT_ID"]
CLIENT_SECRET = os.environ["CQDT_CLIENT_SECRET"]
REDIRECT = os.environ["CQDT_REDIRECT_URI"]
LOGIN = os.environ["CQDT_LOGIN"]
PASSWORD = os.environ["CQDT_PASSWORD"]
CC_ID = os.environ["CQDT_CC_ID"]
CC_SECRET = os.environ["CQDT_CC_SECRET"]


def check(cond, what):
    if not cond:
        print("FAILED:", what)
        sys.exit(1)


disc = requests.get(BASE + "/.well-known/openid-configuration", timeout=10).json()
for key in [
    "issuer", "authorization_endpoint", "token_endpoint", "jwks_uri", "userinfo_endpoint",
    "response_types_supported", "subject_types_supported", "id_token_signing_alg_values_supported",
]:
    check(key in disc, "discovery has " + key)
check(disc["issuer"] == BASE, "issuer is the base URL")
check("code" in disc["response_types_supported"], "code flow supported")
check("S256" in disc.get("code_challenge_methods_supported", []), "PKCE S256 advertised")

# The person's browser signs in at the provider.
browser = requests.Session()
r = browser.post(BASE + "/dang-nhap", data={"login": LOGIN, "password": PASSWORD, "next": "/tai-khoan"},
                 allow_redirects=False, timeout=10)
check(r.status_code == 303, "login accepted")

rp = OAuth2Session(CLIENT_ID, CLIENT_SECRET,
                   scope="openid profile email phone personal_id offline_access",
                   redirect_uri=REDIRECT, code_challenge_method="S256",
                   token_endpoint_auth_method="client_secret_basic")
verifier = generate_token(64)
nonce = generate_token(24)
url, state = rp.create_authorization_url(disc["authorization_endpoint"], code_verifier=verifier, nonce=nonce)
r = browser.get(url, allow_redirects=False, timeout=10)
check(r.status_code in (302, 303), "authorization redirects back: %s %s" % (r.status_code, r.text[:300]))
back = r.headers["Location"]
check(back.startswith(REDIRECT + "?"), "to the registered redirect URI")

token = rp.fetch_token(disc["token_endpoint"], authorization_response=back, state=state, code_verifier=verifier)
check("id_token" in token and "refresh_token" in token, "ID and refresh tokens issued")

jwks = JsonWebKey.import_key_set(requests.get(disc["jwks_uri"], timeout=10).json())
claims = jwt.decode(token["id_token"], jwks, claims_options={
    "iss": {"essential": True, "value": disc["issuer"]},
    "aud": {"essential": True, "value": CLIENT_ID},
    "nonce": {"essential": True, "value": nonce},
    "exp": {"essential": True},
    "sub": {"essential": True},
})
claims.validate()
check(claims.header["alg"] == "ES256", "ID token signed with ES256")

info = rp.get(disc["userinfo_endpoint"], timeout=10).json()
check(info["sub"] == claims["sub"], "userinfo names the same subject")
check(info.get("personal_id") == LOGIN, "personal_id scope discloses the ID number")
check(bool(info.get("name")), "profile scope discloses the name")

refreshed = rp.refresh_token(disc["token_endpoint"], refresh_token=token["refresh_token"])
check(refreshed["refresh_token"] != token["refresh_token"], "refresh tokens rotate")
check(rp.get(disc["userinfo_endpoint"], timeout=10).status_code == 200, "new access token works")

resp = rp.revoke_token(disc["revocation_endpoint"], token=refreshed["refresh_token"],
                       token_type_hint="refresh_token")
check(resp.status_code == 200, "revocation accepted")
r = requests.post(disc["token_endpoint"], auth=(CLIENT_ID, CLIENT_SECRET), timeout=10,
                  data={"grant_type": "refresh_token", "refresh_token": refreshed["refresh_token"]})
check(r.status_code == 400 and r.json()["error"] == "invalid_grant", "a revoked refresh token is refused")
check(rp.get(disc["userinfo_endpoint"], timeout=10).status_code == 401,
      "the access token issued with it is revoked too")

system = OAuth2Session(CC_ID, CC_SECRET, token_endpoint_auth_method="client_secret_basic")
cc = system.fetch_token(disc["token_endpoint"], grant_type="client_credentials")
check(cc["token_type"].lower() == "bearer" and cc["access_token"], "client credentials grant")
check("refresh_token" not in cc, "no refresh token for client credentials")

print("OK: discovery, code+PKCE, ID token, userinfo, refresh, revoke, client credentials")
