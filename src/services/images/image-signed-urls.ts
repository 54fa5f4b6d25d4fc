import { Inject, Injectable, Logger } from '@nestjs/common';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { domainError } from '../../platform/errors';
import { imageSignedUrlConfig, type ImageSignedUrlConfig } from './image-signed-urls.config';
import { OUTPUT_FORMATS, type OutputFormat } from './images.config';

/** The signature does not match (tampered, or made with another key). */
export const ImageSignedUrlInvalidError = domainError('IMAGES.SIGNED_URL_INVALID', 'forbidden');
/** The URL was genuine but its time is up. */
export const ImageSignedUrlExpiredError = domainError('IMAGES.SIGNED_URL_EXPIRED', 'forbidden');

/** What a signed URL grants: one image of one tenant, until `expiresAt`, optionally in another format. */
export interface SignedImageGrant {
  tenant: string;
  id: string;
  /** Epoch seconds. */
  expiresAt: number;
  format?: OutputFormat;
}

/** Path of the route that serves signed URLs (under the API version prefix). */
export const SIGNED_IMAGE_PATH = '/v1/images/signed/';

/**
 * Signed, expiring URLs of stored images, for callers that cannot send credentials (an OpenAI
 * client's `url` answer, an `<img src>`): the token is `base64url(JSON grant).base64url(HMAC)`.
 * Hand-written over node:crypto rather than a JWT: one fixed algorithm, nothing to negotiate,
 * and a token short enough for a URL.
 */
@Injectable()
export class ImageSignedUrls {
  private readonly key: Buffer;

  constructor(@Inject(imageSignedUrlConfig.KEY) private readonly config: ImageSignedUrlConfig) {
    if (config.secret) this.key = Buffer.from(config.secret, 'utf8');
    else {
      this.key = randomBytes(32);
      new Logger('images').warn(
        'IMAGES_SIGNED_URL_SECRET is not set: signed image URLs work only on this instance until it restarts',
      );
    }
  }

  /** A token for `grant` lasting `ttlSeconds` (default IMAGES_SIGNED_URL_TTL_SECONDS). */
  sign(
    tenant: string,
    id: string,
    options: { ttlSeconds?: number; format?: OutputFormat } = {},
  ): SignedImageGrant & {
    token: string;
  } {
    const expiresAt = Math.floor(Date.now() / 1000) + (options.ttlSeconds ?? this.config.ttlSeconds);
    const grant: SignedImageGrant = { tenant, id, expiresAt, ...(options.format ? { format: options.format } : {}) };
    const body = Buffer.from(JSON.stringify([grant.tenant, grant.id, grant.expiresAt, grant.format ?? ''])).toString(
      'base64url',
    );
    return { ...grant, token: `${body}.${this.mac(body)}` };
  }

  /** The path (`/v1/images/signed/<token>`) of a new signed URL; prefix it with the public origin. */
  path(tenant: string, id: string, options: { ttlSeconds?: number; format?: OutputFormat } = {}): string {
    return `${SIGNED_IMAGE_PATH}${this.sign(tenant, id, options).token}`;
  }

  /**
   * The grant of a genuine, unexpired token.
   *
   * @throws ImageSignedUrlInvalidError malformed or wrong signature
   * @throws ImageSignedUrlExpiredError genuine but expired
   */
  verify(token: string): SignedImageGrant {
    const [body, mac, extra] = token.split('.');
    if (!body || !mac || extra !== undefined) throw new ImageSignedUrlInvalidError('This image URL is not valid');
    const expected = Buffer.from(this.mac(body));
    const given = Buffer.from(mac);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
      throw new ImageSignedUrlInvalidError('This image URL has a bad signature');
    }
    const [tenant, id, expiresAt, format] = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as [
      string,
      string,
      number,
      string,
    ];
    if (expiresAt <= Date.now() / 1000) throw new ImageSignedUrlExpiredError('This image URL has expired');
    return {
      tenant,
      id,
      expiresAt,
      ...((OUTPUT_FORMATS as readonly string[]).includes(format) ? { format: format as OutputFormat } : {}),
    };
  }

  private mac(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url');
  }
}
