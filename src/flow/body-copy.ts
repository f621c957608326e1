// The capture's copy of a body that streams through: up to a limit, while the full size is counted.
// Chunks are kept by reference (no copy), so memory stays bounded by the limit whatever the body's size.
export class BodyCopy {
  private chunks: Buffer[] = [];
  private kept = 0;
  /** Bytes seen in all. */
  size = 0;

  constructor(private readonly limit: number) {}

  push(chunk: Buffer): void {
    this.size += chunk.length;
    const room = this.limit - this.kept;
    if (room <= 0) return;
    const part = chunk.length <= room ? chunk : chunk.subarray(0, room);
    this.chunks.push(part);
    this.kept += part.length;
  }

  get truncated(): boolean {
    return this.size > this.kept;
  }

  bytes(): Buffer {
    return this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.kept);
  }
}
