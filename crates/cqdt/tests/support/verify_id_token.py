"""Independent check of a cqdt ID token with PyJWT (a JOSE library this project did not write):
fetches the JWKS over HTTP, picks the key by kid and verifies signature, algorithm, issuer,
audience, expiry and nonce. Run by crates/cqdt/tests/it/oidc.rs.

usage: CQDT_TOKEN=<jwt> python3 verify_id_token.py JWKS_URL ISSUER CLIENT_ID NONCE ALG
exit 0 and JSON {header, claims, kty} when valid; 1 and the reason when refused.
"""
import json
import os
import sys

import jwt

jwks_url, issuer, client_id, nonce, alg = sys.argv[1:6]
token = os.environ["CQDT_TOKEN"]
try:
    key = jwt.PyJWKClient(jwks_url, cache_keys=False).get_signing_key_from_jwt(token)
    claims = jwt.decode(
        token,
        key.key,
        algorithms=[alg],
        audience=client_id,
        issuer=issuer,
        options={"require": ["exp", "iat", "iss", "sub", "aud"]},
    )
except jwt.PyJWTError as e:
    print(f"{type(e).__name__}: {e}")
    sys.exit(1)
if claims.get("nonce") != nonce:
    print("nonce does not match")
    sys.exit(1)
print(json.dumps({"header": jwt.get_unverified_header(token), "claims": claims,
                  "kty": key.key_type}))
