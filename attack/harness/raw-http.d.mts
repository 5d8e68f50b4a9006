export interface RawRequest {
  id?: string;
  host: string;
  port: number;
  method?: string;
  path: string;
  headers?: Record<string, string> | Array<[string, string]>;
  body?: string | Buffer | null;
  markers?: string[];
  keepBytes?: number;
  timeoutMs?: number;
  /** Wait this long before sending (runAll only). */
  delayMs?: number;
}

export interface RawResponse {
  id: string;
  /** 0 when no response came back. */
  status: number;
  /** Lower-case names; repeated headers joined with a newline. */
  headers: Record<string, string>;
  body: string;
  bytes: number;
  markersFound: string[];
  error: string | null;
  ms: number;
}

export function rawRequest(req: RawRequest): Promise<Omit<RawResponse, 'id'>>;
export function multipart(fields: Array<[string, string]>): { body: string; contentType: string };
export function runAll(requests: RawRequest[], concurrency?: number): Promise<RawResponse[]>;
