// Row ids made in our own code (rather than by Prisma's cuid()) for rows written in bulk by
// raw SQL. They sort by creation within a process — time, then a counter — so rows of one
// batch, which share a timestamp, keep their order (ordered webhook endpoints, the feed).
import { randomBytes, randomFillSync } from 'node:crypto';

// Random bytes come from a pool refilled 4 KiB at a time: one system call per 512 ids, not per id.
const POOL_SIZE = 4096;
const pool = Buffer.alloc(POOL_SIZE);
let poolOffset = POOL_SIZE;

function randomHex4(): string {
  if (poolOffset + 4 > POOL_SIZE) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  poolOffset += 4;
  return pool.toString('hex', poolOffset - 4, poolOffset);
}

let lastMs = 0;
let counter = 0;
const processTag = randomBytes(3).toString('hex');

export function sortableId(now = Date.now()): string {
  if (now !== lastMs) {
    lastMs = now;
    counter = 0;
  }
  counter++;
  return `c${now.toString(36).padStart(9, '0')}${counter.toString(36).padStart(4, '0')}${processTag}${randomHex4()}`;
}
