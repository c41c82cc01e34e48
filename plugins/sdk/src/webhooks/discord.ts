// Discord interactions: `X-Signature-Ed25519` (hex Ed25519 signature of timestamp + body) and
// `X-Signature-Timestamp`, checked against the application's public key (64 hex digits, shown
// in the developer portal). Node's own Ed25519 verifies it; Discord sends no replay window, so
// the 5-minute rule of the other timestamped schemes applies.
import { createPublicKey, verify } from 'node:crypto';
import { rejected, requireSecret, TOLERANCE_MS, verified, type Verifier } from './types.ts';

function publicKeyFromHex(hex: string) {
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(hex, 'hex').toString('base64url') }, format: 'jwk' });
}

export const discord: Verifier = {
  scheme: 'DISCORD',
  verify(request) {
    const signature = request.headers['x-signature-ed25519'];
    const timestamp = request.headers['x-signature-timestamp'];
    if (!signature) return rejected('missing X-Signature-Ed25519 header');
    if (!timestamp) return rejected('missing X-Signature-Timestamp header');
    if (!/^[0-9a-f]{128}$/i.test(signature)) return rejected('X-Signature-Ed25519 is not 128 hex digits');
    if (!/^\d{1,12}$/.test(timestamp)) return rejected('X-Signature-Timestamp is not a number of seconds');
    if (Math.abs(request.now - Number(timestamp) * 1000) > TOLERANCE_MS) return rejected('X-Signature-Timestamp is more than 5 minutes away from now');
    const key = requireSecret(request);
    if (!/^[0-9a-f]{64}$/i.test(key)) return rejected('the endpoint secret is not a 64-hex-digit Ed25519 public key');
    const message = Buffer.concat([Buffer.from(timestamp, 'utf8'), request.rawBody]);
    const ok = verify(null, message, publicKeyFromHex(key), Buffer.from(signature, 'hex'));
    return ok ? verified('DISCORD') : rejected('X-Signature-Ed25519 does not match the payload');
  },
};
