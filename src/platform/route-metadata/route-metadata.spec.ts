import type { ExecutionContext } from '@nestjs/common';
import { SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { RouteMetadata } from './route-metadata';

const Tag = (v: string) => SetMetadata('tag', v);

@Tag('class')
class Base {
  plain() {}
  @Tag('handler')
  tagged() {}
}
@Tag('sub')
class Sub extends Base {}

const ctx = (cls: object, handler: () => void) =>
  ({ getClass: () => cls, getHandler: () => handler }) as unknown as ExecutionContext;

describe('RouteMetadata', () => {
  it('should resolve handler over class, per class, and read each pair once', () => {
    const reflector = new Reflector();
    const spy = jest.spyOn(reflector, 'getAllAndOverride');
    const tags = new RouteMetadata<string>(reflector, 'tag');
    expect(tags.get(ctx(Base, Base.prototype.plain))).toBe('class');
    expect(tags.get(ctx(Base, Base.prototype.tagged))).toBe('handler');
    // The same inherited method under another class sees that class's metadata.
    expect(tags.get(ctx(Sub, Base.prototype.plain))).toBe('sub');
    expect(tags.get(ctx(Base, Base.prototype.plain))).toBe('class');
    expect(spy).toHaveBeenCalledTimes(3);
  });

  it('should cache absent metadata too', () => {
    const reflector = new Reflector();
    const spy = jest.spyOn(reflector, 'getAllAndOverride');
    const none = new RouteMetadata<string>(reflector, 'missing');
    expect(none.get(ctx(Base, Base.prototype.plain))).toBeUndefined();
    expect(none.get(ctx(Base, Base.prototype.plain))).toBeUndefined();
    expect(spy).toHaveBeenCalledTimes(1);
  });
});
