import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { NextRequest } from 'next/server';
import { openBundleFile } from '@/server/bundle-files';
import { HttpError, requireRun, route } from '@/app/_lib/api';
import { isTextFile } from '@/app/_lib/files';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/** RFC 6266 filename: an ASCII fallback plus the UTF-8 name. */
function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

/**
 * GET /api/runs/<id>/files/<path…>[?download=1]: one bundle file, raw. Every
 * path goes through openBundleFile, and what is sent is read from the
 * descriptor it checked. A path that is not valid percent-encoded UTF-8 is a
 * 400 with a plain message (route(): the URIError decoding it throws).
 */
export const GET = route<{ id: string; path: string[] }, NextRequest>('serving a bundle file', (req, { id, path: segments }) => {
  const found = requireRun(id);
  const r = openBundleFile(found.run.bundleDir, segments);
  if (!r.ok) throw new HttpError(r.status, r.reason);
  let fd: number | null = r.fd;
  try {
    const text = isTextFile(r.relative, r.fd);
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
    // The stream owns the descriptor from here (and closes it); the size sent is the one checked.
    const stream = Readable.toWeb(fs.createReadStream('', { fd: r.fd, start: 0, end: r.sizeBytes - 1, autoClose: true })) as unknown as ReadableStream<Uint8Array>;
    fd = null;
    return new Response(stream, { headers });
  } finally {
    if (fd !== null) fs.closeSync(fd);
  }
});
