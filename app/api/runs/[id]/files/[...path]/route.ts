import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { NextRequest } from 'next/server';
import { HttpError, requireRun, route } from '@/app/_lib/api';
import { openRunFileOf } from '@/app/_lib/data';
import { isTextFile } from '@/app/_lib/files';
import type { ByteSource } from '@/server/stored-files';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/** RFC 6266 filename: an ASCII fallback plus the UTF-8 name. */
function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

const SEND_BYTES = 1 << 20;

/** A stored file's bytes sent a megabyte at a time (a chunk decoded per pull, never the whole file in memory). */
function streamSource(src: ByteSource, size: number): ReadableStream<Uint8Array> {
  let pos = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const part = await src.read(pos, Math.min(SEND_BYTES, size - pos));
      if (part.length === 0) return controller.close();
      pos += part.length;
      controller.enqueue(new Uint8Array(part));
      if (pos >= size) controller.close();
    },
  });
}

/**
 * GET /api/runs/<id>/files/<path…>[?download=1]: one bundle file, raw. Every
 * path goes through openRunFile: a run whose files are in the database is
 * served from there (only the paths stored for it); otherwise openBundleFile
 * checks the path and what is sent is read from the descriptor it checked. A
 * path that is not valid percent-encoded UTF-8 is a 400 with a plain message
 * (route(): the URIError decoding it throws).
 */
export const GET = route<{ id: string; path: string[] }, NextRequest>('serving a bundle file', async (req, { id, path: segments }) => {
  const found = await requireRun(id);
  const r = await openRunFileOf(found.run, segments);
  if (!r.ok) throw new HttpError(r.status, r.reason);
  let fd: number | null = r.fd;
  try {
    const text = await isTextFile(r.relative, r.source);
    const headers: Record<string, string> = {
      'Content-Type': text ? 'text/plain; charset=utf-8' : 'application/octet-stream',
      'Content-Length': String(r.sizeBytes),
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'no-cache',
      // Served from the app's origin: never let a bundle file run as a page.
      'Content-Security-Policy': "default-src 'none'; sandbox",
    };
    if (req.nextUrl.searchParams.get('download') === '1' || !text) headers['Content-Disposition'] = contentDisposition(path.posix.basename(r.relative));
    if (r.sizeBytes === 0) return new Response('', { headers });
    if (r.fd === null) return new Response(streamSource(r.source, r.sizeBytes), { headers });
    // The stream owns the descriptor from here (and closes it); the size sent is the one checked.
    const stream = Readable.toWeb(fs.createReadStream('', { fd: r.fd, start: 0, end: r.sizeBytes - 1, autoClose: true })) as unknown as ReadableStream<Uint8Array>;
    fd = null;
    return new Response(stream, { headers });
  } finally {
    if (fd !== null) fs.closeSync(fd);
  }
});
