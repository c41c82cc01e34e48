/**
 * A real Temporal server for local development and tests — without needing internet access.
 *
 * Where the server binary (the Temporal CLI, `temporal server start-dev`) comes from, in order:
 *   1. `TEMPORAL_CLI_PATH` — an explicit binary; if it is set but broken that is an error (no fall-through).
 *   2. `temporal` on `PATH`.
 *   3. A previous Go build cached in `${XDG_CACHE_HOME:-~/.cache}/patchbay/bin/temporal`.
 *   4. Building it once with Go from the Go module proxy (`go install …/cmd/temporal@v1.5.1`).
 * If none of that works, `startTemporalDevServer` falls back to `@temporalio/testing`'s
 * `TestWorkflowEnvironment.createLocal()`, which downloads the CLI from Temporal's site (needs internet
 * and the optional `@temporalio/testing` package).
 *
 * The dev server keeps everything in memory unless `dbFile` is given (SQLite).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { constants as fsConstants, unlinkSync } from 'node:fs';
import { access, link, mkdir, mkdtemp, open, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Connection } from '@temporalio/client';

// ---------------------------------------------------------------------------------------------------------------------
// Public types and constants
// ---------------------------------------------------------------------------------------------------------------------

/** The newest Temporal CLI version that `go install …@version` accepts (later tags have `replace` directives). */
export const TEMPORAL_CLI_VERSION = '1.5.1';
export const TEMPORAL_CLI_GO_PACKAGE = 'github.com/temporalio/cli/cmd/temporal';

export type SearchAttributeKind = 'Keyword' | 'Text' | 'Int' | 'Datetime' | 'Bool' | 'Double' | 'KeywordList';

export type TemporalBinarySource = 'TEMPORAL_CLI_PATH' | 'PATH' | 'go-build-cache' | 'go-build';
export type TemporalServerSource = TemporalBinarySource | 'sdk-download';

export interface ResolvedTemporalBinary {
  /** Absolute path of the `temporal` executable. */
  path: string;
  source: TemporalBinarySource;
  /** First line of `temporal --version`, e.g. "temporal version 1.5.1 (Server 1.29.1, UI 2.41.0)". */
  version?: string;
}

export interface ResolveTemporalBinaryOptions {
  /** Environment to read TEMPORAL_CLI_PATH, PATH, HOME, XDG_CACHE_HOME from (and to run `go` with). Default: process.env. */
  env?: NodeJS.ProcessEnv;
  /** Cache directory (the binary goes to `<cacheDir>/bin`). Default: `${XDG_CACHE_HOME:-$HOME/.cache}/patchbay`. */
  cacheDir?: string;
  /** Allow building with Go when no binary is found. Default: true. */
  build?: boolean;
  /** Give up on a Go build (or on waiting for another process's build) after this long. Default: 30 minutes. */
  buildTimeoutMs?: number;
  /** Progress messages (build progress, waiting for a lock). Default: written to stderr. */
  log?: (line: string) => void;
}

export interface StartTemporalDevServerOptions {
  /** Frontend (gRPC) port. 0 = pick a free port. Default: 7233. */
  port?: number;
  /** Web UI port; null = headless (no UI); 0 = pick a free port. Default: port + 1000 (a free port when port is 0). */
  uiPort?: number | null;
  /** Interface to bind. Default: 127.0.0.1. */
  ip?: string;
  /** SQLite file to persist to (its parent directory is created). Omit = in memory. */
  dbFile?: string;
  /** Namespace to make sure exists ("default" always exists). Default: 'default'. */
  namespace?: string;
  /** Custom search attributes to register, e.g. `{ OrgId: 'Keyword' }`. */
  searchAttributes?: Record<string, SearchAttributeKind>;
  /** Server log level: debug | info | warn | error | never. Default: 'warn'. */
  logLevel?: string;
  /** Receives the server's output lines and progress messages. Default: progress to stderr, server output dropped. */
  log?: (line: string) => void;
  /** How long to wait for the frontend to answer. Default: 60 s. */
  startTimeoutMs?: number;
  /** Extra arguments for `temporal server start-dev`. */
  extraArgs?: string[];
  /** Environment for resolution and the child process. Default: process.env. */
  env?: NodeJS.ProcessEnv;
  /** Cache directory for the Go build (see ResolveTemporalBinaryOptions.cacheDir). */
  cacheDir?: string;
  /** Allow building the CLI with Go. Default: true. */
  build?: boolean;
  /** Fall back to @temporalio/testing's download when no binary is available. Default: true. */
  sdkFallback?: boolean;
}

export interface TemporalDevServer {
  /** host:port of the frontend, for `Connection.connect({ address })` / `NativeConnection.connect`. */
  address: string;
  /** Web UI URL (absent when headless). */
  uiUrl?: string;
  namespace: string;
  source: TemporalServerSource;
  /** The binary that runs the server (absent for 'sdk-download'). */
  binaryPath?: string;
  /** PID of the server process (absent for 'sdk-download'). */
  pid?: number;
  /** Stops the server (SIGTERM, then SIGKILL after 10 s); safe to call more than once. */
  stop(): Promise<void>;
}

/** TEMPORAL_CLI_PATH is set but does not point at a working `temporal` binary. */
export class TemporalCliPathError extends Error {
  override name = 'TemporalCliPathError';
  constructor(
    message: string,
    readonly cliPath: string,
  ) {
    super(message);
  }
}

/** No way to get a Temporal server was found; the message explains the ways out. */
export class TemporalUnavailableError extends Error {
  override name = 'TemporalUnavailableError';
  constructor(
    message: string,
    /** What was tried and why each step did not work. */
    readonly attempts: string[],
  ) {
    super(message);
  }
}

/** The requested frontend or UI port is taken. */
export class TemporalPortInUseError extends Error {
  override name = 'TemporalPortInUseError';
  constructor(
    message: string,
    readonly port: number,
    /** True when whatever listens there answers like a Temporal frontend. */
    readonly servesTemporal: boolean,
  ) {
    super(message);
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------------------------------

const EXE = process.platform === 'win32' ? 'temporal.exe' : 'temporal';

const defaultProgressLog = (line: string): void => {
  process.stderr.write(`[patchbay] ${line}\n`);
};

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** `${XDG_CACHE_HOME:-$HOME/.cache}/patchbay` for the given environment. */
export function temporalCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CACHE_HOME?.trim();
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(env.HOME?.trim() || os.homedir(), '.cache');
  return path.join(base, 'patchbay');
}

/** The exact command that builds the CLI into the cache (shown to users). */
export function goInstallCommand(binDir: string = path.join(temporalCacheDir(), 'bin')): string {
  return `CGO_ENABLED=0 GOBIN=${binDir} go install ${TEMPORAL_CLI_GO_PACKAGE}@v${TEMPORAL_CLI_VERSION}`;
}

/** A free TCP port on `host` (default 127.0.0.1), found by listening on port 0. */
export function findFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}

/** True when nothing listens on host:port (we could bind it). */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Returns null when `file` is an executable regular file, else a short description of the problem. */
async function executableProblem(file: string): Promise<string | null> {
  let info;
  try {
    info = await stat(file);
  } catch {
    return 'that file does not exist';
  }
  if (!info.isFile()) return 'that is not a file';
  try {
    await access(file, fsConstants.X_OK);
  } catch {
    return 'that file is not executable';
  }
  return null;
}

async function findOnPath(name: string, env: NodeJS.ProcessEnv): Promise<string | null> {
  const dirs = (env.PATH ?? '').split(path.delimiter).filter(Boolean);
  const names = process.platform === 'win32' ? [`${name}.exe`, name] : [name];
  for (const dir of dirs) {
    for (const n of names) {
      const candidate = path.resolve(dir, n);
      if ((await executableProblem(candidate)) === null) return candidate;
    }
  }
  return null;
}

/** Runs `<file> --version`; resolves the first output line, rejects if it cannot run. */
function probeVersion(file: string, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, ['--version'], { env, timeout: 20_000, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) {
        reject(new Error(`${err.message}${stderr ? `: ${String(stderr).trim()}` : ''}`));
        return;
      }
      resolve(String(stdout).trim().split('\n')[0] ?? '');
    });
  });
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The one-paragraph "how to get out of this" message. */
export function temporalUnavailableMessage(opts: { env?: NodeJS.ProcessEnv; cacheDir?: string; tried?: string[] } = {}): string {
  const binDir = path.join(opts.cacheDir ?? temporalCacheDir(opts.env ?? process.env), 'bin');
  const tried = opts.tried?.length ? ` (Tried: ${opts.tried.join('; ')}.)` : '';
  return (
    'Patchbay could not get a Temporal server for local development. Do one of these: ' +
    '(1) set TEMPORAL_ADDRESS to an existing Temporal server (e.g. TEMPORAL_ADDRESS=127.0.0.1:7233); ' +
    '(2) set TEMPORAL_CLI_PATH to a `temporal` binary (the Temporal CLI); ' +
    '(3) put `temporal` on your PATH; ' +
    `(4) install Go (1.25 or newer) so Patchbay can build it once, which runs \`${goInstallCommand(binDir)}\` (a few minutes the first time); ` +
    'or (5) allow internet access (with the @temporalio/testing package installed) so the Temporal SDK can download the dev server.' +
    tried
  );
}

// ---------------------------------------------------------------------------------------------------------------------
// Binary resolution (+ Go build with a lock file)
// ---------------------------------------------------------------------------------------------------------------------

/**
 * Finds (or builds) the `temporal` CLI binary. Order: TEMPORAL_CLI_PATH, PATH, the cached Go build, a Go build.
 * Throws TemporalCliPathError when TEMPORAL_CLI_PATH is set but unusable, TemporalUnavailableError when nothing works.
 */
export async function resolveTemporalBinary(opts: ResolveTemporalBinaryOptions = {}): Promise<ResolvedTemporalBinary> {
  const env = opts.env ?? process.env;
  const log = opts.log ?? defaultProgressLog;
  const cacheDir = opts.cacheDir ?? temporalCacheDir(env);
  const tried: string[] = [];

  // 1. TEMPORAL_CLI_PATH — explicit configuration; broken = error, never a silent fall-through.
  const cliPath = env.TEMPORAL_CLI_PATH?.trim();
  if (cliPath) {
    const abs = path.resolve(cliPath);
    const problem = await executableProblem(abs);
    if (problem) {
      throw new TemporalCliPathError(
        `TEMPORAL_CLI_PATH is set to "${cliPath}", but ${problem}. Point TEMPORAL_CLI_PATH at a \`temporal\` binary (the Temporal CLI), or unset it to let Patchbay find or build one.`,
        cliPath,
      );
    }
    try {
      return { path: abs, source: 'TEMPORAL_CLI_PATH', version: await probeVersion(abs, env) };
    } catch (err) {
      throw new TemporalCliPathError(
        `TEMPORAL_CLI_PATH is set to "${cliPath}", but running \`${abs} --version\` failed (${errorText(err)}). Point TEMPORAL_CLI_PATH at a working \`temporal\` binary (the Temporal CLI), or unset it.`,
        cliPath,
      );
    }
  }
  tried.push('TEMPORAL_CLI_PATH is not set');

  // 2. PATH
  const onPath = await findOnPath('temporal', env);
  if (onPath) {
    try {
      return { path: onPath, source: 'PATH', version: await probeVersion(onPath, env) };
    } catch (err) {
      tried.push(`\`${onPath}\` (from PATH) did not run: ${errorText(err)}`);
    }
  } else {
    tried.push('no `temporal` on PATH');
  }

  // 3. Cached Go build
  const cached = path.join(cacheDir, 'bin', EXE);
  const cachedVersion = await usableVersion(cached, env);
  if (cachedVersion !== null) return { path: cached, source: 'go-build-cache', version: cachedVersion };
  tried.push(`no cached build at ${cached}`);

  // 4. Build with Go
  if (opts.build === false) {
    tried.push('building with Go is disabled');
  } else {
    const go = await findOnPath('go', env);
    if (!go) {
      tried.push('no `go` on PATH to build it');
    } else {
      try {
        return await buildWithGo({ go, cacheDir, env, log, timeoutMs: opts.buildTimeoutMs ?? 30 * 60_000 });
      } catch (err) {
        tried.push(`building with Go failed: ${errorText(err)}`);
      }
    }
  }

  throw new TemporalUnavailableError(temporalUnavailableMessage({ cacheDir, tried }), tried);
}

async function usableVersion(file: string, env: NodeJS.ProcessEnv): Promise<string | null> {
  if ((await executableProblem(file)) !== null) return null;
  try {
    return await probeVersion(file, env);
  } catch {
    return null; // half-written or foreign binary: treat as absent (a build replaces it atomically)
  }
}

async function buildWithGo(args: {
  go: string;
  cacheDir: string;
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
  timeoutMs: number;
}): Promise<ResolvedTemporalBinary> {
  const { go, cacheDir, env, log, timeoutMs } = args;
  const binDir = path.join(cacheDir, 'bin');
  const target = path.join(binDir, EXE);
  await mkdir(binDir, { recursive: true });
  const deadline = Date.now() + timeoutMs;

  const release = await acquireLock(path.join(cacheDir, 'temporal-build.lock'), deadline, log);
  try {
    // Another process may have finished the build while we waited for the lock.
    const version = await usableVersion(target, env);
    if (version !== null) return { path: target, source: 'go-build-cache', version };

    // Build into a private directory next to the target (same filesystem), then rename atomically.
    const tmpDir = await mkdtemp(path.join(cacheDir, '.build-'));
    try {
      log('building the Temporal CLI with Go (first time only, a few minutes)…');
      log(`  ${goInstallCommand(binDir)}`);
      const started = Date.now();
      await runGoInstall(go, { ...env, CGO_ENABLED: '0', GOBIN: tmpDir }, deadline, log);
      const built = path.join(tmpDir, EXE);
      const builtVersion = await probeVersion(built, env);
      await rename(built, target);
      log(`built ${builtVersion} in ${Math.round((Date.now() - started) / 1000)} s → ${target}`);
      return { path: target, source: 'go-build', version: builtVersion };
    } finally {
      await rm(tmpDir, { recursive: true, force: true }).catch(() => {});
    }
  } finally {
    await release();
  }
}

function runGoInstall(go: string, env: NodeJS.ProcessEnv, deadline: number, log: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(go, ['install', `${TEMPORAL_CLI_GO_PACKAGE}@v${TEMPORAL_CLI_VERSION}`], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const tail: string[] = [];
    const onLine = (line: string) => {
      tail.push(line);
      if (tail.length > 20) tail.shift();
    };
    createInterface({ input: child.stdout! }).on('line', onLine);
    createInterface({ input: child.stderr! }).on('line', onLine);
    const started = Date.now();
    const heartbeat = setInterval(() => {
      log(`  still building the Temporal CLI… (${Math.round((Date.now() - started) / 1000)} s)`);
    }, 30_000);
    heartbeat.unref();
    const timer = setTimeout(() => child.kill('SIGKILL'), Math.max(0, deadline - Date.now()));
    timer.unref();
    const killOnExit = () => child.kill('SIGKILL');
    process.once('exit', killOnExit);
    child.once('error', (err) => {
      clearInterval(heartbeat);
      clearTimeout(timer);
      process.removeListener('exit', killOnExit);
      reject(err);
    });
    child.once('exit', (code, signal) => {
      clearInterval(heartbeat);
      clearTimeout(timer);
      process.removeListener('exit', killOnExit);
      if (code === 0) resolve();
      else {
        const why = signal ? `killed by ${signal}${Date.now() >= deadline ? ' (timed out)' : ''}` : `exit code ${code}`;
        reject(new Error(`\`go install\` failed (${why}): ${tail.slice(-5).join(' | ')}`));
      }
    });
  });
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Exclusive lock via O_CREAT|O_EXCL; waits while another live process holds it; removes stale locks. */
async function acquireLock(
  lockPath: string,
  deadline: number,
  log: (line: string) => void,
): Promise<() => Promise<void>> {
  let announced = false;
  for (;;) {
    try {
      const handle = await open(lockPath, 'wx');
      await handle.writeFile(`${process.pid}\n${new Date().toISOString()}\n`);
      await handle.close();
      let released = false;
      const releaseSync = () => {
        // best effort if the process exits while building
        try {
          if (!released) unlinkSync(lockPath);
        } catch {
          /* ignore */
        }
      };
      process.once('exit', releaseSync);
      return async () => {
        released = true;
        process.removeListener('exit', releaseSync);
        await unlink(lockPath).catch(() => {});
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    // Someone holds the lock: is it stale?
    let holder = NaN;
    let ageMs = 0;
    try {
      holder = Number.parseInt((await readFile(lockPath, 'utf8')).split('\n')[0] ?? '', 10);
      ageMs = Date.now() - (await stat(lockPath)).mtimeMs;
    } catch {
      continue; // vanished meanwhile: retry right away
    }
    const stale = (Number.isFinite(holder) && !pidAlive(holder)) || (!Number.isFinite(holder) && ageMs > 10_000);
    if (stale) {
      await breakStaleLock(lockPath);
      continue;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for the build lock ${lockPath} (held by pid ${holder})`);
    }
    if (!announced) {
      log(
        holder === process.pid
          ? 'waiting for the Temporal CLI build already running in this process…'
          : `waiting for another process (pid ${holder}) that is building the Temporal CLI…`,
      );
      announced = true;
    }
    await sleep(1_000);
  }
}

/**
 * Removes a lock whose holder is dead. Moves it aside first (atomic), so that if another waiter already broke it and
 * a live process re-took it in between, we notice (the holder is alive) and put that fresh lock back.
 */
async function breakStaleLock(lockPath: string): Promise<void> {
  const aside = `${lockPath}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  try {
    await rename(lockPath, aside);
  } catch {
    return; // someone else got there first
  }
  try {
    const holder = Number.parseInt((await readFile(aside, 'utf8')).split('\n')[0] ?? '', 10);
    if (Number.isFinite(holder) && pidAlive(holder)) {
      await link(aside, lockPath).catch(() => {}); // a fresh lock: give it back (EEXIST = yet another holder; rare)
    }
  } finally {
    await unlink(aside).catch(() => {});
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Child process bookkeeping: never leave a dev server behind when this process goes away
// ---------------------------------------------------------------------------------------------------------------------

const liveChildren = new Set<ChildProcess>();
let exitHandlersInstalled = false;

function installExitHandlers(): void {
  if (exitHandlersInstalled) return;
  exitHandlersInstalled = true;
  // The dev server shuts down gracefully on SIGTERM by itself; it does not need us to wait for it.
  process.on('exit', () => {
    for (const child of liveChildren) {
      try {
        child.kill('SIGTERM');
      } catch {
        /* ignore */
      }
    }
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = () => {
      for (const child of liveChildren) child.kill('SIGTERM');
      // We were only a bystander: keep the default "die on this signal" unless someone else handles it.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.once(signal, onSignal);
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Readiness
// ---------------------------------------------------------------------------------------------------------------------

/** Resolves once `address` answers GetSystemInfo and knows `namespace` (and the search attributes, if given). */
export async function waitForTemporal(
  address: string,
  opts: {
    namespace?: string;
    searchAttributes?: string[];
    timeoutMs?: number;
    /** Reject early (e.g. when the server process died). */
    abort?: Promise<never>;
  } = {},
): Promise<void> {
  const namespace = opts.namespace ?? 'default';
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  const state: { aborted?: { error: unknown } } = {};
  // Registered before any race below, so the flag is set before a race sees the rejection.
  opts.abort?.catch((error: unknown) => {
    state.aborted = { error };
  });
  const throwIfAborted = (): void => {
    if (state.aborted) throw state.aborted.error;
  };
  let lastError: unknown;
  for (;;) {
    const attempt = (async () => {
      // lazy + ensureConnected (not Connection.connect) so the channel is closed even when connecting fails;
      // otherwise grpc-js keeps reconnecting in the background.
      const connection = Connection.lazy({
        address,
        connectTimeout: Math.max(500, Math.min(3_000, deadline - Date.now())),
      });
      try {
        await connection.ensureConnected();
        await connection.workflowService.describeNamespace({ namespace });
        if (opts.searchAttributes?.length) {
          const res = await connection.operatorService.listSearchAttributes({ namespace });
          const missing = opts.searchAttributes.filter((name) => !(name in (res.customAttributes ?? {})));
          if (missing.length) throw new Error(`search attributes not registered yet: ${missing.join(', ')}`);
        }
      } finally {
        await connection.close().catch(() => {});
      }
    })();
    attempt.catch(() => {}); // may still settle after an abort won the race
    try {
      await (opts.abort ? Promise.race([attempt, opts.abort]) : attempt);
      return;
    } catch (err) {
      throwIfAborted();
      lastError = err;
    }
    if (Date.now() >= deadline) {
      throw new Error(`Temporal at ${address} did not become ready in time: ${errorText(lastError)}`);
    }
    await sleep(250);
    throwIfAborted();
  }
}

async function answersAsTemporal(address: string): Promise<boolean> {
  try {
    const connection = Connection.lazy({ address, connectTimeout: 2_000 });
    try {
      await connection.ensureConnected();
      await connection.withDeadline(Date.now() + 2_000, () => connection.workflowService.getSystemInfo({}));
      return true;
    } finally {
      await connection.close().catch(() => {});
    }
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// startTemporalDevServer
// ---------------------------------------------------------------------------------------------------------------------

const SEARCH_ATTRIBUTE_SDK_TYPES: Record<SearchAttributeKind, string> = {
  Keyword: 'KEYWORD',
  Text: 'TEXT',
  Int: 'INT',
  Datetime: 'DATETIME',
  Bool: 'BOOL',
  Double: 'DOUBLE',
  KeywordList: 'KEYWORD_LIST',
};

/**
 * Starts `temporal server start-dev` (resolving/building the binary as needed), waits until the frontend answers,
 * and returns its address and a stop() function. Falls back to the SDK's download when no binary is available.
 */
export async function startTemporalDevServer(opts: StartTemporalDevServerOptions = {}): Promise<TemporalDevServer> {
  const env = opts.env ?? process.env;
  const ip = opts.ip ?? '127.0.0.1';
  const namespace = opts.namespace ?? 'default';
  const progress = opts.log ?? defaultProgressLog;
  const searchAttributes = opts.searchAttributes ?? {};
  for (const [name, kind] of Object.entries(searchAttributes)) {
    if (!(kind in SEARCH_ATTRIBUTE_SDK_TYPES)) throw new TypeError(`search attribute ${name}: unknown type "${kind}"`);
  }

  // Ports: explicit ports are checked up front for a clear error; 0 means "any free one" (re-picked on a lost race).
  const requestedPort = opts.port ?? 7233;
  const pickPorts = async (): Promise<{ port: number; uiPort: number | null }> => {
    const port = requestedPort === 0 ? await findFreePort(ip) : requestedPort;
    let uiPort: number | null;
    if (opts.uiPort === null) uiPort = null;
    else if (opts.uiPort === undefined) {
      uiPort = requestedPort === 0 || port + 1000 > 65535 ? await findFreePort(ip) : port + 1000;
    } else uiPort = opts.uiPort === 0 ? await findFreePort(ip) : opts.uiPort;
    return { port, uiPort };
  };
  let { port, uiPort } = await pickPorts();
  if (requestedPort !== 0) await assertPortFree(ip, port, 'frontend');
  if (uiPort !== null && (opts.uiPort ?? requestedPort) !== 0) await assertPortFree(ip, uiPort, 'Web UI');
  const portsArePicked = requestedPort === 0 || opts.uiPort === 0;

  const dbFile = opts.dbFile ? path.resolve(opts.dbFile) : undefined;
  if (dbFile) await mkdir(path.dirname(dbFile), { recursive: true });

  let binary: ResolvedTemporalBinary | undefined;
  let resolveError: TemporalUnavailableError | undefined;
  try {
    binary = await resolveTemporalBinary({ env, cacheDir: opts.cacheDir, build: opts.build, log: progress });
  } catch (err) {
    if (!(err instanceof TemporalUnavailableError)) throw err; // e.g. a broken TEMPORAL_CLI_PATH
    resolveError = err;
  }

  if (binary) {
    for (let attempt = 1; ; attempt++) {
      try {
        return await spawnDevServer({ ...opts, binary, env, ip, port, uiPort, namespace, dbFile, searchAttributes });
      } catch (err) {
        // Someone grabbed the port we picked between findFreePort() and the server binding it: pick again.
        const lostRace = portsArePicked && attempt < 3 && /can't (set|use) .*port|address already in use/i.test(errorText(err));
        if (!lostRace) throw err;
        ({ port, uiPort } = await pickPorts());
      }
    }
  }

  const attempts = [...(resolveError?.attempts ?? [])];
  if (opts.sdkFallback !== false) {
    try {
      progress('no local Temporal CLI found; trying @temporalio/testing (downloads the dev server from temporal.io)…');
      return await startViaSdk({ ip, port, uiPort, namespace, dbFile, searchAttributes, logLevel: opts.logLevel });
    } catch (err) {
      attempts.push(`the SDK download did not work: ${errorText(err)}`);
    }
  } else {
    attempts.push('the SDK download fallback is disabled');
  }
  throw new TemporalUnavailableError(
    temporalUnavailableMessage({ env, cacheDir: opts.cacheDir, tried: attempts }),
    attempts,
  );
}

async function assertPortFree(ip: string, port: number, what: string): Promise<void> {
  if (await isPortFree(port, ip)) return;
  const address = hostPort(ip, port);
  const servesTemporal = what === 'frontend' && (await answersAsTemporal(address));
  const message = servesTemporal
    ? `Cannot start the Temporal dev server: port ${port} on ${ip} is already in use by a running Temporal server (perhaps one left over from an earlier run). Use it by setting TEMPORAL_ADDRESS=${address}, stop it, or choose another port (port 0 picks a free one).`
    : `Cannot start the Temporal dev server: the ${what} port ${port} on ${ip} is already in use by another program (not a Temporal server). Free that port or choose another one (0 picks a free port${what === 'Web UI' ? ', null disables the UI' : ''}).`;
  throw new TemporalPortInUseError(message, port, servesTemporal);
}

/** Where and how to run a dev server, once the options are resolved. */
interface ServerPlan {
  ip: string;
  port: number;
  uiPort: number | null;
  namespace: string;
  dbFile: string | undefined;
  searchAttributes: Record<string, SearchAttributeKind>;
}

async function spawnDevServer(
  args: StartTemporalDevServerOptions & ServerPlan & { binary: ResolvedTemporalBinary; env: NodeJS.ProcessEnv },
): Promise<TemporalDevServer> {
  const { binary, env, ip, port, uiPort, namespace, dbFile, searchAttributes } = args;
  const cliArgs = [
    'server',
    'start-dev',
    '--ip',
    ip,
    '--port',
    String(port),
    ...(uiPort === null ? ['--headless'] : ['--ui-port', String(uiPort)]),
    ...(dbFile ? ['--db-filename', dbFile] : []),
    ...(namespace !== 'default' ? ['--namespace', namespace] : []),
    ...Object.entries(searchAttributes).flatMap(([name, kind]) => ['--search-attribute', `${name}=${kind}`]),
    '--log-level',
    args.logLevel ?? 'warn',
    ...(args.extraArgs ?? []),
  ];

  installExitHandlers();
  const child = spawn(binary.path, cliArgs, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  liveChildren.add(child);

  const tail: string[] = [];
  // A Go panic ends in a long goroutine dump: its first line, the reason, is kept apart.
  let panicLine: string | undefined;
  const onLine = (line: string) => {
    if (!panicLine && line.startsWith('panic:')) panicLine = line;
    tail.push(line);
    if (tail.length > 40) tail.shift();
    args.log?.(line);
  };
  createInterface({ input: child.stdout! }).on('line', onLine);
  createInterface({ input: child.stderr! }).on('line', onLine);

  let exited = false;
  const exitPromise = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      liveChildren.delete(child);
      resolve();
    });
    child.once('error', () => {
      exited = true;
      liveChildren.delete(child);
      resolve();
    });
  });
  let spawnError: Error | undefined;
  child.once('error', (err) => (spawnError = err));
  const died = exitPromise.then(() => {
    // give readline a tick to deliver the last lines
    return sleep(50).then(() => {
      const reason = spawnError ? spawnError.message : `exit code ${child.exitCode ?? child.signalCode}`;
      throw new Error(
        `The Temporal dev server (${binary.path}) stopped before it was ready (${reason}).${panicLine && !tail.includes(panicLine) ? ` ${panicLine}` : ''} Its last output:\n${tail.join('\n')}`,
      );
    });
  }) as Promise<never>;
  died.catch(() => {}); // handled by whoever races it

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (!exited) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => {
          if (!exited) child.kill('SIGKILL');
        }, 10_000);
        await exitPromise;
        clearTimeout(timer);
      }
    })();
    return stopping;
  };

  const address = hostPort(ip, port);
  try {
    await waitForTemporal(address, {
      namespace,
      searchAttributes: Object.keys(searchAttributes),
      timeoutMs: args.startTimeoutMs ?? 60_000,
      abort: died,
    });
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    address,
    uiUrl: uiPort === null ? undefined : `http://${hostPort(ip, uiPort)}`,
    namespace,
    source: binary.source,
    binaryPath: binary.path,
    pid: child.pid,
    stop,
  };
}

/** Minimal shape of what we use from @temporalio/testing (loaded only as the last resort). */
interface TestingModule {
  TestWorkflowEnvironment: {
    createLocal(opts: unknown): Promise<{ address: string; teardown(): Promise<void> }>;
  };
}

async function startViaSdk(args: ServerPlan & { logLevel: string | undefined }): Promise<TemporalDevServer> {
  let testing: TestingModule;
  try {
    const specifier = '@temporalio/testing'; // loaded lazily: only needed when no binary can be had
    testing = (await import(specifier)) as TestingModule;
  } catch (err) {
    const notInstalled =
      (err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && errorText(err).includes('@temporalio/testing');
    throw new Error(notInstalled ? '@temporalio/testing is not installed' : `loading @temporalio/testing failed: ${errorText(err)}`);
  }
  const env = await testing.TestWorkflowEnvironment.createLocal({
    server: {
      ip: args.ip,
      port: args.port,
      ui: args.uiPort !== null,
      ...(args.uiPort !== null ? { uiPort: args.uiPort } : {}),
      ...(args.dbFile ? { dbFilename: args.dbFile } : {}),
      namespace: args.namespace,
      log: { format: 'pretty', level: args.logLevel ?? 'warn' },
      // SearchAttributeKey objects: { name, type } (what defineSearchAttributeKey returns)
      searchAttributes: Object.entries(args.searchAttributes).map(([name, kind]) => ({
        name,
        type: SEARCH_ATTRIBUTE_SDK_TYPES[kind],
      })),
    },
  });
  let stopping: Promise<void> | undefined;
  return {
    address: env.address,
    uiUrl: args.uiPort === null ? undefined : `http://${hostPort(args.ip, args.uiPort)}`,
    namespace: args.namespace,
    source: 'sdk-download',
    stop: () => (stopping ??= env.teardown()),
  };
}

// ---------------------------------------------------------------------------------------------------------------------
// Convenience: honour TEMPORAL_ADDRESS, else start a dev server
// ---------------------------------------------------------------------------------------------------------------------

/**
 * If `TEMPORAL_ADDRESS` is set, waits for that server (registering any missing search attributes) and returns it
 * with a no-op stop(); otherwise starts a dev server with `startTemporalDevServer(opts)`.
 */
export async function connectOrStartTemporal(
  opts: StartTemporalDevServerOptions = {},
): Promise<Omit<TemporalDevServer, 'source'> & { source: TemporalServerSource | 'TEMPORAL_ADDRESS' }> {
  const env = opts.env ?? process.env;
  const existing = env.TEMPORAL_ADDRESS?.trim();
  if (!existing) return startTemporalDevServer(opts);
  const namespace = opts.namespace ?? 'default';
  try {
    await waitForTemporal(existing, { namespace, timeoutMs: opts.startTimeoutMs ?? 15_000 });
  } catch (err) {
    throw new Error(
      `TEMPORAL_ADDRESS is set to "${existing}", but no Temporal server answers there (or it lacks namespace "${namespace}"): ${errorText(err)}`,
    );
  }
  const wanted = Object.entries(opts.searchAttributes ?? {});
  if (wanted.length) {
    const connection = await Connection.connect({ address: existing });
    try {
      const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
      const missing = wanted.filter(([name]) => !(name in (customAttributes ?? {})));
      if (missing.length) {
        // temporal.api.enums.v1.IndexedValueType (stable proto enum numbers; @temporalio/proto is not a direct dep)
        const toEnum: Record<SearchAttributeKind, number> = {
          Text: 1,
          Keyword: 2,
          Int: 3,
          Double: 4,
          Bool: 5,
          Datetime: 6,
          KeywordList: 7,
        };
        await connection.operatorService.addSearchAttributes({
          namespace,
          searchAttributes: Object.fromEntries(missing.map(([name, kind]) => [name, toEnum[kind]])),
        });
      }
    } finally {
      await connection.close().catch(() => {});
    }
  }
  return { address: existing, namespace, source: 'TEMPORAL_ADDRESS', stop: async () => {} };
}
