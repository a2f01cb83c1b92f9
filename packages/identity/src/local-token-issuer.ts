import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { SignJWT } from 'jose';
import type { Claims } from './claims.ts';
import { joseVerifier, type TokenVerifier } from './token-verifier.ts';

export const LOCAL_ISSUER = 'q2h-local';
export const AUDIENCE = 'q2h';
const ALG = 'ES256';

export interface LocalTokenIssuer {
  issue(claims: Claims, ttlSeconds: number): Promise<string>;
  verifier: TokenVerifier;
}

/** Embedded mode: the gateway signs its own JWTs; its key pair lives in the data dir so tokens survive restarts. */
export async function openLocalTokenIssuer(keyFile: string): Promise<LocalTokenIssuer> {
  const privateKey = await loadOrCreateKey(keyFile);
  const publicKey = createPublicKey(privateKey);
  return {
    issue: (claims, ttlSeconds) =>
      new SignJWT({ ...claims })
        .setProtectedHeader({ alg: ALG })
        .setIssuer(LOCAL_ISSUER)
        .setAudience(AUDIENCE)
        .setIssuedAt()
        .setExpirationTime(`${ttlSeconds}s`)
        .sign(privateKey),
    verifier: joseVerifier(publicKey, { issuer: LOCAL_ISSUER, audience: AUDIENCE, algorithms: [ALG] }),
  };
}

async function loadOrCreateKey(keyFile: string): Promise<KeyObject> {
  try {
    return createPrivateKey(await readFile(keyFile, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  await mkdir(dirname(keyFile), { recursive: true });
  await writeFile(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  return privateKey;
}
