/**
 * Follow a growing file, reading only the bytes appended since the last read.
 * Lightning's CSVLogger rewrites metrics.csv whole when a new metric key
 * appears (workers/reference-trainer/README.md, "What it writes"); that shows up as a changed
 * first line, a shorter file or a new inode, and the tail then starts over
 * from byte 0 and says so, so the consumer can reset its parser.
 */
import fs from 'node:fs';

export interface TailChunk {
  text: string;
  /** The file was replaced or rewritten: drop what was read before, this chunk starts at byte 0. */
  reset: boolean;
}

const HEAD_BYTES = 4096;

export class FileTail {
  private offset = 0;
  private ino: number | null = null;
  private head = '';
  private carry = Buffer.alloc(0);

  constructor(readonly file: string) {}

  /** Read what was appended since the last call (empty text when nothing was). Never throws for a missing file. */
  read(): TailChunk {
    let fd: number;
    try {
      fd = fs.openSync(this.file, 'r');
    } catch {
      return { text: '', reset: false };
    }
    try {
      const st = fs.fstatSync(fd);
      let reset = false;
      if (this.ino !== null && (st.ino !== this.ino || st.size < this.offset)) reset = true;
      else if (this.offset > 0) {
        // Same inode, not shorter: a rewrite still shows as a different first line (the header gained a column).
        const n = Math.min(this.head.length, st.size);
        const buf = Buffer.alloc(n);
        fs.readSync(fd, buf, 0, n, 0);
        if (buf.toString('latin1') !== this.head.slice(0, n)) reset = true;
      }
      if (reset) {
        this.offset = 0;
        this.carry = Buffer.alloc(0);
      }
      this.ino = st.ino;
      if (st.size <= this.offset) return { text: '', reset };
      const buf = Buffer.alloc(st.size - this.offset);
      const got = fs.readSync(fd, buf, 0, buf.length, this.offset);
      if (this.offset === 0) {
        const nl = buf.indexOf(10);
        this.head = buf.subarray(0, nl >= 0 ? Math.min(nl + 1, HEAD_BYTES) : Math.min(got, HEAD_BYTES)).toString('latin1');
      } else if (this.head.length < HEAD_BYTES && !this.head.endsWith('\n')) {
        // The first line was still being written last time: extend what we compare against.
        const nl = buf.indexOf(10);
        this.head += buf.subarray(0, nl >= 0 ? nl + 1 : Math.min(got, HEAD_BYTES - this.head.length)).toString('latin1');
      }
      this.offset += got;
      // Keep a split UTF-8 sequence for the next read instead of decoding half a character.
      let data = this.carry.length ? Buffer.concat([this.carry, buf.subarray(0, got)]) : buf.subarray(0, got);
      let cut = data.length;
      for (let i = data.length - 1; i >= Math.max(0, data.length - 4); i--) {
        const b = data[i];
        if ((b & 0xc0) === 0x80) continue;
        const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
        if (data.length - i < need) cut = i;
        break;
      }
      this.carry = Buffer.from(data.subarray(cut));
      data = data.subarray(0, cut);
      return { text: data.toString('utf8'), reset };
    } finally {
      fs.closeSync(fd);
    }
  }
}
