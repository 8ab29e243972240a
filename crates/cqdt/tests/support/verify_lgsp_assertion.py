"""Independent check of the assertion cqdt's LGSP gateway sends a provider with each call, with
PyJWT (a JOSE library this project did not write): fetches the platform's JWKS over HTTP, picks
the key by kid, and verifies the signature (ES256 only), the explicit type lgsp+jwt, issuer,
audience and expiry, as a provider would. Run by crates/cqdt/tests/it/lgsp.rs.

usage: CQDT_TOKEN=<jwt> python3 verify_lgsp_assertion.py JWKS_URL ISSUER AUDIENCE
exit 0 and JSON {header, claims} when valid; 1 and the reason when refused.
"""
import json
import os
import sys

import jwt

jwks_url, issuer, audience = sys.argv[1:4]
token = os.environ["CQDT_TOKEN"]
try:
    header = jwt.get_unverified_header(token)
    if header.get("typ") != "lgsp+jwt":
        raise jwt.InvalidTokenError(f"typ {header.get('typ')!r} is not lgsp+jwt")
    key = jwt.PyJWKClient(jwks_url, cache_keys=False).get_signing_key_from_jwt(token)
    claims = jwt.decode(
        token,
        key.key,
        algorithms=["ES256"],
        audience=audience,
        issuer=issuer,
        options={"require": ["exp", "iat", "iss", "sub", "aud", "jti"]},
    )
except jwt.PyJWTError as e:
    print(f"{type(e).__name__}: {e}")
    sys.exit(1)
print(json.dumps({"header": header, "claims": claims}))
