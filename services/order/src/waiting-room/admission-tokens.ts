import { errors, jwtVerify, SignJWT } from 'jose';

/** Who signs admission tokens: order itself, for order (never a buyer token's issuer). */
export const ADMISSION_ISSUER = 'boxoffice-waiting-room';
const ALGORITHM = 'HS256';
const EXPIRY_NOT_CHECKED = new Date(0);

/** What an admission token says (docs/contract.md §2, _Admission tokens_). */
export interface Admission {
  buyer: string;
  eventId: string;
  entryId: string;
  jti: string;
  /** The queue's epoch the entry was admitted in: a token from before Redis lost the queue is refused. */
  epoch: string;
  expMs: number;
}

/**
 * Signs and verifies admission tokens with ADMISSION_TOKEN_SECRET (HMAC: order is both the signer and the only
 * verifier, on every instance). The claims are all fixed at admission and no `iat` is added, so an entry asked again
 * is signed the same token.
 */
export class AdmissionTokens {
  private readonly key: Uint8Array;

  constructor(secret: string) {
    this.key = new TextEncoder().encode(secret);
  }

  sign(admission: Admission): Promise<string> {
    return new SignJWT({ eventId: admission.eventId, entryId: admission.entryId, epoch: admission.epoch })
      .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
      .setIssuer(ADMISSION_ISSUER)
      .setSubject(admission.buyer)
      .setJti(admission.jti)
      .setExpirationTime(Math.floor(admission.expMs / 1000))
      .sign(this.key);
  }

  /**
   * The admission the token carries; null for anything but a token order signed, with every claim. An expired one is
   * returned too: Redis's clock judges expiry when it is spent, and its key's kept order is still answered.
   */
  async verify(token: string): Promise<Admission | null> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        issuer: ADMISSION_ISSUER,
        algorithms: [ALGORITHM],
        requiredClaims: ['sub', 'jti', 'exp'],
        // Before any admission's exp: jose then checks everything but the expiry.
        currentDate: EXPIRY_NOT_CHECKED,
      });
      const { sub, jti, exp, eventId, entryId, epoch } = payload;
      if (typeof eventId !== 'string' || typeof entryId !== 'string' || typeof epoch !== 'string')
        return null;
      return { buyer: sub!, eventId, entryId, jti: jti!, epoch, expMs: exp! * 1000 };
    } catch (error) {
      if (error instanceof errors.JOSEError) return null;
      throw error;
    }
  }
}
