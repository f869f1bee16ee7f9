// The zkey container (magic "zkey", u32 version, u32 section count, then per section u32 id, u64 size, bytes)
// read as a stream: bytes arrive in chunks of any size and each section's bytes are handed on as they come.
// Sizes are checked against the layout the accepted zkey implies before any byte of a section is taken.

export interface SectionSink {
  /** A section begins at file position `offset`; throw to refuse it (unknown id, repeated id, wrong size). */
  begin(id: number, size: number, offset: number): void;
  /** Consecutive bytes of the current section; the view is only valid during the call. */
  data(id: number, bytes: Uint8Array): void;
  end(id: number): void;
}

type State = 'preamble' | 'section-header' | 'section-body' | 'done';

export class ZkeyStreamReader {
  private state: State = 'preamble';
  private readonly pending = new Uint8Array(12);
  private pendingLength = 0;
  private sectionsLeft = 0;
  private sectionId = 0;
  private sectionLeft = 0;
  private total = 0;

  constructor(
    private readonly sink: SectionSink,
    private readonly fail: (message: string) => Error,
  ) {}

  get bytesRead(): number {
    return this.total;
  }

  push(chunk: Uint8Array): void {
    let at = 0;
    const base = this.total;
    this.total += chunk.length;
    while (at < chunk.length) {
      if (this.state === 'done') throw this.fail('zkey has bytes after its last section');
      if (this.state === 'section-body') {
        const take = Math.min(this.sectionLeft, chunk.length - at);
        this.sink.data(this.sectionId, chunk.subarray(at, at + take));
        at += take;
        this.sectionLeft -= take;
        if (this.sectionLeft === 0) this.closeSection();
        continue;
      }
      const take = Math.min(12 - this.pendingLength, chunk.length - at);
      this.pending.set(chunk.subarray(at, at + take), this.pendingLength);
      this.pendingLength += take;
      at += take;
      if (this.pendingLength === 12) {
        this.pendingLength = 0;
        this.readFixedHeader(base + at);
      }
    }
  }

  /** Throws unless the stream ended exactly after the last section. */
  finish(): void {
    if (this.state !== 'done') throw this.fail(`zkey is truncated after ${this.total} bytes`);
  }

  private readFixedHeader(position: number): void {
    const view = new DataView(this.pending.buffer);
    if (this.state === 'preamble') {
      const magic = String.fromCharCode(...this.pending.subarray(0, 4));
      if (magic !== 'zkey') throw this.fail('not a zkey file');
      const version = view.getUint32(4, true);
      if (version !== 1) throw this.fail(`unsupported zkey version ${version}`);
      this.sectionsLeft = view.getUint32(8, true);
      this.state = this.sectionsLeft === 0 ? 'done' : 'section-header';
      return;
    }
    this.sectionId = view.getUint32(0, true);
    const size = view.getBigUint64(4, true);
    if (size > BigInt(Number.MAX_SAFE_INTEGER)) throw this.fail(`section ${this.sectionId} is too large`);
    this.sectionLeft = Number(size);
    this.sink.begin(this.sectionId, this.sectionLeft, position);
    this.state = 'section-body';
    if (this.sectionLeft === 0) this.closeSection();
  }

  private closeSection(): void {
    this.sink.end(this.sectionId);
    this.sectionsLeft -= 1;
    this.state = this.sectionsLeft === 0 ? 'done' : 'section-header';
  }
}
