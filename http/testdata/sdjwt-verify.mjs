// Verifies a presentation of a Probity statement with @sd-jwt/sd-jwt-vc,
// an implementation nobody at Probity wrote. Reads {presentation, jwks,
// nonce, now} as JSON on stdin; writes {ok, claims} or {ok: false, error}.
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc';
import { createHash, createPublicKey, verify } from 'node:crypto';

const input = JSON.parse(await new Promise((resolve) => {
  let s = '';
  process.stdin.on('data', (d) => { s += d; });
  process.stdin.on('end', () => resolve(s));
}));
const issuerKey = createPublicKey({ key: input.jwks.keys[0], format: 'jwk' });
const check = (key, data, sig) => verify(null, Buffer.from(data), key, Buffer.from(sig, 'base64url'));
const sdjwt = new SDJwtVcInstance({
  hashAlg: 'sha-256',
  hasher: (data, alg) => createHash(alg.replace('-', '')).update(typeof data === 'string' ? data : Buffer.from(data)).digest(),
  verifier: async (data, sig) => check(issuerKey, data, sig),
  kbVerifier: async (data, sig, payload) => check(createPublicKey({ key: payload.cnf.jwk, format: 'jwk' }), data, sig),
});
try {
  const options = { keyBindingNonce: input.nonce };
  if (input.now) options.currentDate = input.now; // else the clock's time
  const result = await sdjwt.verify(input.presentation, options);
  const claims = await sdjwt.getClaims(input.presentation);
  console.log(JSON.stringify({ ok: true, claims, kb: result.kb ? result.kb.payload : null }));
} catch (e) {
  console.log(JSON.stringify({ ok: false, error: String(e && e.message ? e.message : e) }));
}
