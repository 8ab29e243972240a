"""Independent check of a JWT cqdt signed (an access token, or with TYP the LGSP gateway's
assertion to providers, typ lgsp+jwt) with PyJWT: fetches the JWKS over HTTP, picks the key by
kid and verifies the explicit type when given, signature, algorithm, issuer, audience and expiry.

usage: CQDT_TOKEN=<jwt> python3 pyjwt_verify.py JWKS_URL ISSUER AUDIENCE [TYP]
exit 0 and JSON {kid, header, claims} when valid; 1 and the reason when refused;
3 when PyJWT or cryptography is not installed.
"""
import json
import os
import sys

try:
    import cryptography  # noqa: F401  (PyJWT needs it for ES256)
    import jwt
except ModuleNotFoundError as e:
    print(f"module {e.name} is not installed")
    sys.exit(3)

jwks_url, issuer, audience = sys.argv[1:4]
typ = sys.argv[4] if len(sys.argv) > 4 else None
token = os.environ["CQDT_TOKEN"]
try:
    if typ is not None and jwt.get_unverified_header(token).get("typ") != typ:
        raise jwt.InvalidTokenError(f"typ {jwt.get_unverified_header(token).get('typ')!r} is not {typ}")
    signing_key = jwt.PyJWKClient(jwks_url, cache_keys=False).get_signing_key_from_jwt(token)
    claims = jwt.decode(
        token,
        signing_key.key,
        algorithms=["ES256"],
        audience=audience,
        issuer=issuer,
        options={"require": ["exp", "iat", "iss", "sub", "aud", "jti"]},
    )
except jwt.PyJWTError as e:
    print(f"{type(e).__name__}: {e}")
    sys.exit(1)
print(json.dumps({"kid": signing_key.key_id, "header": jwt.get_unverified_header(token), "claims": claims}))
