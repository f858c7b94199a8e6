// The bytes a render writes its exposition into, kept from one render to the
// next. A render used to make fresh Buffers of about twice its exposition
// (64 KiB pieces, then one body they were concatenated into): at a thousand
// containers some 4 MiB for a 2 MiB exposition, every scrape. Their holders
// outlive the young generation while the render yields, so the memory went
// back to glibc's main arena only at V8's next full collection, and the
// arena grew by tens of MiB between them (docs/benchmarks.md, "A thousand
// containers on one node"). Renders now take slabs and bodies from here and
// give them back, so a steady agent allocates no new bytes to render.
//
// A body handed to a client is given back only once the client is done with
// it (the socket has written all of it, or gzip has read it): a body given
// back while in use would be overwritten by the next render. Anything not
// given back is simply left to the garbage collector, never reused.

/** The size of the pieces a render writes into before the families are put in order. */
export const SLAB_BYTES = 256 * 1024;
/** Slabs kept for reuse at most (enough for a few renders of a 2 MiB exposition at once). */
const MAX_FREE_SLAB_BYTES = 16 * 1024 * 1024;
/** Bodies kept for reuse at most: one being sent while the next is rendered, and one of each format. */
const MAX_FREE_BODIES = 3;
/** And at most these many bytes of them: an agent whose exposition is huge keeps fewer, not more. */
export const MAX_FREE_BODY_BYTES = 32 * 1024 * 1024;
/** A body is made this much larger than asked, so that an exposition growing by a few series still fits it. */
const BODY_HEADROOM = 1.25;
/** Room is counted in these, so that bodies of nearly the same size are interchangeable. */
const BODY_GRAIN = 64 * 1024;
/** A kept body more than this many times too large for what is asked is dropped rather than held. */
const MAX_BODY_WASTE = 4;

export class BytePool {
  private readonly freeSlabs: Buffer[] = [];
  private readonly freeBodies: Buffer[] = [];
  private allocated = 0;

  /** Bytes allocated by this pool since it was made: what a steady agent should stop adding to. */
  get allocatedBytes(): number {
    return this.allocated;
  }

  /** A slab of at least `bytes` (SLAB_BYTES unless more is needed). */
  takeSlab(bytes = SLAB_BYTES): Buffer {
    if (bytes <= SLAB_BYTES) {
      const slab = this.freeSlabs.pop();
      if (slab) {
        return slab;
      }
    }
    return this.allocate(Math.max(bytes, SLAB_BYTES));
  }

  giveSlab(slab: Buffer): void {
    // Only the standard size is kept: a larger one was made for one long line.
    if (slab.length === SLAB_BYTES && (this.freeSlabs.length + 1) * SLAB_BYTES <= MAX_FREE_SLAB_BYTES) {
      this.freeSlabs.push(slab);
    }
  }

  /** A body of `bytes`: a view of a kept Buffer when one fits, of a new one otherwise. */
  takeBody(bytes: number): Buffer {
    let best = -1;
    for (let i = 0; i < this.freeBodies.length; i++) {
      const size = this.freeBodies[i].length;
      if (size >= bytes && (best < 0 || size < this.freeBodies[best].length)) {
        best = i;
      }
    }
    if (best >= 0 && this.freeBodies[best].length <= bytes * MAX_BODY_WASTE + BODY_GRAIN) {
      return this.freeBodies.splice(best, 1)[0].subarray(0, bytes);
    }
    const size = Math.ceil((bytes * BODY_HEADROOM) / BODY_GRAIN) * BODY_GRAIN || BODY_GRAIN;
    return this.allocate(size).subarray(0, bytes);
  }

  /** Takes back a body from takeBody, once nothing reads it any more. */
  giveBody(body: Buffer): void {
    // Bodies are Buffers of their own (allocUnsafeSlow): the view's
    // ArrayBuffer is the whole of it.
    if (this.freeBodies.some((kept) => kept.buffer === body.buffer)) {
      return;
    }
    this.freeBodies.push(Buffer.from(body.buffer));
    // The smallest go first: the larger ones fit every exposition they would.
    this.freeBodies.sort((a, b) => b.length - a.length);
    let kept = 0;
    let count = 0;
    for (const free of this.freeBodies) {
      if (count === MAX_FREE_BODIES || kept + free.length > MAX_FREE_BODY_BYTES) {
        break;
      }
      kept += free.length;
      count++;
    }
    this.freeBodies.length = count;
  }

  /** Bytes kept for reuse now (slabs and bodies nobody holds). */
  get freeBytes(): number {
    let bytes = 0;
    for (const slab of this.freeSlabs) {
      bytes += slab.length;
    }
    for (const body of this.freeBodies) {
      bytes += body.length;
    }
    return bytes;
  }

  private allocate(bytes: number): Buffer {
    this.allocated += bytes;
    // Its own memory, not a piece of Node's shared 8 KiB pool.
    return Buffer.allocUnsafeSlow(bytes);
  }
}
