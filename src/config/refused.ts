import type { Entities } from './entities.js';
import { err, formatPath, type Issue } from './issues.js';

/**
 * Kong fields Sluice accepts only when empty or off (REFUSED in no-ops.ts): any other value is
 * an error that says so, rather than a field that would silently do nothing.
 */
export function checkRefusedFields(ents: Entities): Issue[] {
  const issues: Issue[] = [];
  const refuse = (path: Array<string | number>, field: string, of: string, why: string): void => {
    issues.push(err(path, `${formatPath(path)}: field ${field} of ${of} is not supported by Sluice (${why})`));
  };
  for (const c of ents.credentials) {
    if (c.kind === 'keyauth_credentials' && typeof c.obj.ttl === 'number' && c.obj.ttl > 0) {
      refuse([...c.path, 'ttl'], 'ttl', 'keyauth_credentials', 'a key that expires a time after Kong created it has no creation time in a file');
    }
  }
  return issues;
}
