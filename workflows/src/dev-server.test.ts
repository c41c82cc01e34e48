import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import {
  TEMPORAL_CLI_GO_PACKAGE,
  TEMPORAL_CLI_VERSION,
  TemporalCliPathError,
  TemporalPortInUseError,
  TemporalUnavailableError,
  connectOrStartTemporal,
  findFreePort,
  isPortFree,
  resolveTemporalBinary,
  startTemporalDevServer,
  type ResolvedTemporalBinary,
} from './dev-server.ts';

// On a fresh machine the first resolution builds the CLI with Go (minutes); later runs use the cache.
const BUILD_BUDGET_MS = 20 * 60_000;
const SERVER_TEST_MS = BUILD_BUDGET_MS + 3 * 60_000;
// temporal.api.enums.v1.IndexedValueType values
const INDEXED_VALUE_TYPE_KEYWORD = 2;
const INDEXED_VALUE_TYPE_INT = 3;

let realBinary: Promise<ResolvedTemporalBinary> | undefined;
/** The real `temporal` binary, resolved the normal way (may build it once). */
const getRealBinary = () => (realBinary ??= resolveTemporalBinary());

const tmpDirs: string[] = [];
async function tmpDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `patchbay-devserver-${prefix}-`));
  tmpDirs.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(tmpDirs.map((d) => rm(d, { recursive: true, force: true })));
});

/** A process environment with nothing Temporal-related: empty PATH dir, empty HOME and cache. */
async function bareEnv(extra: NodeJS.ProcessEnv = {}): Promise<NodeJS.ProcessEnv> {
  const home = await tmpDir('home');
  const emptyBin = path.join(home, 'bin');
  await mkdir(emptyBin);
  return { PATH: emptyBin, HOME: home, XDG_CACHE_HOME: path.join(home, 'cache'), ...extra };
}

function portOf(address: string): number {
  return Number(address.slice(address.lastIndexOf(':') + 1));
}

describe('startTemporalDevServer (real Temporal CLI)', () => {
  it(
    'starts a headless in-memory server on a free port with search attributes, and frees the port on stop',
    async () => {
      await getRealBinary(); // any one-time build happens outside the start-up measured below

      const started = Date.now();
      const server = await startTemporalDevServer({
        port: 0,
        uiPort: null,
        searchAttributes: { OrgId: 'Keyword', RunKind: 'Keyword' },
      });
      const startupMs = Date.now() - started;
      console.info(`dev server ready in ${startupMs} ms (${server.source}: ${server.binaryPath})`);
      const port = portOf(server.address);

      try {
        expect(server.address).toBe(`127.0.0.1:${port}`);
        expect(server.uiUrl).toBeUndefined();
        expect(['TEMPORAL_CLI_PATH', 'PATH', 'go-build-cache', 'go-build']).toContain(server.source);
        expect(await isPortFree(port)).toBe(false);

        const connection = await Connection.connect({ address: server.address });
        try {
          const info = await connection.workflowService.getSystemInfo({});
          expect(info.serverVersion).toMatch(/^\d+\.\d+/);
          const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
          expect(customAttributes?.OrgId).toBe(INDEXED_VALUE_TYPE_KEYWORD);
          expect(customAttributes?.RunKind).toBe(INDEXED_VALUE_TYPE_KEYWORD);
        } finally {
          await connection.close();
        }

        // connectOrStartTemporal honours TEMPORAL_ADDRESS (and registers missing search attributes there).
        const reused = await connectOrStartTemporal({
          env: { TEMPORAL_ADDRESS: server.address },
          searchAttributes: { OrgId: 'Keyword', Attempt: 'Int' },
        });
        expect(reused).toMatchObject({ address: server.address, source: 'TEMPORAL_ADDRESS' });
        const check = await Connection.connect({ address: server.address });
        try {
          const { customAttributes } = await check.operatorService.listSearchAttributes({ namespace: 'default' });
          expect(customAttributes?.Attempt).toBe(INDEXED_VALUE_TYPE_INT);
        } finally {
          await check.close();
        }
        await reused.stop(); // a no-op for a server we did not start…
        expect(await isPortFree(port)).toBe(false); // …so it is still serving

        // A second server on the same port is refused with a message that recognises Temporal there.
        const second = startTemporalDevServer({ port, uiPort: null });
        await expect(second).rejects.toBeInstanceOf(TemporalPortInUseError);
        await expect(second).rejects.toMatchObject({ servesTemporal: true });
        await expect(second).rejects.toThrow(`TEMPORAL_ADDRESS=127.0.0.1:${port}`);
      } finally {
        await server.stop();
      }

      expect(await isPortFree(port)).toBe(true);
      expect(() => process.kill(server.pid!, 0)).toThrow(); // the process is gone
      await server.stop(); // idempotent
    },
    SERVER_TEST_MS,
  );

  it(
    'persists to dbFile (creating its parent directory) and serves the Web UI',
    async () => {
      await getRealBinary();
      const dir = await tmpDir('db');
      const dbFile = path.join(dir, 'nested', 'deeper', 'temporal.db');
      const workflowId = `persist-check-${Date.now()}`;

      const first = await startTemporalDevServer({ port: 0, uiPort: 0, dbFile, namespace: 'patchbay-test' });
      try {
        expect(first.namespace).toBe('patchbay-test');
        expect((await stat(dbFile)).isFile()).toBe(true);
        expect(first.uiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
        const ui = await fetch(first.uiUrl!);
        expect(ui.status).toBe(200);
        await ui.arrayBuffer();

        // Start a workflow (no worker needed: it just stays running) so there is state to find later.
        const connection = await Connection.connect({ address: first.address });
        try {
          const client = new Client({ connection, namespace: 'patchbay-test' });
          await client.workflow.start('persistenceProbe', { taskQueue: 'nobody-listens', workflowId });
        } finally {
          await connection.close();
        }
      } finally {
        await first.stop();
      }

      const second = await startTemporalDevServer({ port: 0, uiPort: null, dbFile, namespace: 'patchbay-test' });
      try {
        const connection = await Connection.connect({ address: second.address });
        try {
          const client = new Client({ connection, namespace: 'patchbay-test' });
          const description = await client.workflow.getHandle(workflowId).describe();
          expect(description.type).toBe('persistenceProbe');
          expect(description.status.name).toBe('RUNNING');
        } finally {
          await connection.close();
        }
      } finally {
        await second.stop();
      }
    },
    SERVER_TEST_MS,
  );

  it('connectOrStartTemporal fails clearly when TEMPORAL_ADDRESS points at nothing', async () => {
    const port = await findFreePort();
    const attempt = connectOrStartTemporal({ env: { TEMPORAL_ADDRESS: `127.0.0.1:${port}` }, startTimeoutMs: 1_500 });
    await expect(attempt).rejects.toThrow(`TEMPORAL_ADDRESS is set to "127.0.0.1:${port}", but no Temporal server answers there`);
  });

  it('fails clearly when the port is taken by something that is not Temporal', async () => {
    const sockets = new Set<net.Socket>();
    const blocker = net.createServer((socket) => {
      sockets.add(socket);
      socket.end('not temporal\n');
    });
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const attempt = startTemporalDevServer({ port, uiPort: null, env: await bareEnv(), sdkFallback: false });
      await expect(attempt).rejects.toBeInstanceOf(TemporalPortInUseError);
      await expect(attempt).rejects.toMatchObject({ port, servesTemporal: false });
      await expect(attempt).rejects.toThrow(`port ${port} on 127.0.0.1 is already in use by another program`);
    } finally {
      const closed = new Promise((resolve) => blocker.close(resolve)); // stop accepting first…
      for (const socket of sockets) socket.destroy(); // …then drop what the probe left open
      await closed;
    }
  });

  it('with nothing available (and the SDK fallback off) throws the ways-out error', async () => {
    const attempt = startTemporalDevServer({ port: 0, uiPort: null, env: await bareEnv(), sdkFallback: false });
    await expect(attempt).rejects.toBeInstanceOf(TemporalUnavailableError);
    await expect(attempt).rejects.toThrow('the SDK download fallback is disabled');
  });
});

describe('resolveTemporalBinary', () => {
  it('a TEMPORAL_CLI_PATH that does not exist is an error naming the variable (no fall-through to PATH)', async () => {
    const real = await getRealBinary();
    const env = await bareEnv();
    await symlink(real.path, path.join(env.PATH!, 'temporal')); // a working one on PATH must NOT be used
    const missing = path.join(env.HOME!, 'no', 'such', 'temporal');

    const attempt = resolveTemporalBinary({ env: { ...env, TEMPORAL_CLI_PATH: missing }, build: false });
    await expect(attempt).rejects.toBeInstanceOf(TemporalCliPathError);
    await expect(attempt).rejects.toThrow(`TEMPORAL_CLI_PATH is set to "${missing}", but that file does not exist`);
  }, BUILD_BUDGET_MS);

  it('a TEMPORAL_CLI_PATH that is not executable is an error too', async () => {
    const env = await bareEnv();
    const notExecutable = path.join(env.HOME!, 'temporal');
    await writeFile(notExecutable, 'just text');
    const attempt = resolveTemporalBinary({ env: { ...env, TEMPORAL_CLI_PATH: notExecutable }, build: false });
    await expect(attempt).rejects.toThrow(/TEMPORAL_CLI_PATH .* not executable/);
  });

  it('with no TEMPORAL_CLI_PATH, no temporal on PATH, an empty cache and no go: the ways-out error', async () => {
    const env = await bareEnv();
    const attempt = resolveTemporalBinary({ env, log: () => {} });
    await expect(attempt).rejects.toBeInstanceOf(TemporalUnavailableError);
    const err = (await attempt.catch((e: unknown) => e)) as TemporalUnavailableError;

    expect(err.message).not.toContain('\n'); // one paragraph
    expect(err.message).toContain('TEMPORAL_ADDRESS');
    expect(err.message).toContain('TEMPORAL_CLI_PATH');
    expect(err.message).toContain('put `temporal` on your PATH');
    expect(err.message).toContain(
      `CGO_ENABLED=0 GOBIN=${path.join(env.XDG_CACHE_HOME!, 'patchbay', 'bin')} go install ${TEMPORAL_CLI_GO_PACKAGE}@v${TEMPORAL_CLI_VERSION}`,
    );
    expect(err.message).toContain('internet');
    expect(err.attempts).toEqual([
      'TEMPORAL_CLI_PATH is not set',
      'no `temporal` on PATH',
      `no cached build at ${path.join(env.XDG_CACHE_HOME!, 'patchbay', 'bin', 'temporal')}`,
      'no `go` on PATH to build it',
    ]);
  });

  it('prefers TEMPORAL_CLI_PATH over PATH, PATH over the Go build cache, and uses the cache last', async () => {
    const real = await getRealBinary();
    const env = await bareEnv();
    await symlink(real.path, path.join(env.PATH!, 'temporal'));
    const cacheBin = path.join(env.XDG_CACHE_HOME!, 'patchbay', 'bin');
    await mkdir(cacheBin, { recursive: true });
    await symlink(real.path, path.join(cacheBin, 'temporal'));
    const explicit = path.join(env.HOME!, 'my-temporal');
    await symlink(real.path, explicit);

    const viaVariable = await resolveTemporalBinary({ env: { ...env, TEMPORAL_CLI_PATH: explicit }, build: false });
    expect(viaVariable).toMatchObject({ path: explicit, source: 'TEMPORAL_CLI_PATH' });
    expect(viaVariable.version).toMatch(/^temporal version \d+\.\d+\.\d+/);

    const viaPath = await resolveTemporalBinary({ env, build: false });
    expect(viaPath).toMatchObject({ path: path.join(env.PATH!, 'temporal'), source: 'PATH' });

    const viaCache = await resolveTemporalBinary({ env: { ...env, PATH: path.join(env.HOME!, 'nothing-here') }, build: false });
    expect(viaCache).toMatchObject({ path: path.join(cacheBin, 'temporal'), source: 'go-build-cache' });
  }, BUILD_BUDGET_MS);

  describe('building with Go (a stand-in `go` that writes a stub binary, to exercise the lock and the rename)', () => {
    async function fakeGoEnv(goScriptBody: string) {
      const env = await bareEnv();
      const goLog = path.join(env.HOME!, 'go-invocations.log');
      const script = `#!/bin/sh
set -e
[ "$1" = install ] && [ "$2" = "${TEMPORAL_CLI_GO_PACKAGE}@v${TEMPORAL_CLI_VERSION}" ] || { echo "unexpected args: $*" >&2; exit 3; }
[ "$CGO_ENABLED" = 0 ] || { echo "CGO_ENABLED must be 0" >&2; exit 3; }
echo "$$ $GOBIN" >> "${goLog}"
${goScriptBody}
`;
      await writeFile(path.join(env.PATH!, 'go'), script);
      await chmod(path.join(env.PATH!, 'go'), 0o755);
      // the stub needs sh/sleep/cat/chmod; none of these directories has a `temporal`
      env.PATH = [env.PATH!, '/usr/bin', '/bin'].join(path.delimiter);
      return { env, goLog, cacheDir: path.join(env.XDG_CACHE_HOME!, 'patchbay') };
    }

    it('builds once into the cache when two callers race, waiting on the lock and renaming atomically', async () => {
      const { env, goLog, cacheDir } = await fakeGoEnv(`sleep 2
cat > "$GOBIN/temporal" <<'EOS'
#!/bin/sh
echo "temporal version ${TEMPORAL_CLI_VERSION} (stub)"
EOS
chmod +x "$GOBIN/temporal"`);
      // A stale lock left by a dead process must not block the build.
      await mkdir(cacheDir, { recursive: true });
      await writeFile(path.join(cacheDir, 'temporal-build.lock'), '2147483646\n2020-01-01T00:00:00.000Z\n');

      const logs: string[] = [];
      const results = await Promise.all([
        resolveTemporalBinary({ env, log: (l) => logs.push(l) }),
        resolveTemporalBinary({ env, log: (l) => logs.push(l) }),
      ]);

      const target = path.join(cacheDir, 'bin', 'temporal');
      expect(results.map((r) => r.path)).toEqual([target, target]);
      expect(results.map((r) => r.source).sort()).toEqual(['go-build', 'go-build-cache']);
      expect(results[0]!.version).toBe(`temporal version ${TEMPORAL_CLI_VERSION} (stub)`);
      expect((await readFile(goLog, 'utf8')).trim().split('\n')).toHaveLength(1); // built exactly once
      expect(logs).toContain('building the Temporal CLI with Go (first time only, a few minutes)…');
      expect(logs).toContain('waiting for the Temporal CLI build already running in this process…');
      expect((await readdir(cacheDir)).sort()).toEqual(['bin']); // no lock, no temp build dir left behind

      // Next time: straight from the cache, no build.
      expect(await resolveTemporalBinary({ env })).toMatchObject({ path: target, source: 'go-build-cache' });
      expect((await readFile(goLog, 'utf8')).trim().split('\n')).toHaveLength(1);
    }, 60_000);

    it('a failing Go build ends in the ways-out error that says why', async () => {
      const { env, cacheDir } = await fakeGoEnv(`echo "go: github.com/temporalio/cli@v${TEMPORAL_CLI_VERSION}: proxy unreachable" >&2
exit 1`);
      const attempt = resolveTemporalBinary({ env, log: () => {} });
      await expect(attempt).rejects.toBeInstanceOf(TemporalUnavailableError);
      await expect(attempt).rejects.toThrow(/building with Go failed: `go install` failed \(exit code 1\): .*proxy unreachable/);
      expect(await readdir(path.join(cacheDir, 'bin'))).toEqual([]); // nothing half-built in the cache
      expect((await readdir(cacheDir)).sort()).toEqual(['bin']);
    }, 60_000);
  });

  it('findFreePort returns a bindable port', async () => {
    const port = await findFreePort();
    expect(port).toBeGreaterThan(0);
    expect(await isPortFree(port)).toBe(true);
  });
});
