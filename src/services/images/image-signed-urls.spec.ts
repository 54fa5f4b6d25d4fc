import { ImageSignedUrls } from './image-signed-urls';

describe(ImageSignedUrls.name, () => {
  const urls = new ImageSignedUrls({ secret: 'k'.repeat(32), ttlSeconds: 60 });

  it('should grant what it signed, until it expires', () => {
    const { token } = urls.sign('acme', 'img-1', { format: 'webp' });
    expect(urls.verify(token)).toMatchObject({ tenant: 'acme', id: 'img-1', format: 'webp' });
    expect(urls.path('acme', 'img-1')).toMatch(/^\/v1\/images\/signed\/[\w-]+\.[\w-]{43}$/);
    const expired = urls.sign('acme', 'img-1', { ttlSeconds: -1 }).token;
    expect(() => urls.verify(expired)).toThrow(expect.objectContaining({ code: 'IMAGES.SIGNED_URL_EXPIRED' }));
  });

  it('should refuse a changed grant, another key and a malformed token', () => {
    const { token } = urls.sign('acme', 'img-1');
    const [, mac] = token.split('.');
    const other = Buffer.from(JSON.stringify(['globex', 'img-1', 9_999_999_999, ''])).toString('base64url');
    for (const bad of [
      `${other}.${mac}`,
      new ImageSignedUrls({ secret: 'x'.repeat(32), ttlSeconds: 60 }).sign('acme', 'img-1').token,
      'nodot',
      `${token}.x`,
    ]) {
      expect(() => urls.verify(bad)).toThrow(expect.objectContaining({ code: 'IMAGES.SIGNED_URL_INVALID' }));
    }
  });

  it('should work with a random key when none is configured', () => {
    const own = new ImageSignedUrls({ secret: undefined, ttlSeconds: 60 });
    expect(own.verify(own.sign('t', 'i').token).id).toBe('i');
  });
});
