/**
 * Deterministic log order for parallel jobs. Each job (and each scan) writes into its own
 * block; blocks reach the real sink in the order they were opened (submission order):
 * the oldest open block streams live, later blocks are buffered and flushed as soon as
 * every block before them has closed. So the log of a `--max-workers 4` run lists the same
 * events in the same order as a sequential run of the same folder; only timings differ.
 *
 * `progress` events of a buffered block are dropped, not replayed: they are only useful
 * live, and replaying a finished job's progress would just be noise. The live block's
 * progress still streams. (Progress events are timing-dependent in sequential mode too.)
 *
 * With a single worker every block is the oldest open one when it emits, so this is a
 * pass-through: sequential output is unchanged.
 */
import type { EventSink, ProxxEvent } from "../engine/events.ts";

export interface LogBlock {
  emit: EventSink;
  /** No more events from this block; idempotent. */
  close(): void;
}

interface Block {
  buffer: ProxxEvent[];
  closed: boolean;
}

export class OrderedLog {
  private readonly open: Block[] = [];

  constructor(private readonly sink: EventSink) {}

  block(): LogBlock {
    const block: Block = { buffer: [], closed: false };
    this.open.push(block);
    return {
      emit: (event) => {
        if (block.closed) return;
        if (this.open[0] === block) this.sink(event);
        else if (event.type !== "progress") block.buffer.push(event);
      },
      close: () => {
        if (block.closed) return;
        block.closed = true;
        this.flush();
      },
    };
  }

  /** Blocks opened and not yet fully written out (for tests). */
  get pending(): number {
    return this.open.length;
  }

  private flush(): void {
    while (this.open.length > 0 && this.open[0]!.closed) {
      this.open.shift();
      const next = this.open[0];
      if (!next) break;
      const buffered = next.buffer;
      next.buffer = [];
      for (const event of buffered) this.sink(event);
    }
  }
}
