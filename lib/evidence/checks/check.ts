import type { Check, CheckId, CheckStatus } from '../types';

export function check(id: CheckId, status: CheckStatus, detail: string): Check {
  return { id, status, detail };
}
