import { parseArgs } from 'node:util';
import { diffConfigs, ENTITY_KINDS, type EntityChange, type EntityKind } from '../snapshot/diff.js';
import { diagnosticJson, diagnosticLines, loadForCli, makeScrub, plural, usageHint, writeJson } from './output.js';

export const HELP = `Usage: sluice diff [--json] OLD NEW

Entity-level diff of two configuration files, for pull-request review: services, routes,
consumers, consumer groups, plugins, upstreams and their targets, certificates and credentials
that were added (+), removed (-) or changed (~), with each changed field as old → new.
Entities are matched by name (username for consumers, name + scope for plugins, upstream +
target for targets, id otherwise); references show by name. Secret values (credentials,
{vault://...} values, secret plugin fields) are never printed: a changed one shows <changed>.

  git show main:gateway.yaml > /tmp/old.yaml && sluice diff /tmp/old.yaml gateway.yaml

Options:
  --json      print JSON instead:
              {"old", "new", "same": bool, "counts": {"added", "removed", "changed"},
               "changes": [{"kind", "key", "label", "change": "added" | "removed" | "changed",
                            "fields": [{"field", "secret": false, "old", "new"} | {"field", "secret": true}],
                            "entity": {field: value} | null   (added/removed; secrets "<redacted>")}]}
              An invalid file prints {"valid": false, "files": [{"file", "errors", "warnings"}]}.
  --offline check {vault://...} references' syntax, resolve none: CI needs no secret
            (a value behind a reference is not checked;
            references compare as text: {vault://env/A} → {vault://env/B} is a change)
  -h, --help  this help

Exit status: 0 same, 1 different, 2 usage error or an invalid file.
`;

const KIND_TITLE: Record<EntityKind, string> = {
  services: 'Services', routes: 'Routes', consumers: 'Consumers', consumer_groups: 'Consumer groups', plugins: 'Plugins',
  upstreams: 'Upstreams', targets: 'Targets', certificates: 'Certificates', keyauth_credentials: 'Key-auth credentials',
  basicauth_credentials: 'Basic-auth credentials', jwt_secrets: 'JWT secrets', hmacauth_credentials: 'HMAC-auth credentials', acls: 'ACLs',
};

const show = (v: unknown): string => (v === undefined ? 'null' : JSON.stringify(v));

/** A short description of an added or removed entity (the full entity is in --json). */
function brief(c: EntityChange): string {
  const e = c.entity ?? {};
  const list = (v: unknown): string => (Array.isArray(v) && v.length > 0 ? v.join(',') : '*');
  switch (c.kind) {
    case 'services':
      return `${String(e.protocol)}://${String(e.host)}:${String(e.port)}${typeof e.path === 'string' ? e.path : ''}`;
    case 'routes':
      return `paths ${list(e.paths)}  methods ${list(e.methods)}  hosts ${list(e.hosts)}  → ${e.service === null ? '-' : String(e.service)}`;
    case 'upstreams':
      return String(e.algorithm);
    case 'targets':
      return `weight ${String(e.weight)}`;
    default:
      return '';
  }
}

export function renderDiff(changes: readonly EntityChange[]): string {
  let out = '';
  const mark = { added: '+', removed: '-', changed: '~' } as const;
  for (const kind of ENTITY_KINDS) {
    const cs = changes.filter((c) => c.kind === kind);
    if (cs.length === 0) continue;
    out += `${KIND_TITLE[kind]}\n`;
    for (const c of cs) {
      const b = c.change === 'changed' ? '' : brief(c);
      out += `  ${mark[c.change]} ${c.label}${b === '' ? '' : `  ${b}`}\n`;
      for (const f of c.fields) out += `      ${f.field}: ${f.secret ? '<changed>' : `${show(f.old)} → ${show(f.new)}`}\n`;
    }
    out += '\n';
  }
  return out;
}

export async function run(argv: string[]): Promise<number> {
  let values: { json?: boolean; offline?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: argv, options: { json: { type: 'boolean' }, offline: { type: 'boolean' } }, allowPositionals: true, strict: true }));
    if (positionals.length !== 2) throw new Error(positionals.length < 2 ? 'OLD and NEW files are required' : `unexpected argument "${positionals[2]}"`);
  } catch (err) {
    process.stderr.write(`sluice diff: ${(err as Error).message}\n${usageHint(HELP, 'diff')}`);
    return 2;
  }
  const [oldFile, newFile] = positionals as [string, string];
  const offline = values.offline === true;
  const a = loadForCli(oldFile, { offline });
  const b = loadForCli(newFile, { offline });
  if (!a.ok || !b.ok) {
    const bad = [a, b].filter((r) => !r.ok);
    if (values.json) {
      writeJson({ valid: false, files: bad.map((r) => ({ file: r.file, errors: r.ok ? [] : r.errors.map(diagnosticJson), warnings: r.warnings.map(diagnosticJson) })) });
    } else {
      let out = '';
      for (const r of bad) {
        if (r.ok) continue;
        out += diagnosticLines(r.errors, r.warnings).join('\n') + '\n';
        out += `sluice diff: ${r.file} is invalid (${plural(r.errors.length, 'error')})\n`;
      }
      process.stderr.write(out);
    }
    return 2;
  }
  const d = diffConfigs(a.config, b.config);
  const same = d.changes.length === 0;
  const scrub = makeScrub(a.config, b.config);
  if (values.json) {
    writeJson({ old: oldFile, new: newFile, same, counts: d.counts, changes: d.changes }, scrub);
  } else if (same) {
    process.stdout.write(`No differences between ${oldFile} and ${newFile}.\n`);
  } else {
    const { added, removed, changed } = d.counts;
    process.stdout.write(scrub(`--- ${oldFile}\n+++ ${newFile}\n\n${renderDiff(d.changes)}${added} added, ${removed} removed, ${changed} changed\n`));
  }
  return same ? 0 : 1;
}
