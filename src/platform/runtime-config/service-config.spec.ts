import { ManagedService } from '../registry/managed-service.decorator';
import type { RuntimeConfigService } from './runtime-config.service';
import { ServiceConfig } from './service-config';

class ShopSettings {
  pageSize = 10;
}

@ManagedService({ name: 'shop', config: ShopSettings })
class ShopService {}

@ManagedService({ name: 'plain' })
class PlainService {}

class NotAService {}

describe(ServiceConfig.name, () => {
  const runtime = { get: jest.fn((service: string) => ({ service, pageSize: 7 })) };
  const make = (owner: object | undefined) =>
    new ServiceConfig<ShopSettings>(owner, runtime as unknown as RuntimeConfigService);

  it("should read the owner's service name from its @ManagedService and give that service's current values", () => {
    const config = make(new ShopService());
    expect(config.service).toBe('shop');
    expect(config.current.pageSize).toBe(7);
    expect(runtime.get).toHaveBeenLastCalledWith('shop');
  });

  it('should refuse an owner that is not a managed service with config, naming the class', () => {
    expect(() => make(new PlainService())).toThrow(/PlainService, which is not a @ManagedService declaring `config`/);
    expect(() => make(new NotAService())).toThrow(/NotAService/);
    expect(() => make(undefined)).toThrow(/an unknown class/);
  });
});
