// Row ids made in our own code (rather than by Prisma's cuid()) for rows written in bulk by
// raw SQL. They sort by creation within a process — time, then a counter — so rows of one
// batch, which share a timestamp, keep their order (ordered webhook endpoints, the feed).
import { randomBytes } from 'node:crypto';

let lastMs = 0;
let counter = 0;
const processTag = randomBytes(3).toString('hex');

export function sortableId(now = Date.now()): string {
  if (now !== lastMs) {
    lastMs = now;
    counter = 0;
  }
  counter++;
  return `c${now.toString(36).padStart(9, '0')}${counter.toString(36).padStart(4, '0')}${processTag}${randomBytes(4).toString('hex')}`;
}
