/** acl through the plugin harness (src/plugins/harness.ts): the consumer comes from an earlier (auth) plugin. */
import { describe, expect, it } from 'vitest';
import { runPlugin, type FakeRequest } from '../harness.js';
import { acl } from './index.js';

const world: Pick<FakeRequest, 'consumers' | 'credentials'> = {
  consumers: [
    { id: 'c-admin', username: 'admin' },
    { id: 'c-user', username: 'user' },
    { id: 'c-grouped', username: 'grouped', groups: ['gold'] },
  ],
  credentials: {
    acls: [
      { id: 'a-1', consumer: 'c-admin', group: 'admins' },
      { id: 'a-2', consumer: 'c-admin', group: 'users' },
      { id: 'a-3', consumer: 'c-user', group: 'users' },
    ],
  },
};
const as = (consumer: string): FakeRequest => ({ ...world, consumer });
const message = (body: Buffer): string => (JSON.parse(body.toString()) as { message: string }).message;

describe('acl (harness)', () => {
  it('allow: a consumer in an allowed group passes, another is refused with 403', async () => {
    expect((await runPlugin(acl, { allow: ['admins'] }, as('admin'))).answered).toBeNull();
    const r = await runPlugin(acl, { allow: ['admins'] }, as('user'));
    expect(r.response.status).toBe(403);
    expect(message(r.response.body)).toBe('You cannot consume this service');
  });

  it('deny: a consumer in a denied group is refused even when it also has an allowed one', async () => {
    expect((await runPlugin(acl, { deny: ['admins'] }, as('admin'))).response.status).toBe(403);
    expect((await runPlugin(acl, { deny: ['admins'] }, as('user'))).answered).toBeNull();
  });

  it('answers 401 when no consumer was authenticated', async () => {
    const r = await runPlugin(acl, { allow: ['users'] }, { ...world });
    expect(r.response.status).toBe(401);
    expect(message(r.response.body)).toBe('Unauthorized');
  });

  it('counts consumer groups unless include_consumer_groups is false', async () => {
    expect((await runPlugin(acl, { allow: ['gold'] }, as('grouped'))).answered).toBeNull();
    expect((await runPlugin(acl, { allow: ['gold'], include_consumer_groups: false }, as('grouped'))).response.status).toBe(403);
  });

  it('authenticated groups (no consumer): checked, and sent upstream as X-Authenticated-Groups', async () => {
    const ok = await runPlugin(acl, { allow: ['ops'] }, { authenticatedGroups: ['dev', 'ops'] });
    expect(ok.answered).toBeNull();
    expect(ok.upstream.headers['x-authenticated-groups']).toBe('dev, ops');
    const no = await runPlugin(acl, { allow: ['ops'] }, { authenticatedGroups: ['dev'] });
    expect(no.response.status).toBe(403);
  });

  it('always_use_authenticated_groups prefers them over the consumer groups', async () => {
    const req = { ...as('admin'), authenticatedGroups: ['dev'] };
    expect((await runPlugin(acl, { allow: ['admins'] }, req)).answered).toBeNull();
    expect((await runPlugin(acl, { allow: ['admins'], always_use_authenticated_groups: true }, req)).response.status).toBe(403);
  });

  it('hide_groups_header keeps X-Consumer-Groups from the upstream', async () => {
    expect((await runPlugin(acl, { allow: ['users'] }, as('user'))).hideConsumerGroups).toBe(false);
    expect((await runPlugin(acl, { allow: ['users'], hide_groups_header: true }, as('user'))).hideConsumerGroups).toBe(true);
  });

  it('requires exactly one of allow and deny', async () => {
    await expect(runPlugin(acl, {})).rejects.toThrow(/invalid config for acl: +must set either allow or deny/);
    await expect(runPlugin(acl, { allow: ['a'], deny: ['b'] })).rejects.toThrow(/invalid config for acl: deny cannot be set together with allow/);
  });
});
