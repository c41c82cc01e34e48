// First-party plugins as published packages: every package under plugins/ is packed with
// `pnpm pack` (which turns `workspace:` ranges into real versions), the tarballs are checked
// (sources and README in, tests and fake provider servers out), all of them are installed
// together with ONE `npm install` into a temporary directory outside the workspace (vendor
// dependencies from the registry, @patchbay/* packages from the tarballs), and a child process
// started there loads every plugin by name with Node + tsx, the way the hub loads third-party
// plugins, and checks it with the installed SDK's validatePlugin.
//
// Which packages are plugins: those whose package.json has the `patchbay-plugin` keyword. The
// SDK and library packages (shared code without a plugin export) are packed and installed too,
// since plugins depend on them, but not loaded as plugins. A package that exports a plugin
// without the keyword fails the test, so the rule cannot drift.
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { validatePlugin } from '@patchbay/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../src/config.ts';

const run = promisify(execFile);
const PLUGIN_KEYWORD = 'patchbay-plugin';
const SDK_NAME = '@patchbay/sdk';

interface PackageJson {
  name: string;
  version: string;
  description?: string;
  license?: string;
  keywords?: string[];
  files?: string[];
  exports?: string | Record<string, unknown>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

interface WorkspacePackage {
  dir: string;
  pkg: PackageJson;
  isPlugin: boolean;
}

interface Packed {
  tarball: string;
  files: string[];
  pkgText: string;
}

interface Loaded {
  name: string;
  ok: boolean;
  error?: string;
  resolved?: string;
  key?: string;
  actions?: string[];
  triggers?: string[];
  syncs?: string[];
}

// Discovery is synchronous so each package gets its own named tests.
const packages: WorkspacePackage[] = readdirSync(path.join(repoRoot, 'plugins'), { withFileTypes: true })
  .filter((e) => e.isDirectory() && existsSync(path.join(repoRoot, 'plugins', e.name, 'package.json')))
  .map((e) => {
    const dir = path.join(repoRoot, 'plugins', e.name);
    const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as PackageJson;
    return { dir, pkg, isPlugin: pkg.name !== SDK_NAME && (pkg.keywords ?? []).includes(PLUGIN_KEYWORD) };
  })
  .sort((a, b) => a.pkg.name.localeCompare(b.pkg.name));
const plugins = packages.filter((p) => p.isPlugin);

const work = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'patchbay-plugin-packages-')));
const packsDir = path.join(work, 'packs');
const installDir = path.join(work, 'hub');
const packed = new Map<string, Packed>();
const loaded = new Map<string, Loaded>();
const timings = { pack: 0, install: 0, load: 0 };
let lockfile: { packages: Record<string, { version?: string; resolved?: string }> };

/** The `.` entry of a package's exports (the hub's rule, without conditions: ours are plain strings). */
function entryOf(pkg: PackageJson): string {
  const root = typeof pkg.exports === 'string' ? pkg.exports : pkg.exports?.['.'];
  if (typeof root !== 'string') throw new Error(`${pkg.name}: exports["."] must be a path`);
  return root.replace(/^\.\//, '');
}

/** A failed child process: its command line, then what it printed (execFile's message repeats stderr). */
function errorText(err: unknown): string {
  const e = err as { message?: string; stdout?: string; stderr?: string };
  if (!e.stdout?.trim() && !e.stderr?.trim()) return String(e.message ?? err);
  return [e.message?.split('\n')[0], e.stdout?.trim(), e.stderr?.trim()].filter(Boolean).join('\n');
}

async function pack(p: WorkspacePackage): Promise<void> {
  const dest = path.join(packsDir, p.pkg.name.replace('/', '+'));
  mkdirSync(dest, { recursive: true });
  try {
    // Bounded (it takes about a second), so a hung pack fails here with its output rather than as the hook's timeout.
    await run('pnpm', ['pack', '--pack-destination', dest], { cwd: p.dir, encoding: 'utf8', timeout: 90_000 });
  } catch (err) {
    const what = (err as { killed?: boolean }).killed ? 'timed out after 90 s' : 'failed';
    throw new Error(`pnpm pack ${what} for ${p.pkg.name} (${p.dir}):\n${errorText(err)}`);
  }
  const tgz = readdirSync(dest).filter((f) => f.endsWith('.tgz'));
  if (tgz.length !== 1) throw new Error(`pnpm pack of ${p.pkg.name} left ${tgz.length} tarballs in ${dest}`);
  const tarball = path.join(dest, tgz[0]!);
  const listing = (await run('tar', ['-tzf', tarball], { encoding: 'utf8' })).stdout;
  const files = listing.split('\n').filter(Boolean).map((f) => f.replace(/^package\//, ''));
  const pkgText = (await run('tar', ['-xOzf', tarball, 'package/package.json'], { encoding: 'utf8' })).stdout;
  packed.set(p.pkg.name, { tarball, files, pkgText });
}

async function npmInstall(tarballs: string[]): Promise<void> {
  writeFileSync(path.join(installDir, 'package.json'), JSON.stringify({ name: 'patchbay-hub-plugins', private: true, type: 'module' }, null, 2));
  try {
    // A registry request that stalls is given up after 60 s and retried (npm waits 5 minutes by default).
    const fetchLimits = ['--fetch-timeout=60000', '--fetch-retries=3'];
    await run('npm', ['install', ...tarballs, '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', ...fetchLimits], {
      cwd: installDir,
      encoding: 'utf8',
      timeout: 420_000,
      // SIGTERM is not enough: npm's reify catches it to roll back, and a rollback waiting on a
      // stalled registry request kept it alive (found 36 minutes later), so the promise never settled.
      killSignal: 'SIGKILL',
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, NODE_PATH: '' },
    });
  } catch (err) {
    const text = errorText(err);
    if (/ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|network|socket hang up/i.test(text)) {
      throw new Error(
        `npm install could not reach the npm registry, which this test needs for the plugins' vendor ` +
          `dependencies (check the network, or npm's registry and proxy settings):\n${text}`,
      );
    }
    if ((err as { killed?: boolean }).killed) throw new Error(`npm install timed out after 420 s:\n${text}`);
    throw new Error(`npm install of the packed SDK and plugins failed:\n${text}`);
  }
}

// The child process: registered after tsx, this resolve hook sees every final resolution and
// rejects an import made from inside the install directory that lands outside it (e.g. in the
// workspace's node_modules or sources), so "loads outside the workspace" is checked, not assumed.
const GUARD_HOOKS = `
let root;
export function initialize(data) { root = data.root; }
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  if (context.parentURL?.startsWith(root) && result.url.startsWith('file:') && !result.url.startsWith(root)) {
    throw new Error(\`\${specifier} (imported from \${context.parentURL}) resolved outside the install directory: \${result.url}\`);
  }
  return result;
}
`;
const GUARD = `
import { register } from 'node:module';
import { pathToFileURL } from 'node:url';
register('./guard-hooks.mjs', import.meta.url, { data: { root: pathToFileURL(process.cwd()).href + '/' } });
`;
// Imports each plugin by name, validates it with the installed SDK, reports what it declares.
const LOADER = `
import { writeFileSync } from 'node:fs';
import { validatePlugin } from '@patchbay/sdk';
const results = [];
for (const name of process.argv.slice(2)) {
  try {
    const resolved = import.meta.resolve(name);
    const mod = await import(name);
    const plugin = validatePlugin(mod.default ?? mod.plugin);
    results.push({
      name, ok: true, resolved, key: plugin.key,
      actions: plugin.actions.map((a) => a.key),
      triggers: (plugin.triggers ?? []).map((t) => t.key),
      syncs: (plugin.syncs ?? []).map((s) => s.key),
    });
    await plugin.close?.();
  } catch (err) {
    results.push({ name, ok: false, error: String(err?.stack ?? err) });
  }
}
writeFileSync('load-result.json', JSON.stringify(results, null, 2));
process.exit(0);
`;

async function loadInstalled(names: string[]): Promise<void> {
  writeFileSync(path.join(installDir, 'guard-hooks.mjs'), GUARD_HOOKS);
  writeFileSync(path.join(installDir, 'guard.mjs'), GUARD);
  writeFileSync(path.join(installDir, 'load.mjs'), LOADER);
  // The workspace's tsx (the one the hub runs with), by absolute path; it only compiles, every
  // import is still resolved from the install directory (cwd, so no tsconfig paths apply either).
  const tsx = pathToFileURL(createRequire(path.join(repoRoot, 'package.json')).resolve('tsx')).href;
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_PATH: '' };
  delete env.TSX_TSCONFIG_PATH;
  delete env.NODE_OPTIONS;
  try {
    await run(process.execPath, ['--import', tsx, '--import', './guard.mjs', './load.mjs', ...names], {
      cwd: installDir,
      env,
      encoding: 'utf8',
      timeout: 120_000,
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (err) {
    throw new Error(`the loader process failed in ${installDir}:\n${errorText(err)}`);
  }
  for (const result of JSON.parse(readFileSync(path.join(installDir, 'load-result.json'), 'utf8')) as Loaded[]) {
    loaded.set(result.name, result);
  }
}

beforeAll(async () => {
  mkdirSync(packsDir, { recursive: true });
  mkdirSync(installDir, { recursive: true });

  let t = performance.now();
  const queue = [...packages];
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (let p = queue.shift(); p; p = queue.shift()) await pack(p);
    }),
  );
  timings.pack = performance.now() - t;

  t = performance.now();
  await npmInstall(packages.map((p) => packed.get(p.pkg.name)!.tarball));
  timings.install = performance.now() - t;
  lockfile = JSON.parse(readFileSync(path.join(installDir, 'package-lock.json'), 'utf8'));

  t = performance.now();
  await loadInstalled(plugins.map((p) => p.pkg.name));
  timings.load = performance.now() - t;

  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  console.log(
    `plugin packages: pnpm pack ×${packages.length} ${s(timings.pack)}, one npm install ${s(timings.install)}, ` +
      `load ${plugins.length} plugins ${s(timings.load)}`,
  );
}, 600_000);

afterAll(() => {
  // ~30,000 files of vendor code: removing them can take a minute on a busy disk, so a detached
  // `rm` does it after the test has finished.
  spawn('rm', ['-rf', work], { detached: true, stdio: 'ignore' }).unref();
});

it('finds the SDK and the first-party plugins under plugins/', () => {
  expect(packages.map((p) => p.pkg.name)).toContain(SDK_NAME);
  expect(plugins.length).toBeGreaterThanOrEqual(13);
});

it('every package under plugins/ that exports a plugin has the patchbay-plugin keyword, and only those', async () => {
  const wrong: string[] = [];
  for (const p of packages.filter((x) => x.pkg.name !== SDK_NAME)) {
    const mod = (await import(pathToFileURL(path.join(p.dir, entryOf(p.pkg))).href)) as { default?: unknown; plugin?: unknown };
    let exportsPlugin = true;
    try {
      validatePlugin(mod.default ?? mod.plugin);
    } catch {
      exportsPlugin = false;
    }
    if (exportsPlugin !== p.isPlugin) {
      wrong.push(
        exportsPlugin
          ? `${p.pkg.name} exports a plugin but its keywords lack "${PLUGIN_KEYWORD}"`
          : `${p.pkg.name} has the "${PLUGIN_KEYWORD}" keyword but exports no valid plugin`,
      );
    }
  }
  expect(wrong).toEqual([]);
});

describe.each(packages.map((p) => [p.pkg.name, p] as const))('%s', (name, p) => {
  it('has the metadata a published package needs', () => {
    const missing = (['description', 'license', 'keywords', 'files', 'exports'] as const).filter((field) => {
      const v = p.pkg[field];
      return v === undefined || (Array.isArray(v) && v.length === 0) || v === '';
    });
    expect(missing, `${name} (${path.relative(repoRoot, p.dir)}/package.json) lacks: ${missing.join(', ')}`).toEqual([]);
  });

  it('packs its sources and README, without tests or fake servers', () => {
    const { files } = packed.get(name)!;
    for (const required of ['package.json', 'README.md', entryOf(p.pkg)]) {
      expect(files, `${name}'s tarball lacks ${required}`).toContain(required);
    }
    // The SDK ships its plugin template with the template's test, on purpose.
    const shipped = files.filter((f) => !(name === SDK_NAME && f.startsWith('template/')));
    const leaked = shipped.filter((f) => /\.test\.ts$/.test(f) || /(^|\/)fake-[^/]*\.ts$/.test(f));
    expect(leaked, `${name}'s tarball ships test code; exclude it in package.json "files"`).toEqual([]);
  });

  it('has no workspace: ranges left in its packed package.json', () => {
    const { pkgText } = packed.get(name)!;
    expect(pkgText.includes('workspace:'), `${name}'s packed package.json still has a workspace: range:\n${pkgText}`).toBe(false);
  });

  it('is installed from its tarball, once, not from the registry', () => {
    const entry = lockfile.packages[`node_modules/${name}`];
    expect(entry, `${name} is not in the install's package-lock.json`).toBeDefined();
    expect(entry!.resolved, `${name} was not installed from its tarball`).toMatch(/^file:/);
    const copies = Object.keys(lockfile.packages).filter((k) => k.endsWith(`node_modules/${name}`));
    expect(copies, `${name} is installed more than once (a dependency range did not match the packed version)`).toEqual([
      `node_modules/${name}`,
    ]);
  });
});

describe.each(plugins.map((p) => [p.pkg.name, p] as const))('%s', (name, p) => {
  it('loads outside the workspace and declares what the workspace copy declares', async () => {
    const result = loaded.get(name);
    expect(result, `${name} was not attempted by the loader`).toBeDefined();
    expect(result!.ok, `${name} did not load from ${installDir}:\n${result!.error}`).toBe(true);
    expect(result!.resolved, `${name} resolved outside the install directory`).toMatch(
      new RegExp(`^${pathToFileURL(path.join(installDir, 'node_modules', name)).href.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/`),
    );

    const mod = (await import(pathToFileURL(path.join(p.dir, entryOf(p.pkg))).href)) as { default?: unknown; plugin?: unknown };
    const workspace = validatePlugin(mod.default ?? mod.plugin);
    expect(
      { key: result!.key, actions: result!.actions, triggers: result!.triggers, syncs: result!.syncs },
      `${name}: the installed package declares something else than plugins/${path.basename(p.dir)}`,
    ).toEqual({
      key: workspace.key,
      actions: workspace.actions.map((a) => a.key),
      triggers: (workspace.triggers ?? []).map((t) => t.key),
      syncs: (workspace.syncs ?? []).map((s) => s.key),
    });
  });
});
