// Test support, not shipped (package.json excludes `fake-*.ts`): starts a REAL Dovecot IMAP
// server (Debian's `dovecot-imapd`, /usr/sbin/dovecot) in the foreground, unprivileged, on a
// free loopback port, with everything (config, sockets, state, logs, maildirs) in a temp dir.
// Only the name says "fake": nothing here imitates IMAP. Tests (this plugin's and the hub's
// flow tests) talk to it with any real IMAP client.
//
//   const imap = await startDovecot({ users: { alice: 'pw-alice' } });
//   … new ImapFlow({ host: imap.host, port: imap.port, secure: false, auth: { user: imap.user, pass: imap.password } })
//   await imap.stop();
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ImapFlow } from 'imapflow';
import MailComposer from 'nodemailer/lib/mail-composer';

export const DOVECOT_BINARY = process.env.PATCHBAY_DOVECOT_BINARY ?? '/usr/sbin/dovecot';

/** Whether a Dovecot binary is installed here (tests `describe.skipIf(!dovecotAvailable)`). */
export const dovecotAvailable = existsSync(DOVECOT_BINARY);

export interface DovecotOptions {
  /** user name → password. Default: one user, `patchbay` / `patchbay-secret`. */
  users?: Record<string, string>;
  /** How long to wait for the greeting. Default 20 s (2 busy cores). */
  startTimeoutMs?: number;
  /** PEM key and certificate: also listen for IMAPS (TLS from the first byte) on `tlsPort`. */
  tls?: { key: string; cert: string };
}

export interface RunningDovecot {
  host: string;
  port: number;
  /** IMAPS port when started with `tls`. */
  tlsPort?: number;
  /** The first user and its password (the common single-user case). */
  user: string;
  password: string;
  users: Record<string, string>;
  /** The temp dir holding config, maildirs and logs. */
  dir: string;
  /** Dovecot's log so far (for failure messages). */
  log(): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Starts Dovecot with a passwd-file passdb, maildir storage under a temp dir, plaintext
 * LOGIN/PLAIN auth (ssl = no) on 127.0.0.1 only. Runs as the current user; when that is root
 * (CI containers), Dovecot refuses root for its login and mail processes, so those run as the
 * system's `dovenull`/`dovecot`/`nobody` accounts and the maildir is handed to `nobody`.
 */
export async function startDovecot(options: DovecotOptions = {}): Promise<RunningDovecot> {
  if (!dovecotAvailable) throw new Error(`Dovecot is not installed (${DOVECOT_BINARY}); install Debian's dovecot-imapd`);
  const users = options.users ?? { patchbay: 'patchbay-secret' };
  const [firstUser, firstPassword] = Object.entries(users)[0] ?? [];
  if (!firstUser || firstPassword === undefined) throw new Error('startDovecot needs at least one user');

  const dir = await mkdtemp(path.join(os.tmpdir(), 'patchbay-dovecot-'));
  const mailRoot = path.join(dir, 'mail');
  for (const sub of ['run', 'state', 'mail']) await mkdir(path.join(dir, sub), { recursive: true });
  const account = processAccounts();
  if (account.root) {
    // Unprivileged mail processes must reach their maildirs.
    await chmod(dir, 0o755);
    await chown(mailRoot, account.mailUid, account.mailGid);
  }
  const passwdFile = path.join(dir, 'users');
  await writeFile(passwdFile, Object.entries(users).map(([user, password]) => `${user}:{PLAIN}${password}::::::\n`).join(''), { mode: 0o644 });
  const port = await freePort();
  const tlsPort = options.tls ? await freePort() : undefined;
  if (options.tls) {
    await writeFile(path.join(dir, 'key.pem'), options.tls.key, { mode: 0o600 });
    await writeFile(path.join(dir, 'cert.pem'), options.tls.cert, { mode: 0o644 });
  }
  const ssl = options.tls ? `ssl = yes\nssl_cert = <${dir}/cert.pem\nssl_key = <${dir}/key.pem` : 'ssl = no';
  const logPath = path.join(dir, 'dovecot.log');
  const config = `
protocols = imap
listen = 127.0.0.1
base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${logPath}
info_log_path = ${logPath}
${ssl}
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = ${account.loginUser}
default_internal_user = ${account.internalUser}
${account.internalGroup ? `default_internal_group = ${account.internalGroup}` : ''}
first_valid_uid = ${account.mailUid}
last_valid_uid = ${account.mailUid}
first_valid_gid = ${account.mailGid}
last_valid_gid = ${account.mailGid}
mail_location = maildir:${mailRoot}/%u
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${passwdFile}
}
userdb {
  driver = static
  args = uid=${account.mailUid} gid=${account.mailGid} home=${mailRoot}/%u
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = ${tlsPort ?? 0}
    ssl = yes
  }
}
service anvil {
  chroot =
}
`;
  const configPath = path.join(dir, 'dovecot.conf');
  await writeFile(configPath, config, { mode: 0o644 });

  const child = spawn(DOVECOT_BINARY, ['-F', '-c', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const log = async () => `${output}${await readFile(logPath, 'utf8').catch(() => '')}`;

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };

  try {
    await waitForGreeting(port, child, options.startTimeoutMs ?? 20_000);
  } catch (err) {
    const detail = await log();
    await stop();
    throw new Error(`Dovecot did not start: ${(err as Error).message}\n${detail}`);
  }
  return { host: '127.0.0.1', port, tlsPort, user: firstUser, password: firstPassword, users, dir, log, stop };
}

interface Accounts {
  root: boolean;
  loginUser: string;
  internalUser: string;
  /** Group of Dovecot's internal sockets; absent: Dovecot's default (the `dovecot` group). */
  internalGroup?: string;
  mailUid: number;
  mailGid: number;
}

function processAccounts(): Accounts {
  const uid = process.getuid?.() ?? 0;
  if (uid !== 0) {
    const info = os.userInfo();
    const gid = process.getgid?.() ?? info.gid;
    const group = readFileSync('/etc/group', 'utf8')
      .split('\n')
      .map((line) => line.split(':'))
      .find((fields) => fields[2] === String(gid))?.[0];
    return { root: false, loginUser: info.username, internalUser: info.username, internalGroup: group ?? info.username, mailUid: uid, mailGid: gid };
  }
  const passwd = readFileSync('/etc/passwd', 'utf8');
  const has = (name: string) => passwd.split('\n').some((line) => line.startsWith(`${name}:`));
  const entry = (name: string) => passwd.split('\n').find((line) => line.startsWith(`${name}:`))?.split(':');
  const nobody = entry('nobody');
  return {
    root: true,
    loginUser: has('dovenull') ? 'dovenull' : 'nobody',
    internalUser: has('dovecot') ? 'dovecot' : 'nobody',
    mailUid: Number(nobody?.[2] ?? 65534),
    mailGid: Number(nobody?.[3] ?? 65534),
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Connects until the server sends its `* OK` greeting (the login process is up). */
async function waitForGreeting(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`dovecot exited with code ${child.exitCode}`);
    const greeted = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      let data = '';
      const done = (ok: boolean) => {
        socket.destroy();
        resolve(ok);
      };
      socket.setTimeout(2_000, () => done(false));
      socket.on('data', (chunk) => {
        data += chunk.toString();
        if (/\* OK .*ready/i.test(data)) done(true);
      });
      socket.on('error', () => done(false));
      socket.on('close', () => done(false));
    });
    if (greeted) return;
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`no IMAP greeting on 127.0.0.1:${port} within ${timeoutMs} ms`);
}

export interface MailToDeliver {
  from: string;
  to: string;
  subject: string;
  text: string;
}

/**
 * Delivers a real MIME message (built by nodemailer's MailComposer) into a user's mailbox with
 * IMAP APPEND, as a mail server would; answers its UID.
 */
export async function deliverMail(imap: RunningDovecot, user: string, mail: MailToDeliver, mailbox = 'INBOX'): Promise<number> {
  const raw = await new MailComposer(mail).compile().build();
  const client = new ImapFlow({ host: imap.host, port: imap.port, secure: false, auth: { user, pass: imap.users[user]! }, logger: false });
  await client.connect();
  try {
    const appended = await client.append(mailbox, raw);
    if (!appended || !appended.uid) throw new Error('APPEND did not return a UID (UIDPLUS)');
    return appended.uid;
  } finally {
    await client.logout();
  }
}
