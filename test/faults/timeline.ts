// What a fault test did and when, seconds since it started: printed as it happens and again, whole, at the end.
export interface FaultTimeline {
  note(event: string): void;
  print(seed: number): void;
  /** Whole seconds since the test started. */
  elapsedSeconds(): string;
}

export function faultTimeline(tag: string): FaultTimeline {
  const started = Date.now();
  const lines: string[] = [];
  return {
    note(event) {
      const line = `${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s  ${event}`;
      lines.push(line);
      console.log(`[${tag}] ${line}`);
    },
    elapsedSeconds() {
      return ((Date.now() - started) / 1000).toFixed(0);
    },
    print(seed) {
      console.log(`[${tag}] timeline (seed ${seed}):\n${lines.join('\n')}`);
    },
  };
}
