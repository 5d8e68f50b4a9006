import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { NextRequest } from 'next/server';
import { resolveBundleFile } from '@/server/bundle-files';
import { findRun, jsonError, serverError } from '@/app/_lib/api';
import { isTextFile } from '@/app/_lib/files';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/** RFC 6266 filename: an ASCII fallback plus the UTF-8 name. */
function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

/** GET /api/runs/<id>/files/<path…>[?download=1]: one bundle file, raw. Every path goes through resolveBundleFile. */
export async function GET(req: NextRequest, { params }: { params: Promise<{ id: string; path: string[] }> }) {
  const { id, path: segments } = await params;
  try {
    const found = findRun(id);
    if (found instanceof Response) return found;
    const r = resolveBundleFile(found.run.bundleDir, segments);
    if (!r.ok) return jsonError(r.status, r.reason);
    const text = isTextFile(r.file);
    const headers: Record<string, string> = {
      'Content-Type': text ? 'text/plain; charset=utf-8' : 'application/octet-stream',
      'Content-Length': String(r.sizeBytes),
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'no-cache',
      // Served from the app's origin: never let a bundle file run as a page.
      'Content-Security-Policy': "default-src 'none'; sandbox",
    };
    if (req.nextUrl.searchParams.get('download') === '1' || !text) headers['Content-Disposition'] = contentDisposition(path.posix.basename(r.relative));
    const stream = Readable.toWeb(fs.createReadStream(r.file)) as unknown as ReadableStream<Uint8Array>;
    return new Response(stream, { headers });
  } catch (e) {
    return serverError(e);
  }
}
