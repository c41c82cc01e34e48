import { describe, expect, it } from 'vitest';
import { lazyImport } from './lazy.ts';

describe('lazyImport', () => {
  it('imports on the first call only and then shares the module', async () => {
    let imports = 0;
    const mod = lazyImport(async () => ({ n: ++imports }));
    expect(imports).toBe(0);
    expect(mod.loaded()).toBeUndefined();
    const [a, b] = await Promise.all([mod(), mod()]);
    expect(a).toBe(b);
    expect(await mod()).toBe(a);
    expect(mod.loaded()).toBe(a);
    expect(imports).toBe(1);
  });

  it('tries again after a failed import', async () => {
    let attempts = 0;
    const mod = lazyImport(async () => {
      if (++attempts === 1) throw new Error('not installed');
      return { ok: true };
    });
    await expect(mod()).rejects.toThrow('not installed');
    expect(mod.loaded()).toBeUndefined();
    expect(await mod()).toEqual({ ok: true });
    expect(attempts).toBe(2);
  });
});
