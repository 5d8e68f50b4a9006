// A raw HTTP/1.1 client for the attack suite: the request line and headers
// go on the wire exactly as given (no URL normalisation, any Host, any
// forwarding header, bytes a browser would never send), and the response is
// scanned for secret markers before it is trimmed. Plain ESM with no
// dependencies, so `ip netns exec … node client.mjs` can run it.
import net from 'node:net';

const MAX_RECEIVE = 64 << 20;

/** Decodes a chunked body; returns what could be decoded when it is cut short. */
function dechunk(buf) {
  const parts = [];
  let pos = 0;
  while (pos < buf.length) {
    const eol = buf.indexOf('\r\n', pos);
    if (eol < 0) break;
    const size = parseInt(buf.subarray(pos, eol).toString('latin1').split(';')[0].trim(), 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(buf.subarray(eol + 2, Math.min(buf.length, eol + 2 + size)));
    pos = eol + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

/**
 * @param {object} req
 * @param {string} req.host address to connect to
 * @param {number} req.port
 * @param {string} [req.method]
 * @param {string} req.path request target, sent verbatim (may hold `..`, `\`, `#`, even NUL)
 * @param {Record<string,string>|Array<[string,string]>} [req.headers] sent verbatim; Host defaults to host:port
 * @param {string|Buffer|null} [req.body]
 * @param {string[]} [req.markers] strings whose presence in the body means a leak
 * @param {number} [req.keepBytes] body bytes kept in the result
 * @param {number} [req.timeoutMs]
 */
export function rawRequest(req) {
  const { host, port, method = 'GET', path, body = null, markers = [], keepBytes = 16384, timeoutMs = 15000 } = req;
  const list = Array.isArray(req.headers) ? req.headers : Object.entries(req.headers ?? {});
  const hasHost = list.some(([k]) => k.toLowerCase() === 'host');
  const payload = body == null ? null : Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
  const lines = [`${method} ${path} HTTP/1.1`];
  if (!hasHost) lines.push(`Host: ${host}:${port}`);
  for (const [k, v] of list) lines.push(`${k}: ${v}`);
  if (payload && !list.some(([k]) => k.toLowerCase() === 'content-length')) lines.push(`Content-Length: ${payload.length}`);
  lines.push('Connection: close', '', '');
  const head = Buffer.from(lines.join('\r\n'), 'latin1');
  const started = Date.now();
  return new Promise((resolve) => {
    const chunks = [];
    let received = 0;
    let done = false;
    const sock = net.connect({ host, port });
    const finish = (error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      const all = Buffer.concat(chunks);
      const sep = all.indexOf('\r\n\r\n');
      if (sep < 0) {
        resolve({ status: 0, headers: {}, body: '', bytes: 0, markersFound: [], error: error ?? 'no response', ms: Date.now() - started });
        return;
      }
      const headText = all.subarray(0, sep).toString('latin1').split('\r\n');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(headText[0])?.[1] ?? 0);
      const headers = {};
      for (const h of headText.slice(1)) {
        const i = h.indexOf(':');
        if (i <= 0) continue;
        const k = h.slice(0, i).trim().toLowerCase();
        const v = h.slice(i + 1).trim();
        headers[k] = k in headers ? `${headers[k]}\n${v}` : v;
      }
      let raw = all.subarray(sep + 4);
      if (/chunked/i.test(headers['transfer-encoding'] ?? '')) raw = dechunk(raw);
      const text = raw.toString('utf8');
      const latin = raw.toString('latin1');
      const markersFound = markers.filter((m) => m && (text.includes(m) || latin.includes(m)));
      resolve({ status, headers, body: text.slice(0, keepBytes), bytes: raw.length, markersFound, error: error ?? null, ms: Date.now() - started });
    };
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    sock.on('connect', () => {
      sock.write(head);
      if (payload) sock.write(payload);
    });
    sock.on('data', (d) => {
      received += d.length;
      if (received <= MAX_RECEIVE) chunks.push(d);
      else finish('response over 64 MiB');
    });
    sock.on('end', () => finish(null));
    sock.on('close', () => finish(null));
    sock.on('error', (e) => finish(e.code ?? e.message));
  });
}

/** A multipart/form-data body from [name, value] pairs (what a browser form posts). */
export function multipart(fields) {
  const boundary = `----runproofattack${Math.random().toString(16).slice(2)}`;
  const parts = fields.map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`);
  return { body: `${parts.join('')}--${boundary}--\r\n`, contentType: `multipart/form-data; boundary=${boundary}` };
}

/** Runs requests with a small concurrency, in order of the input. */
export async function runAll(requests, concurrency = 4) {
  const out = new Array(requests.length);
  let next = 0;
  const worker = async () => {
    while (next < requests.length) {
      const i = next++;
      const r = requests[i];
      if (r.delayMs) await new Promise((res) => setTimeout(res, r.delayMs));
      out[i] = { id: r.id ?? String(i), ...(await rawRequest(r)) };
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, requests.length) }, worker));
  return out;
}
