// The waiting line against a plain array: after any joins and departures (head, middle, tail), every turn's count
// of turns ahead is its index among those still waiting; growth past the first tree and compaction keep it so.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WaitingLine } from '../../src/ceremony/waiting-line.js';

function check(line: WaitingLine, naive: number[]): void {
  expect(line.size).toBe(naive.length);
  for (const [index, turnId] of naive.entries()) expect(line.ahead(turnId), `turn ${turnId}`).toBe(index);
}

describe('WaitingLine', () => {
  it('counts the turns ahead like a naive list, whoever leaves', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constant<'add'>('add'), fc.nat({ max: 1000 })), { maxLength: 300 }),
        (ops) => {
          const line = new WaitingLine();
          const naive: number[] = [];
          let next = 1;
          for (const op of ops) {
            if (op === 'add') {
              line.add(next, next * 10);
              naive.push(next);
              next += 1;
            } else if (naive.length > 0) {
              const [gone] = naive.splice(op % naive.length, 1);
              line.remove(gone ?? 0);
              expect(line.has(gone ?? 0)).toBe(false);
            }
          }
          check(line, naive);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('stays right past its first capacity and through compaction', () => {
    const line = new WaitingLine();
    const naive: number[] = [];
    for (let id = 1; id <= 5000; id++) {
      line.add(id, id);
      naive.push(id);
      // Serve the head two times in three, and drop someone from the middle now and then.
      if (id % 3 !== 0) line.remove(naive.shift() ?? 0);
      if (id % 7 === 0 && naive.length > 2)
        line.remove(naive.splice(Math.floor(naive.length / 2), 1)[0] ?? 0);
    }
    check(line, naive);
  });

  it('ignores a second add and the removal of a turn not in line; keeps queue order for a late add', () => {
    const line = new WaitingLine();
    line.add(1, 10);
    line.add(2, 20);
    line.add(2, 20);
    line.remove(99);
    line.add(3, 15);
    expect([line.ahead(1), line.ahead(3), line.ahead(2), line.ahead(99)]).toEqual([0, 1, 2, undefined]);
    expect(() => line.add(0, 1)).toThrow(/WaitingLine.add: expected a positive turn id/);
  });
});
